// rwkv7/model/architecture.hpp — a model variant described as data: which blocks a layer composes and how they
// are sized. Backends read these fields instead of assuming x070, so a variant that reuses the shared blocks with
// another norm, FFN or head layout (PRWKV "cxa076": RMSNorm, SwiGLU, grouped key/value heads; FORMATS.md §1)
// is a new value here plus its weight binding, not a new forward loop.
#pragma once

#include <cstdint>
#include <string>

namespace rwkv7 {

enum class Variant { x070, cxa076 };
enum class NormKind { layer_norm, rms_norm };              // LayerNorm with bias, or RMSNorm without
enum class FfnKind { squared_relu, swiglu };               // key/value with relu², or gate/up/down with SiLU
enum class WkvOutput { group_norm, scaled };               // GroupNorm per head (ln_x), or × head_size^-0.5
enum class KeyAdjust { k_a, decay_and_a };                 // k ⊙ (1 + (a−1) k_a), or k ⊙ (1 − w + a)

inline const char* variant_name(Variant v) { return v == Variant::x070 ? "x070" : "cxa076"; }

struct Architecture {
  Variant variant = Variant::x070;
  NormKind norm = NormKind::layer_norm;  // ln0 (if any), ln1, ln2, ln_out
  bool embedding_norm = true;            // ln0 after the embedding
  FfnKind ffn = FfnKind::squared_relu;
  WkvOutput wkv_output = WkvOutput::group_norm;
  KeyAdjust key_adjust = KeyAdjust::k_a;
  bool token_shift = true;               // x070 mixes each input with the previous token's
  bool projection_bias = false;          // biases on receptance/key/value
  bool rk_norm = false;                  // per-head RMSNorm of r and k (ln_r, ln_k): PRWKV cxa076r
  double decay_offset = -0.5;            // decay = exp(−exp(offset − softplus(−z))) = exp(−e^offset · σ(z))

  // Vectors of width n_embd a State keeps per layer besides the WKV matrices: the TimeMix and ChannelMix inputs
  // of the previous token when the variant shifts tokens, none otherwise.
  std::int64_t shift_vectors() const { return token_shift ? 2 : 0; }
};

// BlinkDL's RWKV-7 "Goose" (RWKV-LM x070, fla's RWKV7ForCausalLM).
inline Architecture x070() { return {}; }

// OpenMOSE's PRWKV-7 "cxa076": a Qwen decoder whose attention is an RWKV-7 TimeMix without token shift
// (FORMATS.md §1.4). Biases and the r/k norms depend on the source model and are detected from the tensors.
inline Architecture cxa076(bool projection_bias, bool rk_norm) {
  Architecture a;
  a.variant = Variant::cxa076;
  a.norm = NormKind::rms_norm;
  a.embedding_norm = false;
  a.ffn = FfnKind::swiglu;
  a.wkv_output = WkvOutput::scaled;
  a.key_adjust = KeyAdjust::decay_and_a;
  a.token_shift = false;
  a.projection_bias = projection_bias;
  a.rk_norm = rk_norm;
  return a;
}

// "x070", "cxa076" or "cxa076r" (the r/k-normed Qwen3 distillations): what a user would call the model.
inline std::string architecture_name(const Architecture& a) { return std::string(variant_name(a.variant)) + (a.rk_norm ? "r" : ""); }

}  // namespace rwkv7
