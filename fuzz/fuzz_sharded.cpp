// fuzz/fuzz_sharded.cpp — a sharded HF checkpoint in one input: the model.safetensors.index.json reader, its
// shard names, the cross-check of the index against the shards, and binding the merged table.
//
// Input: u16 little-endian n | n bytes of the index | u32 little-endian m | m bytes of the shard "a.safetensors" |
// the shard "b.safetensors". Lengths are clamped to the bytes present; any other shard name does not exist.
#include <algorithm>

#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return rwkv7_fuzz::guarded([&] {
    std::size_t at = 0;
    auto length = [&](std::size_t bytes) {
      std::size_t v = 0;
      for (std::size_t i = 0; i < bytes && at < size; ++i, ++at) v |= static_cast<std::size_t>(data[at]) << (8 * i);
      return std::min(v, size - at);
    };
    const std::size_t index_size = length(2);
    const auto index = rwkv7::FileBytes::view(data + at, index_size, "model.safetensors.index.json");
    at += index_size;
    const std::size_t a_size = length(4);
    const auto a = rwkv7::FileBytes::view(data + at, a_size, "a.safetensors");
    const auto b = rwkv7::FileBytes::view(data + at + a_size, size - at - a_size, "b.safetensors");
    auto table = rwkv7::detail::read_sharded_safetensors(index, [&](const std::string& name) {
      if (name == "a.safetensors") return a;
      if (name == "b.safetensors") return b;
      rwkv7::detail::fail(rwkv7::Errc::io, name + ": no such shard");
    });
    rwkv7_fuzz::touch_table(table);
    const auto weights = rwkv7::bind_weights(std::move(table));
    rwkv7_fuzz::touch_weights(weights);
    rwkv7_fuzz::note("ok: bound " + std::to_string(weights.config.n_layer) + " layers from " + std::to_string(weights.table.parts().size()) + " shards");
  });
}
