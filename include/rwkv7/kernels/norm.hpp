// rwkv7/kernels/norm.hpp — LayerNorm (two-pass for accuracy; also x070's per-head GroupNorm) and RMSNorm, fp32.
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

// out = x / sqrt(mean(x²) + eps) · w over n elements (Qwen's RMSNorm: weight applied in fp32, no bias).
inline void rms_norm(const float* x, std::int64_t n, const float* w, double eps, float* out) {
  float sum_sq = 0.0f;
  for (std::int64_t i = 0; i < n; ++i) sum_sq += x[i] * x[i];
  const float inv = 1.0f / std::sqrt(sum_sq / static_cast<float>(n) + static_cast<float>(eps));
  for (std::int64_t i = 0; i < n; ++i) out[i] = x[i] * inv * w[i];
}

}  // namespace RWKV7_ISA_NAMESPACE
}  // namespace rwkv7::detail
