// rwkv7/layers/channel_mix.hpp — RWKV-7 ChannelMix (the FFN): token shift, squared-ReLU key, value projection.
#pragma once

#include <vector>

#include "../backend/cpu_matvec.hpp"

namespace rwkv7::detail {

class ChannelMix {
 public:
  ChannelMix(const ChannelMixWeights& w, const ModelConfig& c) : C_(c.n_embd), x_k_(to_float(w.x_k)), w_(w) {}

  struct Scratch {
    explicit Scratch(const ModelConfig& c) : xk(static_cast<std::size_t>(c.n_embd)), h(static_cast<std::size_t>(c.dim_ffn)) {}
    std::vector<float> xk, h;
  };

  // x: LayerNorm(ln2) of the residual [C]; shift: previous token's x [C] (updated); out: residual update [C].
  void forward(const float* x, float* shift, float* out, Scratch& s) const {
    for (std::int64_t i = 0; i < C_; ++i) {
      s.xk[i] = x[i] + (shift[i] - x[i]) * x_k_[i];
      shift[i] = x[i];
    }
    matvec(w_.key, s.xk.data(), s.h.data());
    for (float& v : s.h) v = v > 0.0f ? v * v : 0.0f;
    matvec(w_.value, s.h.data(), out);
  }

 private:
  std::int64_t C_;
  std::vector<float> x_k_;
  ChannelMixWeights w_;
};

}  // namespace rwkv7::detail
