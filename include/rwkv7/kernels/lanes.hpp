// rwkv7/kernels/lanes.hpp — elementwise loops written once for both kernel sets. A loop body is a generic
// lambda of (lanes, i): it loads, computes and stores through `lanes`, whose exp/tanh/sigmoid match its width.
// ScalarLanes is the exact path (std::exp, std::tanh); VectorLanes runs kWidth elements per step with xsimd's
// exp and tanh (within a few ulp of the C library), so the gates of a prefill chunk do not run one expf at a time.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>

#include "../detail/isa.hpp"
#include "simd_dot.hpp"

namespace rwkv7::detail {
inline namespace RWKV7_ISA_NAMESPACE {

struct ScalarLanes {
  static float load(const float* p, std::size_t i) { return p[i]; }
  static void store(float* p, std::size_t i, float v) { p[i] = v; }
  static float exp(float z) { return std::exp(z); }
  static float tanh(float z) { return std::tanh(z); }
  static float sigmoid(float z) { return 1.0f / (1.0f + std::exp(-z)); }
  static float softplus(float z) { return std::max(z, 0.0f) + std::log1p(std::exp(-std::abs(z))); }  // ln(1 + e^z), no overflow
};

// f(ScalarLanes{}, i) for i in [0, n).
template <class F>
inline void each_scalar(std::size_t n, F&& f) {
  for (std::size_t i = 0; i < n; ++i) f(ScalarLanes{}, i);
}

#if RWKV7_SIMD
struct VectorLanes {
  using Floats = simd::Floats;
  static Floats load(const float* p, std::size_t i) { return Floats::load_unaligned(p + i); }
  static void store(float* p, std::size_t i, Floats v) { v.store_unaligned(p + i); }
  static Floats exp(Floats z) { return xsimd::exp(z); }
  static Floats tanh(Floats z) { return xsimd::tanh(z); }
  static Floats sigmoid(Floats z) { return Floats(1.0f) / (Floats(1.0f) + xsimd::exp(-z)); }
  static Floats softplus(Floats z) { return xsimd::max(z, Floats(0.0f)) + xsimd::log1p(xsimd::exp(-xsimd::abs(z))); }
};

// f(VectorLanes{}, i) for each whole vector in [0, n), then f(ScalarLanes{}, i) for the rest.
template <class F>
inline void each_vector(std::size_t n, F&& f) {
  std::size_t i = 0;
  for (; i + simd::kWidth <= n; i += simd::kWidth) f(VectorLanes{}, i);
  for (; i < n; ++i) f(ScalarLanes{}, i);
}
#endif

}  // namespace RWKV7_ISA_NAMESPACE
}  // namespace rwkv7::detail
