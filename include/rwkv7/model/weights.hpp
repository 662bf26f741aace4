// rwkv7/model/weights.hpp — the weight view: every tensor of a model under its canonical (RWKV-LM) role, as
// views into the file bytes (the data stays where the reader found it). Filled by bind_weights (bind.hpp).
#pragma once

#include <memory>
#include <vector>

#include "../io/tensor_table.hpp"
#include "config.hpp"

namespace rwkv7 {

// A = H·N is the attention width and K = Hkv·N the key/value width; both equal C in x070. A view a variant does
// not have stays empty (data == nullptr).
struct TimeMixWeights {
  TensorView x_r, x_w, x_k, x_v, x_a, x_g;   // [C] token-shift mixes (x070)
  TensorView w0, a0, v0, k_k, k_a;            // [A] (k_k, k_a: x070)
  TensorView r_k;                             // [H, N]
  Linear w1, w2, a1, a2, v1, v2, g1, g2;      // LoRA factors: C -> D -> A
  Linear receptance, key, value, output;      // [A, C], [K, C], [K, C], [C, A]
  TensorView receptance_bias, key_bias, value_bias;  // [A], [K], [K] (cxa076 from Qwen2.5)
  TensorView ln_r, ln_k;                      // [N] per-head RMSNorm weights (cxa076r)
  TensorView ln_x_w, ln_x_b;                  // [A] GroupNorm affine (x070)
};

// The FFN: x070's squared-ReLU key/value with a token shift, or cxa076's SwiGLU gate/up/down.
struct ChannelMixWeights {
  TensorView x_k;        // [C]
  Linear key, value;     // [F, C], [C, F]
  Linear gate, up, down; // [F, C], [F, C], [C, F]
};

struct LayerWeights {
  TensorView ln1_w, ln1_b, ln2_w, ln2_b;  // [C]; no biases for RMSNorm
  TimeMixWeights att;
  ChannelMixWeights ffn;
};

struct ModelWeights {
  ModelConfig config;
  TensorTable table;             // owns the bytes every view points into
  TensorView emb;                // [V, C]
  TensorView ln0_w, ln0_b;       // [C], applied to the embedding once (x070)
  std::vector<LayerWeights> layers;
  TensorView ln_out_w, ln_out_b; // [C]
  Linear head;                   // [V, C]; a view of emb when the file ties them
  std::vector<std::shared_ptr<const std::byte[]>> owned;  // storage made at load (quantized or repacked weights)
};

// The large matrices a variant binds (the TimeMix projections, the FFN's, the head), in the order a decode step
// reads them: what int8 quantization converts and what the CPU repacks for bf16 activations.
inline std::vector<Linear*> large_matrices(ModelWeights& m) {
  std::vector<Linear*> order;
  for (auto& layer : m.layers)
    for (Linear* L : {&layer.att.receptance, &layer.att.key, &layer.att.value, &layer.att.output, &layer.ffn.key, &layer.ffn.value,
                      &layer.ffn.gate, &layer.ffn.up, &layer.ffn.down})
      if (L->w.data) order.push_back(L);
  order.push_back(&m.head);
  return order;
}

}  // namespace rwkv7
