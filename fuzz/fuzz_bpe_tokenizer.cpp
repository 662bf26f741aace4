// fuzz/fuzz_bpe_tokenizer.cpp — Hugging Face tokenizer.json parsing and byte-level BPE encoding. An input that starts
// with '{' is a tokenizer.json: parsed, then used on fixed texts. Any other input is text for a fixed small
// tokenizer. Every id must be in range, and text that NFC leaves alone (well-formed, below U+0300) must decode back
// to itself: the split pieces tile the text and the merges only join neighbours.
#include <rwkv7/tokenizer/bpe_tokenizer.hpp>

#include "fuzz_common.hpp"

namespace {

// Well-formed UTF-8 made only of code points below U+0300 (lead bytes below 0xCC), which NFC never changes.
bool nfc_stable(std::string_view text) {
  std::string replaced;
  rwkv7::detail::valid_utf8(text, replaced);
  if (!replaced.empty()) return false;
  for (char ch : text)
    if (static_cast<unsigned char>(ch) >= 0xcc) return false;
  return true;
}

void check(const rwkv7::BpeTokenizer& tok, std::string_view text) {
  const auto ids = tok.encode(text);
  for (auto id : ids)
    if (id >= tok.size() || tok.piece(id).empty()) rwkv7_fuzz::bug("encode produced id " + std::to_string(id) + " with no text");
  if (nfc_stable(text) && tok.decode(ids) != text) rwkv7_fuzz::bug("decode(encode(text)) != text");
  if (text.size() > 0 && ids.empty()) rwkv7_fuzz::bug("non-empty text encoded to no ids");
}

const rwkv7::BpeTokenizer& fixed() {
  static const rwkv7::BpeTokenizer tok = [] {
    const auto alphabet = rwkv7::detail::byte_level_alphabet();
    auto spell = [&](std::string_view bytes) {
      std::string s;
      for (unsigned char b : bytes) rwkv7::detail::append_utf8(s, alphabet[b]);
      return s;
    };
    nlohmann::json vocab = nlohmann::json::object(), merges = nlohmann::json::array();
    for (unsigned b = 0; b < 256; ++b) vocab[spell(std::string(1, static_cast<char>(b)))] = b;
    unsigned next = 256;
    for (const auto& [a, b] : {std::pair<std::string, std::string>{" ", "t"}, {"h", "e"}, {" t", "he"}, {"e", "e"}, {"ee", "ee"}, {"\n", "\n"}, {"\xe4", "\xb8"}}) {
      merges.push_back({spell(a), spell(b)});
      if (!vocab.contains(spell(a + b))) vocab[spell(a + b)] = next++;
    }
    nlohmann::json added = nlohmann::json::array();
    for (const char* c : {"<|endoftext|>", "<|im_end|>", "<|im_end|>x"}) added.push_back({{"id", next++}, {"content", c}, {"special", true}});
    const nlohmann::json bytes = {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"use_regex", false}};
    const nlohmann::json j = {
        {"added_tokens", added},
        {"normalizer", {{"type", "NFC"}}},
        {"pre_tokenizer", {{"type", "Sequence"},
                           {"pretokenizers", {{{"type", "Split"}, {"pattern", {{"Regex", std::string(rwkv7::detail::kQwen2SplitPattern)}}}, {"behavior", "Isolated"}}, bytes}}}},
        {"model", {{"type", "BPE"}, {"vocab", vocab}, {"merges", merges}}}};
    return rwkv7::BpeTokenizer::parse(j.dump(), "fixed.json");
  }();
  return tok;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return rwkv7_fuzz::guarded([&] {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    if (!input.empty() && input[0] == '{') {
      const auto tok = rwkv7::BpeTokenizer::parse(input, "fuzz_tokenizer.json");
      check(tok, "Hello <|im_end|> the world\n\n  12 it's \xe4\xb8\x96\xe7\x95\x8c \xf0\x9f\x98\x80 e\xcc\x81\xff");
      check(tok, input.substr(0, 256));
      rwkv7_fuzz::note("ok: tokenizer with " + std::to_string(tok.size()) + " ids");
    } else {
      check(fixed(), input);
      rwkv7_fuzz::note("ok: text of " + std::to_string(size) + " bytes");
    }
  });
}
