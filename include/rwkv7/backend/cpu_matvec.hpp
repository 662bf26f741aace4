// rwkv7/backend/cpu_matvec.hpp — Y = W X over fp32/fp16/bf16 weights read in place from the file, for one
// or several columns (tokens of a chunk, or one token of each of several sequences). Decoding reads every
// weight once per token, so this is where the time goes; with several columns each weight row is read once
// from memory and reused from cache for every column.
//
// Two kernel sets: ExactKernels (plain C++, the reference the fast path is tested against) and SimdKernels
// (xsimd). Each output row is computed by one thread with one fixed summation order, so results do not depend
// on the thread count or on how columns are batched.
#pragma once

#include <algorithm>
#include <vector>

#include "../detail/half.hpp"
#include "../detail/thread_pool.hpp"
#include "../model/weights.hpp"
#include "../layers/wkv7.hpp"
#include "simd_dot.hpp"

namespace rwkv7::detail {

struct ExactKernels {
  // Sixteen partial sums in a fixed order; no reassociation by the compiler (no -ffast-math needed).
  template <class Load>
  static float dot(const std::byte* row, const float* x, std::size_t in) {
    constexpr std::size_t kLanes = 16;
    float acc[kLanes] = {};
    std::size_t i = 0;
    for (; i + kLanes <= in; i += kLanes)
      for (std::size_t l = 0; l < kLanes; ++l) acc[l] = Load::at(row, i + l) * x[i + l] + acc[l];
    float tail = 0.0f;
    for (; i < in; ++i) tail = Load::at(row, i) * x[i] + tail;
    float sum = 0.0f;
    for (std::size_t l = 0; l < kLanes; ++l) sum += acc[l];
    return sum + tail;
  }
  template <class Load>
  static void axpy(const std::byte* row, float s, float* y, std::size_t n) {
    for (std::size_t o = 0; o < n; ++o) y[o] = Load::at(row, o) * s + y[o];
  }
  template <class Load>
  static void dot4(const std::byte* row, const float* x, std::size_t in, float* out) {
    for (std::size_t c = 0; c < 4; ++c) out[c] = dot<Load>(row, x + c * in, in);
  }
  static constexpr auto wkv7_step = detail::wkv7_step;
};

struct SimdKernels {
  template <class Load>
  static float dot(const std::byte* row, const float* x, std::size_t in) { return simd::dot<Load>(row, x, in); }
  template <class Load>
  static void axpy(const std::byte* row, float s, float* y, std::size_t n) { simd::axpy<Load>(row, s, y, n); }
  template <class Load>
  static void dot4(const std::byte* row, const float* x, std::size_t in, float* out) {
    simd::dot4<Load>(row, x, x + in, x + 2 * in, x + 3 * in, in, out);
  }
  static constexpr auto wkv7_step = detail::wkv7_step_simd;
};

// Below this many multiply-adds a matrix product is not worth waking other threads for.
constexpr std::size_t kParallelWork = 1 << 16;

template <class F>
inline void with_loader(DType t, F&& f) {
  switch (t) {
    case DType::f32: f(LoadF32{}); break;
    case DType::bf16: f(LoadBF16{}); break;
    case DType::f16: f(LoadF16{}); break;
    case DType::q8: f(LoadQ8{}); break;
    case DType::unsupported: fail(Errc::dtype, "a tensor with an unsupported dtype reached a kernel");
  }
}

template <class K>
struct MatMul {
  ThreadPool* pool = nullptr;

  // Y[c] = W X[c] for n packed columns (X: n × in, Y: n × out).
  void operator()(const Linear& m, const float* x, std::size_t n, float* y) const {
    const auto in = static_cast<std::size_t>(m.in), out = static_cast<std::size_t>(m.out);
    with_loader(m.w.dtype, [&](auto load) {
      using Load = decltype(load);
      if (m.transposed) {  // [in, out] storage (LoRA factors, small): accumulate x_i · row_i
        for (std::size_t c = 0; c < n; ++c) {
          float* yc = y + c * out;
          std::fill(yc, yc + out, 0.0f);
          for (std::size_t i = 0; i < in; ++i) K::template axpy<Load>(m.w.data + i * out * Load::size, x[c * in + i], yc, out);
        }
        return;
      }
      rows<Load>(m.w.data, m.row_scale, in, x, n, [&](std::size_t k) { return k; }, out, y, out);
    });
  }

  // Only the listed output rows (a partial LM head) for one column: y[j] = (W x)[ids[j]].
  void subset(const Linear& m, const float* x, std::span<const std::uint32_t> ids, float* y) const {
    with_loader(m.w.dtype, [&](auto load) {
      using Load = decltype(load);
      rows<Load>(m.w.data, m.row_scale, static_cast<std::size_t>(m.in), x, 1, [&](std::size_t k) { return std::size_t{ids[k]}; }, ids.size(), y, ids.size());
    });
  }

 private:
  template <class Load, class RowOf>
  void rows(const std::byte* w, const float* row_scale, std::size_t in, const float* x, std::size_t n, RowOf row_of, std::size_t count,
            float* y, std::size_t ld_y) const {
    auto body = [&](std::size_t begin, std::size_t end) {
      for (std::size_t k = begin; k < end; ++k) {
        const std::size_t r = row_of(k);
        const std::byte* row = w + r * in * Load::size;
        const float scale = row_scale ? row_scale[r] : 1.0f;
        std::size_t c = 0;
        for (float four[4]; c + 4 <= n; c += 4) {
          K::template dot4<Load>(row, x + c * in, in, four);
          for (std::size_t j = 0; j < 4; ++j) y[(c + j) * ld_y + k] = four[j] * scale;
        }
        for (; c < n; ++c) y[c * ld_y + k] = K::template dot<Load>(row, x + c * in, in) * scale;
      }
    };
    if (pool && pool->size() > 1 && count * in * n >= kParallelWork) pool->parallel_for(count, body);
    else body(0, count);
  }
};

// A small tensor (mixes, norms, biases) converted to fp32 once, at load.
inline std::vector<float> to_float(const TensorView& t) {
  std::vector<float> out(static_cast<std::size_t>(t.numel()));
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = element(t.data, t.dtype, i);
  return out;
}

}  // namespace rwkv7::detail
