// fuzz/fuzz_safetensors.cpp — an HF model folder in one input: the safetensors header reader, config.json,
// and bind_weights' cross-check of the config against the tensor shapes.
//
// Input: u16 little-endian n | n bytes of config.json (n = 0: no config.json) | the .safetensors file.
// n is clamped to the bytes present.
#include <algorithm>

#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return rwkv7_fuzz::guarded([&] {
    std::size_t config_size = size >= 2 ? static_cast<std::size_t>(data[0] | (data[1] << 8)) : 0;
    const std::size_t head = std::min<std::size_t>(size, 2);
    config_size = std::min(config_size, size - head);
    const std::string_view config(reinterpret_cast<const char*>(data + head), config_size);
    const std::uint8_t* file = data + head + config_size;
    const std::size_t file_size = size - head - config_size;

    auto table = rwkv7::detail::read_safetensors(rwkv7::FileBytes::view(file, file_size, "fuzz.safetensors"));
    rwkv7_fuzz::touch_table(table);
    if (config_size > 0) rwkv7::detail::parse_hf_config(config, "config.json", table);
    const auto weights = rwkv7::bind_weights(std::move(table));
    rwkv7_fuzz::touch_weights(weights);
    rwkv7_fuzz::note("ok: bound " + std::to_string(weights.config.n_layer) + " layers, " + std::to_string(weights.table.metadata.size()) +
                     " config metadata entries");
  });
}
