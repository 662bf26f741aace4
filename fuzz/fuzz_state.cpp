// fuzz/fuzz_state.cpp — deserialize_state for a small fixed model (2 layers, width 8, 2 heads of 4).
// Each input is read twice: as given, and with its last 8 bytes replaced by the right checksum, so mutations
// get past the FNV-1a check into the fields behind it. A state that loads must serialize back to the same bytes.
#include <rwkv7/state_io.hpp>

#include "fuzz_common.hpp"

namespace {

rwkv7::ModelConfig config() {
  rwkv7::ModelConfig c;
  c.n_layer = 2;
  c.n_embd = 8;
  c.n_head = 2;
  c.head_size = 4;
  c.dim_ffn = 16;
  c.vocab_size = 16;
  c.fingerprint = 0x5EEDF02201234567ULL;  // tools/make_fuzz_seeds.py writes seeds with this fingerprint
  return c;
}

void load(std::string_view bytes, const rwkv7::ModelConfig& c, const char* what) {
  rwkv7_fuzz::guarded([&] {
    std::string extra;
    const rwkv7::State s = rwkv7::deserialize_state(bytes, c, "fuzz.state", &extra);
    if (!s.matches(c)) rwkv7_fuzz::bug("deserialize_state returned a state of another shape");
    if (rwkv7::serialize_state(s, c, extra) != bytes) rwkv7_fuzz::bug("serialize(deserialize(bytes)) != bytes");
    rwkv7::deserialize_state(bytes, c, "fuzz.state");  // without asking for the extra bytes
    rwkv7_fuzz::note(std::string("ok (") + what + "): " + std::to_string(extra.size()) + " extra bytes");
  });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const rwkv7::ModelConfig c = config();
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  load(input, c, "as given");
  if (size >= 8) {
    std::string fixed(input);
    const std::uint64_t sum = rwkv7::detail::fnv1a(fixed.data(), fixed.size() - 8);
    std::memcpy(fixed.data() + fixed.size() - 8, &sum, 8);
    if (fixed != input) load(fixed, c, "checksum fixed");
  }
  return 0;
}
