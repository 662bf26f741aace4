// rwkv7/model/fingerprint.hpp — a model's identity, recorded in saved states so a state is never applied to
// another model.
#pragma once

#include <algorithm>
#include <cstdint>

#include "../detail/fnv1a.hpp"
#include "weights.hpp"

namespace rwkv7::detail {

// The shape plus 64 rows' worth of bytes sampled evenly from the head and the embedding: two checkpoints that
// differ in training almost surely differ here, and computing it costs microseconds. Variants other than x070
// also hash their name; x070's value is left as it was, so states saved by earlier versions still load.
inline std::uint64_t fingerprint(const ModelWeights& m) {
  const ModelConfig& c = m.config;
  std::int64_t dims[] = {c.n_layer, c.n_embd, c.n_head, c.head_size, c.dim_ffn, c.vocab_size, c.lora_w, c.lora_a, c.lora_v, c.lora_g};
  std::uint64_t h = fnv1a(dims, sizeof dims);
  if (c.arch.variant != Variant::x070) {
    const std::string v = architecture_name(c.arch);
    h = fnv1a(v.data(), v.size(), h);
    h = fnv1a(&c.n_kv_head, sizeof c.n_kv_head, h);
  }
  for (const TensorView* t : {&m.head.w, &m.emb}) {
    const std::size_t bytes = t->bytes();
    const std::size_t piece = std::min<std::size_t>(bytes, 256);
    for (std::size_t k = 0; k < 32; ++k) h = fnv1a(t->data + (bytes - piece) * k / 31, piece, h);
  }
  return h;
}

}  // namespace rwkv7::detail
