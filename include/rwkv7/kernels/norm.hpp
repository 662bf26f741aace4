// rwkv7/kernels/norm.hpp — LayerNorm, fp32, two-pass for accuracy (also the per-head GroupNorm of TimeMix).
#pragma once

#include <cmath>
#include <cstdint>

#include "../detail/isa.hpp"

namespace rwkv7::detail {
inline namespace RWKV7_ISA_NAMESPACE {

// out = (x − mean) / sqrt(var + eps) · w + b over n elements (biased variance, as torch).
inline void layer_norm(const float* x, std::int64_t n, const float* w, const float* b, double eps, float* out) {
  float mean = 0.0f;
  for (std::int64_t i = 0; i < n; ++i) mean += x[i];
  mean /= static_cast<float>(n);
  float var = 0.0f;
  for (std::int64_t i = 0; i < n; ++i) var += (x[i] - mean) * (x[i] - mean);
  var /= static_cast<float>(n);
  const float inv = 1.0f / std::sqrt(var + static_cast<float>(eps));
  for (std::int64_t i = 0; i < n; ++i) out[i] = (x[i] - mean) * inv * w[i] + b[i];
}

}  // namespace RWKV7_ISA_NAMESPACE
}  // namespace rwkv7::detail
