// rwkv7/kernels/int8_products.hpp — products of int8 weights (one scale per row, quant/int8.hpp) with int8
// activations (Activations::int8): each column of activations is quantized in blocks of kInt8Block values, one
// scale per block (max|x| / 127, round half away from zero), so a block's products sum exactly in int32 and only
// the blocks' sums meet floating point:
//
//   y[o] = s_w[o] · Σ_b s_b · (Σ_{i∈b} q_w[o][i] · q_x[i])
//
// Blocks rather than one scale per column: an outlier then coarsens only its own block (llama.cpp's Q8_0
// activations use blocks of 32). With AVX512-VNNI one instruction adds 64 byte products into 16 int32 lanes; it
// multiplies unsigned by signed bytes, so the weights are flipped to unsigned (q + 128) and each block's sum
// starts at −128 · Σ q_x, which the quantizer stores beside the scale.
//
// With VNNI every product goes through blocks of 32 rows packed so that one vector holds 4 bytes of each of 16 rows
// (the CPU backend packs its int8 matrices so at load; other matrices are repacked per product): the 16 lanes of
// an accumulator are 16 rows' sums, so a column alone and a column inside a chunk add the same integers in the same
// order, with no horizontal adds. The exact kernels round the product and the sum apart, so they agree with the
// SIMD ones to rounding (amplified, through the next quantization, to at most the size of the quantization error).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "../detail/cache_aligned.hpp"
#include "../detail/isa.hpp"

#if RWKV7_SIMD && defined(__AVX512VNNI__) && defined(__AVX512BW__)
#include <immintrin.h>

#include "packed_bf16.hpp"  // pack_rows
#endif

namespace rwkv7::detail {
inline namespace RWKV7_ISA_NAMESPACE {

constexpr std::size_t kInt8Block = 64;

constexpr std::size_t int8_blocks(std::size_t in) { return (in + kInt8Block - 1) / kInt8Block; }

// Columns of activations quantized for int8 products: q (in bytes a column), and per block a scale and the VNNI
// offset −128 · Σ q.
struct Int8Columns {
  const std::int8_t* q;
  const float* scale;
  const std::int32_t* offset;
  std::size_t in, blocks;  // per column
  const std::int8_t* q_of(std::size_t c) const { return q + c * in; }
  const float* scale_of(std::size_t c) const { return scale + c * blocks; }
  const std::int32_t* offset_of(std::size_t c) const { return offset + c * blocks; }
};

// Where a product's quantized activations are kept between calls (grown, never shrunk).
struct Int8ActivationBuffer {
  CacheAlignedVector<std::int8_t> q;
  CacheAlignedVector<float> scale;
  CacheAlignedVector<std::int32_t> offset;
  void reserve(std::size_t values, std::size_t blocks) {
    if (q.size() < values) q.resize(values);
    if (scale.size() < blocks) scale.resize(blocks), offset.resize(blocks);
  }
};

// One column x of `in` values into q, scale and offset (int8_blocks(in) of each). One
// code path for every kernel set, so the exact and the SIMD kernels multiply the same integers. A block of zeros
// gets scale 0.
inline void quantize_column(const float* x, std::size_t in, std::int8_t* q, float* scale, std::int32_t* offset) {
  for (std::size_t b = 0; b * kInt8Block < in; ++b) {
    const std::size_t lo = b * kInt8Block, hi = std::min(in, lo + kInt8Block);
    float peak = 0.0f;
    for (std::size_t i = lo; i < hi; ++i) peak = std::max(peak, std::abs(x[i]));
    const float inverse = peak > 0.0f ? 127.0f / peak : 0.0f;
    std::int32_t sum = 0;
    for (std::size_t i = lo; i < hi; ++i) {
      const float t = x[i] * inverse;  // |t| ≤ 127 (up to rounding of the inverse)
      const int v = std::clamp(static_cast<int>(t + (t < 0.0f ? -0.5f : 0.5f)), -127, 127);
      q[i] = static_cast<std::int8_t>(v);
      sum += v;
    }
    scale[b] = peak / 127.0f;
    offset[b] = -128 * sum;
  }
}

// n columns (x: n × in) into buf; returns the view the kernels read.
inline Int8Columns quantize_columns(const float* x, std::size_t n, std::size_t in, std::int8_t* q, float* scale, std::int32_t* offset) {
  const std::size_t blocks = int8_blocks(in);
  for (std::size_t c = 0; c < n; ++c)
    quantize_column(x + c * in, in, q + c * in, scale + c * blocks, offset + c * blocks);
  return {q, scale, offset, in, blocks};
}

// The plain C++ product, the reference the SIMD kernels are tested against: column c of x against `count` rows of
// w (row_stride bytes apart), y[k] for row k, before the rows' scales.
inline void int8_rows_exact(const std::byte* w, std::size_t row_stride, std::size_t count, const Int8Columns& x, std::size_t c, float* y) {
  const std::int8_t* q = x.q_of(c);
  for (std::size_t k = 0; k < count; ++k) {
    const auto* row = reinterpret_cast<const std::int8_t*>(w + k * row_stride);
    float sum = 0.0f;
    for (std::size_t b = 0; b < x.blocks; ++b) {
      std::int32_t dot = 0;
      for (std::size_t i = b * kInt8Block; i < std::min(x.in, (b + 1) * kInt8Block); ++i) dot += std::int32_t{row[i]} * q[i];
      sum = static_cast<float>(dot) * x.scale_of(c)[b] + sum;
    }
    y[k] = sum;
  }
}

}  // namespace RWKV7_ISA_NAMESPACE
}  // namespace rwkv7::detail

