// fuzz/fuzz_pth.cpp — load_tensors on a whole file (a .pth zip archive, or safetensors by its first bytes):
// every tensor it returns must view numel x element size bytes inside the input.
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return rwkv7_fuzz::guarded([&] {
    const auto table = rwkv7::load_tensors(rwkv7::FileBytes::view(data, size, "fuzz.pth"));
    rwkv7_fuzz::touch_table(table);
    rwkv7_fuzz::note("ok: " + table.format() + ", " + std::to_string(table.tensors().size()) + " tensors");
  });
}
