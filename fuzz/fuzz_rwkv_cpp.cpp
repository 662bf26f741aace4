// fuzz/fuzz_rwkv_cpp.cpp — an rwkv.cpp .bin file: the header and tensor reader, and bind_weights over rwkv.cpp's
// names (fused x_rwkvag mixes, [out, in] LoRA factors, block encodings, the header's sizes cross-checked).
// Input: the .bin file. (fuzz_model runs such files through a forward pass.)
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return rwkv7_fuzz::guarded([&] {
    auto table = rwkv7::detail::read_rwkv_cpp(rwkv7::FileBytes::view(data, size, "fuzz.bin"));
    rwkv7_fuzz::touch_table(table);
    const auto weights = rwkv7::bind_weights(std::move(table));
    rwkv7_fuzz::touch_weights(weights);
    rwkv7_fuzz::note("ok: bound " + std::to_string(weights.config.n_layer) + " layers of " + weights.config.dtype);
  });
}
