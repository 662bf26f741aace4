// rwkv7/model/config.hpp — the hyperparameters of a checkpoint, all detected from tensor shapes.
#pragma once

#include <cstdint>
#include <string>

#include "architecture.hpp"

namespace rwkv7 {

struct ModelConfig {
  Architecture arch;
  std::int64_t n_layer = 0;
  std::int64_t n_embd = 0;     // C
  std::int64_t n_head = 0;     // H
  std::int64_t n_kv_head = 0;  // heads of key and value before they are repeated to H (= H in x070)
  std::int64_t head_size = 0;  // N; H*N == C in x070 (cxa076 allows another attention width)
  std::int64_t dim_ffn = 0;    // F
  std::int64_t vocab_size = 0; // V
  std::int64_t lora_w = 0, lora_a = 0, lora_v = 0, lora_g = 0;  // decay, in-context learning rate, value residual, gate
  double layer_norm_eps = 1e-5;   // of the block norms (ln0/ln1/ln2/ln_out), LayerNorm or RMSNorm
  double rk_norm_eps = 1e-6;      // cxa076r's per-head RMSNorm of r and k
  double group_norm_eps = 64e-5;  // RWKV-LM: fixed 64e-5; fla: head_dim * norm_eps
  std::string format;             // "pth" | "safetensors"
  std::string naming;             // "rwkv-lm" | "fla"
  std::string dtype;              // storage type of the large matrices
  std::uint64_t fingerprint = 0;  // identifies the model (shape + sampled weights); saved states record it

  std::int64_t attention_width() const { return n_head * head_size; }  // A
  std::int64_t kv_width() const { return n_kv_head * head_size; }      // width of key and value before repeating
};

}  // namespace rwkv7
