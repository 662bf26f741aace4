// rwkv7/backend/cpu/channel_mix.hpp — RWKV-7 ChannelMix (the FFN): token shift, squared-ReLU key, value projection.
#pragma once

#include <vector>

#include "../../kernels/matmul.hpp"
#include "../../model/weights.hpp"
#include "../../quant/element.hpp"
#include "columns.hpp"
#include "../../detail/isa.hpp"

namespace rwkv7::detail {
inline namespace RWKV7_ISA_NAMESPACE {

template <class K>
class ChannelMix {
 public:
  ChannelMix(const ChannelMixWeights& w, const ModelConfig& c, std::int64_t layer)
      : C_(c.n_embd), F_(c.dim_ffn), layer_(layer), x_k_(to_float(w.x_k)), w_(w) {}

  struct Scratch {
    ColumnBuffer xk, h;
    TokenShift shift;
  };

  // xn: LayerNorm(ln2) of the residual, n columns × C; out: the residual update, n columns × C.
  void forward(const float* xn, std::size_t n, const std::vector<Segment>& segments, float* out, Scratch& s, const MatMul<K>& matmul) const {
    const auto C = static_cast<std::size_t>(C_);
    float* xk = s.xk.get(n, C_);
    float* h = s.h.get(n, F_);
    auto kept = [this](State& st) { return st.ffn_shift(layer_); };
    const float* const* prev = s.shift.inputs(xn, C, segments, n, kept);
    matmul.exec.parallel(n, 2 * C, [&](std::size_t c0, std::size_t c1) {
      for (std::size_t c = c0; c < c1; ++c)
        for (std::size_t i = 0; i < C; ++i) xk[c * C + i] = xn[c * C + i] + (prev[c][i] - xn[c * C + i]) * x_k_[i];
    });
    TokenShift::keep_last(xn, C, segments, kept);
    matmul(w_.key, xk, n, h);
    const auto F = static_cast<std::size_t>(F_);
    matmul.exec.parallel(n, 2 * F, [&](std::size_t c0, std::size_t c1) {
      for (std::size_t i = c0 * F; i < c1 * F; ++i) h[i] = h[i] > 0.0f ? h[i] * h[i] : 0.0f;
    });
    matmul(w_.value, h, n, out);
  }

 private:
  std::int64_t C_, F_, layer_;
  std::vector<float> x_k_;
  const ChannelMixWeights& w_;  // views of the large matrices, read in place; owned by the backend
};

}  // namespace RWKV7_ISA_NAMESPACE
}  // namespace rwkv7::detail
