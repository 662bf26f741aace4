// rwkv7/backend/cpu_matvec.hpp — y = W x over fp32/fp16/bf16 weights read in place from the file.
// Decoding one token reads every weight once, so this is where the time goes.
#pragma once

#include <algorithm>
#include <type_traits>
#include <vector>

#include "../detail/half.hpp"
#include "../model/weights.hpp"

namespace rwkv7::detail {

// Row-major W [out, in]: one dot product per output. Sixteen partial sums let the compiler vectorize
// without reassociating (no -ffast-math needed) and keep the rounding independent of the target.
template <class Load>
void matvec_rows(const std::byte* w, std::int64_t in, std::int64_t out, const float* x, float* y) {
  constexpr int kLanes = 16;
  for (std::int64_t o = 0; o < out; ++o) {
    const std::byte* row = w + static_cast<std::size_t>(o * in) * Load::size;
    float acc[kLanes] = {};
    std::int64_t i = 0;
    for (; i + kLanes <= in; i += kLanes)
      for (int l = 0; l < kLanes; ++l) acc[l] = Load::at(row, static_cast<std::size_t>(i + l)) * x[i + l] + acc[l];
    float tail = 0.0f;
    for (; i < in; ++i) tail = Load::at(row, static_cast<std::size_t>(i)) * x[i] + tail;
    float sum = 0.0f;
    for (int l = 0; l < kLanes; ++l) sum += acc[l];
    y[o] = sum + tail;
  }
}

// Transposed storage W [in, out] (RWKV-LM LoRA factors): accumulate x_i · row_i.
template <class Load>
void matvec_cols(const std::byte* w, std::int64_t in, std::int64_t out, const float* x, float* y) {
  std::fill(y, y + out, 0.0f);
  for (std::int64_t i = 0; i < in; ++i) {
    const std::byte* row = w + static_cast<std::size_t>(i * out) * Load::size;
    const float xi = x[i];
    for (std::int64_t o = 0; o < out; ++o) y[o] = Load::at(row, static_cast<std::size_t>(o)) * xi + y[o];
  }
}

inline void matvec(const Linear& m, const float* x, float* y) {
  auto run = [&](auto load) {
    using Load = decltype(load);
    if (m.transposed) matvec_cols<Load>(m.w.data, m.in, m.out, x, y);
    else matvec_rows<Load>(m.w.data, m.in, m.out, x, y);
  };
  switch (m.w.dtype) {
    case DType::f32: run(LoadF32{}); break;
    case DType::bf16: run(LoadBF16{}); break;
    case DType::f16: run(LoadF16{}); break;
    case DType::unsupported: fail(Errc::dtype, "tensor " + in_quotes(m.w.name) + " has an unsupported dtype");
  }
}

// A small tensor (mixes, norms, biases) converted to fp32 once, at load.
inline std::vector<float> to_float(const TensorView& t) {
  std::vector<float> out(static_cast<std::size_t>(t.numel()));
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = element(t.data, t.dtype, i);
  return out;
}

}  // namespace rwkv7::detail
