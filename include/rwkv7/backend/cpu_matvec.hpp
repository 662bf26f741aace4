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
#include <span>
#include <type_traits>
#include <vector>

#include "../detail/cache_aligned.hpp"
#include "../detail/half.hpp"
#include "../detail/thread_pool.hpp"
#include "../model/weights.hpp"
#include "../layers/wkv7.hpp"
#include "lanes.hpp"
#include "packed_bf16.hpp"
#include "simd_dot.hpp"
#include "../detail/isa.hpp"

namespace rwkv7::detail {
inline namespace RWKV7_ISA_NAMESPACE {

struct ExactKernels {
  // Sixteen partial sums in a fixed order; no reassociation by the compiler (no -ffast-math needed).
  template <class Load, class Act>
  static float dot(const std::byte* row, const Act* x, std::size_t in) {
    constexpr std::size_t kLanes = 16;
    float acc[kLanes] = {};
    std::size_t i = 0;
    for (; i + kLanes <= in; i += kLanes)
      for (std::size_t l = 0; l < kLanes; ++l) acc[l] = Load::at(row, i + l) * activation(x, i + l) + acc[l];
    float tail = 0.0f;
    for (; i < in; ++i) tail = Load::at(row, i) * activation(x, i) + tail;
    float sum = 0.0f;
    for (std::size_t l = 0; l < kLanes; ++l) sum += acc[l];
    return sum + tail;
  }
  template <class Load, std::size_t C>
  static void transposed_tile(const std::byte* w, std::size_t in, std::size_t out, const float* const* xs, float* const* ys) {
    for (std::size_t c = 0; c < C; ++c) {
      std::fill(ys[c], ys[c] + out, 0.0f);
      for (std::size_t i = 0; i < in; ++i)
        for (std::size_t o = 0; o < out; ++o) ys[c][o] = Load::at(w + i * out * Load::size, o) * xs[c][i] + ys[c][o];
    }
  }
  template <class Load, std::size_t R, std::size_t C, class Act>
  static void dot_tile(const std::byte* const* rows, const Act* const* xs, std::size_t in, float* out) {
    for (std::size_t r = 0; r < R; ++r)
      for (std::size_t c = 0; c < C; ++c) out[r * C + c] = dot<Load>(rows[r], xs[c], in);
  }
  static constexpr auto wkv7_step = detail::wkv7_step;
  template <class Load>
  static constexpr std::size_t decode_rows = 4;
  template <class Load, class Act>
  static constexpr std::size_t tile_columns = 4;
  static constexpr bool kPackedBf16 = false;
  template <class F>
  static void elementwise(std::size_t n, F&& f) { each_scalar(n, f); }
};

#if RWKV7_SIMD
struct SimdKernels {
  template <class Load, std::size_t R, std::size_t C, class Act>
  static void dot_tile(const std::byte* const* rows, const Act* const* xs, std::size_t in, float* out) {
    simd::dot_tile<Load, R, C>(rows, xs, in, out);
  }
  template <class Load, std::size_t C>
  static void transposed_tile(const std::byte* w, std::size_t in, std::size_t out, const float* const* xs, float* const* ys) {
    simd::transposed_tile<Load, C>(w, in, out, xs, ys);
  }
  static constexpr auto wkv7_step = detail::wkv7_step_simd;
  template <class Load>
  static constexpr std::size_t decode_rows = simd::kDecodeRows<Load>;
  template <class Load, class Act>
  static constexpr std::size_t tile_columns = simd::kRowTileColumns<Load, Act>;
  template <class Load, class Act>
  static void dot_rows(const std::byte* w, std::size_t stride, std::size_t count, const Act* x, std::size_t in, float* y) {
    simd::dot_rows<Load>(w, stride, count, x, in, y);
  }
#if defined(__AVX512BF16__)
  static constexpr bool kPackedBf16 = true;
  static constexpr std::size_t kPackedRows = simd::kPackedRows, kPackedColumns = simd::kPackedColumns;
  static constexpr std::size_t kPackedMinColumns = simd::kPackedMinColumns;
  static constexpr auto pack_rows = simd::pack_rows;
  template <std::size_t C>
  static void packed_tile(const std::uint32_t* packed, std::size_t pairs, const std::uint16_t* const* xs, float* const* ys, std::size_t live) {
    simd::packed_tile<C>(packed, pairs, xs, ys, live);
  }
#else
  static constexpr bool kPackedBf16 = false;
#endif
  template <class F>
  static void elementwise(std::size_t n, F&& f) { each_vector(n, f); }
};
#else
using SimdKernels = ExactKernels;  // no SIMD instruction set here: the reference kernels are the fast path
#endif

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
  // Activations::bf16: activations entering products with bf16 weights are rounded to bf16 here (AVX512-BF16 then
  // multiplies them at twice the fp32 rate). Null for exact fp32 activations.
  CacheAlignedVector<std::uint16_t>* bf16_activations = nullptr;

  // Y[c] = W X[c] for n packed columns (X: n × in, Y: n × out).
  void operator()(const Linear& m, const float* x, std::size_t n, float* y) const {
    const auto in = static_cast<std::size_t>(m.in), out = static_cast<std::size_t>(m.out);
    with_loader(m.w.dtype, [&](auto load) {
      using Load = decltype(load);
      if (m.transposed) {  // [in, out] storage (LoRA factors, small): threads take whole column tiles
        const std::size_t tiles = (n + kTileColumns - 1) / kTileColumns;
        parallel(tiles, kTileColumns * in * out, [&](std::size_t t0, std::size_t t1) {
          const std::size_t first = t0 * kTileColumns, last = std::min(n, t1 * kTileColumns);
          for_column_tiles<kTileColumns>(last - first, [&](std::size_t c, auto width) {
            constexpr std::size_t Cw = decltype(width)::value;
            const float* xs[Cw];
            float* ys[Cw];
            for (std::size_t j = 0; j < Cw; ++j) xs[j] = x + (first + c + j) * in, ys[j] = y + (first + c + j) * out;
            K::template transposed_tile<Load, Cw>(m.w.data, in, out, xs, ys);
          });
        });
        return;
      }
      as_kernel_input<Load>(x, n * in, [&](const auto* xk) {
        if (packed(m, xk, n, y)) return;
        auto row_k = [](std::size_t k) { return k; };
        if (n == 1) decode<Load>(m, xk, y);
        else rows<Load, kTileRows>(m.w.data, m.row_scale, in, xk, n, row_k, out, y, out);
      });
    });
  }

  // f(begin, end) over [0, count) independent items of about `work` operations each, on one thread when the
  // total is too small to be worth waking the others; pieces start on multiples of `grain`. The products use it,
  // and it is lent to the layers' elementwise phases.
  template <class F>
  void parallel(std::size_t count, std::size_t work, F&& f, std::size_t grain = 1) const {
    if (pool && pool->size() > 1 && count > 1 && count * work >= kParallelWork) pool->parallel_for(count, f, grain);
    else f(std::size_t{0}, count);
  }

  // Only the listed output rows (a partial LM head) for one column: y[j] = (W x)[ids[j]].
  void subset(const Linear& m, const float* x, std::span<const std::uint32_t> ids, float* y) const {
    with_loader(m.w.dtype, [&](auto load) {
      using Load = decltype(load);
      as_kernel_input<Load>(x, static_cast<std::size_t>(m.in), [&](const auto* xk) {
        rows<Load, kTileRows>(m.w.data, m.row_scale, static_cast<std::size_t>(m.in), xk, 1, [&](std::size_t k) { return std::size_t{ids[k]}; }, ids.size(), y,
                              ids.size());
      });
    });
  }

 private:
  // Calls f with the activations as the kernels take them: x itself, or x rounded to bf16 (bf16 compute over
  // bf16 weights).
  template <class Load, class F>
  void as_kernel_input(const float* x, std::size_t count, F&& f) const {
    if constexpr (std::is_same_v<Load, LoadBF16>) {
      if (bf16_activations) {
        CacheAlignedVector<std::uint16_t>& xb = *bf16_activations;
        xb.resize(count);
        for (std::size_t i = 0; i < count; ++i) xb[i] = float_to_bf16(x[i]);
        f(static_cast<const std::uint16_t*>(xb.data()));
        return;
      }
    }
    f(x);
  }

  // Each thread owns a contiguous range of output rows, so every weight is read from memory once per call and
  // reused from cache for all columns. Chunks take tiles of kTileRows × the kernel set's tile_columns (4, or 3
  // where each row is summed in two chains): each weight vector loaded serves every column of the tile and each
  // activation vector 4 rows. A single column (decoding) is memory-bound; how many rows its tiles take is the
  // kernel set's decode_rows (see simd_dot.hpp). Scattered rows (a partial LM head) keep 4-row tiles, for more
  // cache misses in flight. The LoRA factors go in tiles of kTileColumns.
  static constexpr std::size_t kTileRows = 4, kTileColumns = 4;

  // Calls f(first column, width) over n columns in tiles of Columns, then one narrower tile; width is a
  // compile-time constant so the kernels unroll over columns.
  template <std::size_t Columns, class F>
  static void for_column_tiles(std::size_t n, F&& f) {
    std::size_t c = 0;
    for (; c + Columns <= n; c += Columns) f(c, std::integral_constant<std::size_t, Columns>{});
    if (c < n) with_width<Columns - 1>(n - c, [&](auto width) { f(c, width); });
  }
  // f(width) with width == w as a compile-time constant, 1 ≤ w ≤ Max.
  template <std::size_t Max, class F>
  static void with_width(std::size_t w, F&& f) {
    if constexpr (Max >= 1) {
      if (w == Max) f(std::integral_constant<std::size_t, Max>{});
      else with_width<Max - 1>(w, f);
    }
  }

  // One column: rows one at a time where the kernel set streams them so (decode_rows 1, see simd_dot.hpp), each
  // thread through its contiguous range; else row tiles.
  template <class Load, class Act>
  void decode(const Linear& m, const Act* x, float* y) const {
    const auto in = static_cast<std::size_t>(m.in), out = static_cast<std::size_t>(m.out);
    if constexpr (K::template decode_rows<Load> == 1) {
      parallel(out, in, [&](std::size_t begin, std::size_t end) {
        K::template dot_rows<Load>(m.w.data + begin * in * Load::size, in * Load::size, end - begin, x, in, y + begin);
        if (m.row_scale)
          for (std::size_t k = begin; k < end; ++k) y[k] *= m.row_scale[k];
      });
    } else {
      rows<Load, K::template decode_rows<Load>>(m.w.data, m.row_scale, in, x, 1, [](std::size_t k) { return k; }, out, y, out);
    }
  }

  // Chunks of bf16 activations (so bf16 weights) take the packed kernels where the CPU has them; false: not taken.
  template <class Act>
  bool packed(const Linear& m, const Act* x, std::size_t n, float* y) const {
    if constexpr (K::kPackedBf16 && std::is_same_v<Act, std::uint16_t>) {
      if (n >= K::kPackedMinColumns && m.in % 2 == 0) {
        packed_rows(m.w.data, static_cast<std::size_t>(m.in), x, n, static_cast<std::size_t>(m.out), y);
        return true;
      }
    }
    (void)m, (void)x, (void)n, (void)y;
    return false;
  }

  // Chunk products of bf16 weights and bf16 activations through repacked row blocks (packed_bf16.hpp). Threads
  // own contiguous output rows, as in rows(); a block's results do not depend on where it starts.
  void packed_rows(const std::byte* w, std::size_t in, const std::uint16_t* x, std::size_t n, std::size_t count, float* y) const {
    const std::size_t pairs = in / 2;
    auto body = [&](std::size_t begin, std::size_t end) {
      // Kept per thread across calls: a fresh buffer per product was a fresh mmap, and its page faults cost more
      // than the packing.
      thread_local std::vector<std::uint32_t> packed;
      if (packed.size() < pairs * K::kPackedRows) packed.resize(pairs * K::kPackedRows);
      for (std::size_t k = begin; k < end; k += K::kPackedRows) {
        const std::size_t live = std::min(K::kPackedRows, end - k);
        const std::byte* tile_rows[K::kPackedRows];
        for (std::size_t j = 0; j < live; ++j) tile_rows[j] = w + (k + j) * in * 2;
        K::pack_rows(tile_rows, live, pairs, packed.data());
        for_column_tiles<K::kPackedColumns>(n, [&](std::size_t c, auto width) {
          constexpr std::size_t Cw = decltype(width)::value;
          const std::uint16_t* xs[Cw];
          float* ys[Cw];
          for (std::size_t j = 0; j < Cw; ++j) xs[j] = x + (c + j) * in, ys[j] = y + (c + j) * count + k;
          K::template packed_tile<Cw>(packed.data(), pairs, xs, ys, live);
        });
      }
    };
    parallel(count, in * n, body, K::kPackedRows);
  }

  // Output rows go in tiles of R; the last tile repeats its final row rather than needing more kernels.
  template <class Load, std::size_t R, class Act, class RowOf>
  void rows(const std::byte* w, const float* row_scale, std::size_t in, const Act* x, std::size_t n, RowOf row_of, std::size_t count,
            float* y, std::size_t ld_y) const {
    auto body = [&](std::size_t begin, std::size_t end) {
      for (std::size_t k = begin; k < end; k += R) {
        const std::size_t live = std::min(R, end - k);
        const std::byte* tile_rows[R];
        for (std::size_t j = 0; j < R; ++j) tile_rows[j] = w + row_of(k + std::min(j, live - 1)) * in * Load::size;
        for_column_tiles<K::template tile_columns<Load, Act>>(n, [&](std::size_t c, auto width) {
          constexpr std::size_t Cw = decltype(width)::value;
          const Act* xs[Cw];
          for (std::size_t j = 0; j < Cw; ++j) xs[j] = x + (c + j) * in;
          float tile[R * Cw];
          K::template dot_tile<Load, R, Cw>(tile_rows, xs, in, tile);
          for (std::size_t r = 0; r < live; ++r) {
            const float scale = row_scale ? row_scale[row_of(k + r)] : 1.0f;
            for (std::size_t j = 0; j < Cw; ++j) y[(c + j) * ld_y + k + r] = tile[r * Cw + j] * scale;
          }
        });
      }
    };
    parallel(count, in * n, body, R);
  }
};

// A small tensor (mixes, norms, biases) converted to fp32 once, at load.
inline std::vector<float> to_float(const TensorView& t) {
  std::vector<float> out(static_cast<std::size_t>(t.numel()));
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = element(t.data, t.dtype, i);
  return out;
}

}  // namespace RWKV7_ISA_NAMESPACE
}  // namespace rwkv7::detail
