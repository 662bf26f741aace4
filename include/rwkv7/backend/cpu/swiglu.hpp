// rwkv7/backend/cpu/swiglu.hpp — the Qwen FFN of PRWKV models: down · (SiLU(gate · x) ⊙ (up · x)), no bias, no
// token shift.
#pragma once

#include <vector>

#include "../../detail/isa.hpp"
#include "../../kernels/matmul.hpp"
#include "../../model/weights.hpp"
#include "columns.hpp"

namespace rwkv7::detail {
inline namespace RWKV7_ISA_NAMESPACE {

template <class K>
class SwiGlu {
 public:
  SwiGlu(const ChannelMixWeights& w, const ModelConfig& c, std::int64_t) : F_(c.dim_ffn), w_(w) {}

  struct Scratch {
    ColumnBuffer gate, up;
  };

  // xn: RMSNorm(ln2) of the residual, n columns × C; out: the residual update, n columns × C.
  void forward(const float* xn, std::size_t n, const std::vector<Segment>&, float* out, Scratch& s, const MatMul<K>& matmul) const {
    float* gate = s.gate.get(n, F_);
    float* up = s.up.get(n, F_);
    matmul.together({{w_.gate, xn, gate}, {w_.up, xn, up}}, n, 0, 0, [](std::size_t) {});
    const auto F = static_cast<std::size_t>(F_);
    matmul.exec.parallel(n, 20 * F, [&](std::size_t c0, std::size_t c1) {
      for (std::size_t c = c0; c < c1; ++c) {
        float *gc = gate + c * F, *uc = up + c * F;
        K::elementwise(F, [&](auto lanes, std::size_t i) {
          const auto z = lanes.load(gc, i);
          lanes.store(gc, i, z * lanes.sigmoid(z) * lanes.load(uc, i));
        });
      }
    });
    matmul(w_.down, gate, n, out);
  }

 private:
  std::int64_t F_;
  const ChannelMixWeights& w_;  // views of the large matrices, read in place; owned by the backend
};

}  // namespace RWKV7_ISA_NAMESPACE
}  // namespace rwkv7::detail
