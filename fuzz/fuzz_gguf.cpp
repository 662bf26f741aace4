// fuzz/fuzz_gguf.cpp — a llama.cpp GGUF file: the header, key/value and tensor-info reader, the World tokenizer
// a GGUF carries, and bind_weights over llama.cpp's names (fused mixes, flattened r_k, block encodings).
// Input: the .gguf file. (fuzz_model runs the same files through a forward pass.)
#include "fuzz_common.hpp"

#include <rwkv7/tokenizer/gguf_tokenizer.hpp>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return rwkv7_fuzz::guarded([&] {
    auto table = rwkv7::detail::read_gguf(rwkv7::FileBytes::view(data, size, "fuzz.gguf"));
    rwkv7_fuzz::touch_table(table);
    std::size_t tokens = 0;
    try {
      if (auto tok = rwkv7::embedded_tokenizer(table)) tokens = tok->size();
    } catch (const rwkv7::Error&) {
      // a malformed token list is an error of its own; the weights are still bound below
    }
    const auto weights = rwkv7::bind_weights(std::move(table));
    rwkv7_fuzz::touch_weights(weights);
    rwkv7_fuzz::note("ok: bound " + std::to_string(weights.config.n_layer) + " layers of " + weights.config.dtype + ", " + std::to_string(tokens) +
                     " tokenizer tokens");
  });
}