#if RWKV7_SIMD && defined(__AVX512VNNI__) && defined(__AVX512BW__)
namespace rwkv7::detail::simd {
inline namespace RWKV7_ISA_NAMESPACE {

// Blocks of kPackedRows rows packed (pack_rows: one vector holds 4 bytes of each of 16 rows) and flipped to
// unsigned; every column's 4-byte groups are broadcast against them.
constexpr std::size_t kInt8PackedColumns = 6;  // 2 blocks × 6 columns × (int32 + fp32) = 24 accumulators

inline void flip_packed(std::uint32_t* packed, std::size_t words) {
  const __m512i flip = _mm512_set1_epi8(static_cast<char>(0x80));
  std::size_t i = 0;
  for (; i + 16 <= words; i += 16) _mm512_storeu_si512(packed + i, _mm512_xor_si512(_mm512_loadu_si512(packed + i), flip));
  for (; i < words; ++i) packed[i] ^= 0x80808080u;
}

// ys[c][r] = Σ_b s_b · (Σ_{i∈b} row r · column c) for r < live and C columns c0.. of x; x.in % 4 == 0.
template <std::size_t C>
inline void int8_packed_tile(const std::uint32_t* packed, const Int8Columns& x, std::size_t c0, float* const* ys, std::size_t live) {
  constexpr std::size_t B = kPackedBlocks, kWordsPerBlock = kInt8Block / 4;
  const std::size_t words = x.in / 4;
  const std::uint32_t* cols[C];
  for (std::size_t c = 0; c < C; ++c) cols[c] = reinterpret_cast<const std::uint32_t*>(x.q_of(c0 + c));
  __m512 sum[B * C];
  RWKV7_UNROLL
  for (auto& s : sum) s = _mm512_setzero_ps();
  for (std::size_t blk = 0; blk < x.blocks; ++blk) {
    __m512i dot[B * C];
    RWKV7_UNROLL
    for (std::size_t c = 0; c < C; ++c) {
      const __m512i start = _mm512_set1_epi32(x.offset_of(c0 + c)[blk]);
      RWKV7_UNROLL
      for (std::size_t b = 0; b < B; ++b) dot[b * C + c] = start;
    }
    const std::size_t last = std::min(words, (blk + 1) * kWordsPerBlock);
    for (std::size_t p = blk * kWordsPerBlock; p < last; ++p) {
      __m512i wv[B];
      RWKV7_UNROLL
      for (std::size_t b = 0; b < B; ++b) wv[b] = _mm512_loadu_si512(packed + (p * B + b) * 16);
      RWKV7_UNROLL
      for (std::size_t c = 0; c < C; ++c) {
        std::uint32_t group;
        std::memcpy(&group, cols[c] + p, 4);
        __m512i xv = _mm512_set1_epi32(static_cast<int>(group));
        __asm__("" : "+v"(xv));  // broadcast once, not once per block (keep_in_register)
        RWKV7_UNROLL
        for (std::size_t b = 0; b < B; ++b) dot[b * C + c] = _mm512_dpbusd_epi32(dot[b * C + c], wv[b], xv);
      }
    }
    RWKV7_UNROLL
    for (std::size_t c = 0; c < C; ++c) {
      const __m512 s = _mm512_set1_ps(x.scale_of(c0 + c)[blk]);
      RWKV7_UNROLL
      for (std::size_t b = 0; b < B; ++b) sum[b * C + c] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot[b * C + c]), s, sum[b * C + c]);
    }
  }
  RWKV7_UNROLL
  for (std::size_t b = 0; b < B; ++b) {
    if (live <= 16 * b) break;
    const std::size_t rows = live - 16 * b < 16 ? live - 16 * b : 16;
    const auto mask = static_cast<__mmask16>((1u << rows) - 1u);
    RWKV7_UNROLL
    for (std::size_t c = 0; c < C; ++c) _mm512_mask_storeu_ps(ys[c] + 16 * b, mask, sum[b * C + c]);
  }
}

}  // namespace RWKV7_ISA_NAMESPACE
}  // namespace rwkv7::detail::simd
#endif
