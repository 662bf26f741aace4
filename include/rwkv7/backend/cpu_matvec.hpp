// rwkv7/backend/cpu_matvec.hpp — Y = W X over fp32/fp16/bf16 weights read in place from the file, for one
// or several columns (tokens of a chunk, or one token of each of several sequences). Decoding reads every
// weight once per token, so this is where the time goes; with several columns each weight row is read once
// from memory and reused from cache for every column.
#pragma once

#include <algorithm>
#include <vector>

#include "../detail/half.hpp"
#include "../model/weights.hpp"

namespace rwkv7::detail {

// One output of a row-major weight row against one column. Sixteen partial sums let the compiler vectorize
// without reassociating (no -ffast-math), and the order is fixed, so a column gives the same bits whether it is
// computed alone or in a batch.
template <class Load>
inline float dot_row(const std::byte* row, const float* x, std::int64_t in) {
  constexpr int kLanes = 16;
  float acc[kLanes] = {};
  std::int64_t i = 0;
  for (; i + kLanes <= in; i += kLanes)
    for (int l = 0; l < kLanes; ++l) acc[l] = Load::at(row, static_cast<std::size_t>(i + l)) * x[i + l] + acc[l];
  float tail = 0.0f;
  for (; i < in; ++i) tail = Load::at(row, static_cast<std::size_t>(i)) * x[i] + tail;
  float sum = 0.0f;
  for (int l = 0; l < kLanes; ++l) sum += acc[l];
  return sum + tail;
}

// W stored [out, in]. X: n columns of `in` floats, ld_x apart; Y: n columns of `out` floats, ld_y apart.
// `rows` (optional) restricts the outputs to those row indices: Y column j then has rows.size() entries.
template <class Load>
void matmul_rows(const std::byte* w, std::int64_t in, std::int64_t out, const float* x, std::size_t ld_x, std::size_t n, float* y,
                 std::size_t ld_y, const std::uint32_t* rows, std::size_t n_rows) {
  const std::size_t count = rows ? n_rows : static_cast<std::size_t>(out);
  for (std::size_t k = 0; k < count; ++k) {
    const std::size_t o = rows ? rows[k] : k;
    const std::byte* row = w + o * static_cast<std::size_t>(in) * Load::size;
    for (std::size_t c = 0; c < n; ++c) y[c * ld_y + k] = dot_row<Load>(row, x + c * ld_x, in);
  }
}

// W stored [in, out] (RWKV-LM LoRA factors): accumulate x_i · row_i per column.
template <class Load>
void matmul_cols(const std::byte* w, std::int64_t in, std::int64_t out, const float* x, std::size_t ld_x, std::size_t n, float* y,
                 std::size_t ld_y) {
  for (std::size_t c = 0; c < n; ++c) {
    float* yc = y + c * ld_y;
    const float* xc = x + c * ld_x;
    std::fill(yc, yc + out, 0.0f);
    for (std::int64_t i = 0; i < in; ++i) {
      const std::byte* row = w + static_cast<std::size_t>(i * out) * Load::size;
      const float xi = xc[i];
      for (std::int64_t o = 0; o < out; ++o) yc[o] = Load::at(row, static_cast<std::size_t>(o)) * xi + yc[o];
    }
  }
}

template <class F>
inline void with_loader(DType t, F&& f) {
  switch (t) {
    case DType::f32: f(LoadF32{}); break;
    case DType::bf16: f(LoadBF16{}); break;
    case DType::f16: f(LoadF16{}); break;
    case DType::unsupported: fail(Errc::dtype, "a tensor with an unsupported dtype reached a kernel");
  }
}

// Y[c] = W X[c] for n columns; columns are packed (ld = in / out).
inline void matmul(const Linear& m, const float* x, std::size_t n, float* y) {
  with_loader(m.w.dtype, [&](auto load) {
    using Load = decltype(load);
    const auto in = static_cast<std::size_t>(m.in), out = static_cast<std::size_t>(m.out);
    if (m.transposed) matmul_cols<Load>(m.w.data, m.in, m.out, x, in, n, y, out);
    else matmul_rows<Load>(m.w.data, m.in, m.out, x, in, n, y, out, nullptr, 0);
  });
}

inline void matvec(const Linear& m, const float* x, float* y) { matmul(m, x, 1, y); }

// Only the listed output rows of W x (a partial LM head): y[j] = (W x)[rows[j]].
inline void matvec_rows_subset(const Linear& m, const float* x, const std::uint32_t* rows, std::size_t n_rows, float* y) {
  with_loader(m.w.dtype, [&](auto load) {
    using Load = decltype(load);
    matmul_rows<Load>(m.w.data, m.in, m.out, x, static_cast<std::size_t>(m.in), 1, y, n_rows, rows, n_rows);
  });
}

// A small tensor (mixes, norms, biases) converted to fp32 once, at load.
inline std::vector<float> to_float(const TensorView& t) {
  std::vector<float> out(static_cast<std::size_t>(t.numel()));
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = element(t.data, t.dtype, i);
  return out;
}

}  // namespace rwkv7::detail
