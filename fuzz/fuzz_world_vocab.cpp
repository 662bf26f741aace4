// fuzz/fuzz_world_vocab.cpp — the World vocabulary parser, then the trie it builds: encoding must round-trip
// through decode exactly (greedy longest match only emits tokens whose bytes it matched).
#include <algorithm>

#include <rwkv7/tokenizer/world_tokenizer.hpp>

#include "fuzz_common.hpp"

namespace {

void round_trip(const rwkv7::WorldTokenizer& tok, std::string_view text) {
  std::vector<rwkv7::Token> ids;
  try {
    ids = tok.encode(text);
  } catch (const rwkv7::Error&) {
    return;  // the vocabulary lacks a byte of `text` (only ids 1..256 of the real one cover every byte)
  }
  for (auto id : ids)
    if (id == 0 || id >= tok.size() || tok.piece(id).empty()) rwkv7_fuzz::bug("encode produced id " + std::to_string(id) + " with no text");
  if (tok.decode(ids) != text) rwkv7_fuzz::bug("decode(encode(text)) != text");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return rwkv7_fuzz::guarded([&] {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    const auto tok = rwkv7::WorldTokenizer::parse(input, "fuzz_vocab.txt");
    round_trip(tok, "User: Hello, world! \xe4\xb8\xad\xe6\x96\x87 \xf0\x9f\x98\x80\r\n\tthe end\xff");
    round_trip(tok, input.substr(0, 256));
    round_trip(tok, input.substr(input.size() / 2, 64));
    // Arbitrary ids, in range or not, decode to the pieces (empty outside the vocabulary).
    std::vector<rwkv7::Token> ids;
    for (std::size_t i = 0; i + 4 <= std::min<std::size_t>(size, 64); i += 4) {
      rwkv7::Token id = 0;
      std::memcpy(&id, data + i, 4);
      ids.push_back(id % static_cast<rwkv7::Token>(tok.size() + 16));
    }
    std::size_t expect = 0;
    for (auto id : ids) expect += tok.piece(id).size();
    if (tok.decode(ids).size() != expect) rwkv7_fuzz::bug("decode length differs from the pieces' lengths");
    rwkv7_fuzz::note("ok: " + std::to_string(tok.size()) + " ids");
  });
}
