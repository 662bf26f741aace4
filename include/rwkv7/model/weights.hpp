// rwkv7/model/weights.hpp — the weight view: every tensor of a model under its canonical (RWKV-LM) role, as
// views into the file bytes (the data stays where the reader found it). Filled by bind_weights (bind.hpp).
#pragma once

#include <memory>
#include <vector>

#include "../io/tensor_table.hpp"
#include "config.hpp"

namespace rwkv7 {

struct TimeMixWeights {
  TensorView x_r, x_w, x_k, x_v, x_a, x_g;   // [C] token-shift mixes
  TensorView w0, a0, v0, k_k, k_a;            // [C]
  TensorView r_k;                             // [H, N]
  Linear w1, w2, a1, a2, v1, v2, g1, g2;      // LoRA factors: C -> D -> C
  Linear receptance, key, value, output;      // [C, C]
  TensorView ln_x_w, ln_x_b;                  // [C] GroupNorm affine
};

struct ChannelMixWeights {
  TensorView x_k;        // [C]
  Linear key, value;     // [F, C], [C, F]
};

struct LayerWeights {
  TensorView ln1_w, ln1_b, ln2_w, ln2_b;  // [C]
  TimeMixWeights att;
  ChannelMixWeights ffn;
};

struct ModelWeights {
  ModelConfig config;
  TensorTable table;             // owns the bytes every view points into
  TensorView emb;                // [V, C]
  TensorView ln0_w, ln0_b;       // [C], applied to the embedding once
  std::vector<LayerWeights> layers;
  TensorView ln_out_w, ln_out_b; // [C]
  Linear head;                   // [V, C]
  std::vector<std::shared_ptr<const std::byte[]>> owned;  // storage made at load (quantized weights)
};

}  // namespace rwkv7
