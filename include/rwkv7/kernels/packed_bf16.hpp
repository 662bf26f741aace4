// rwkv7/kernels/packed_bf16.hpp — chunk products of bf16 weights with bf16-rounded activations (AVX512-BF16),
// the prefill fast path of Activations::bf16.
//
// The row-dot tiles (simd_dot.hpp) end every output with a horizontal sum, which costs as much as a fifth of the
// multiplies for 768-wide rows. Here a block of 32 weight rows is repacked, in a small per-thread buffer, so that
// one vector holds the same pair of inputs for 16 rows; one dot-product instruction then advances 16 outputs of
// a column by two inputs, with the column's pair broadcast, and the outputs come out whole, one per lane. Each
// packed block is reused from cache for every column of the chunk, so packing costs a pass over the weights
// that the products make anyway.
//
// Every output is one chain in input order. That is not the row-dot tiles' order, so a chunk agrees with token
// by token decoding to rounding rather than bit for bit (both are approximations of the exact fp32 path, which
// is untouched); the thread count still changes nothing.
#pragma once

#include <cstdint>
#include <algorithm>
#include <cstring>

#include "../detail/isa.hpp"
#include "simd_dot.hpp"

#if RWKV7_SIMD && defined(__AVX512F__)
namespace rwkv7::detail::simd {
inline namespace RWKV7_ISA_NAMESPACE {

constexpr std::size_t kPackedBlocks = 2;                    // 16-row vectors per packed tile
constexpr std::size_t kPackedRows = 16 * kPackedBlocks;     // weight rows per packed tile
constexpr std::size_t kPackedColumns = 12;                  // 24 accumulators + 2 weight vectors + 1 broadcast
constexpr std::size_t kPackedMinColumns = 32;               // fewer columns do not pay for the repacking

// Sixteen rows of 16 words each → sixteen vectors of one word from each row: v[j] lane i = a[i] word j.
// Three rounds of pairwise interleaves (words, word pairs, then 128-bit quarters twice), 64 shuffles.
inline void transpose16(const __m512i (&a)[16], __m512i (&v)[16]) {
  __m512i t[16], u[16];
  for (int i = 0; i < 8; ++i) {
    t[2 * i] = _mm512_unpacklo_epi32(a[2 * i], a[2 * i + 1]);
    t[2 * i + 1] = _mm512_unpackhi_epi32(a[2 * i], a[2 * i + 1]);
  }
  // u[4i + m], quarter k: word 4k + m of rows 4i .. 4i + 3
  for (int i = 0; i < 4; ++i) {
    u[4 * i + 0] = _mm512_unpacklo_epi64(t[4 * i], t[4 * i + 2]);
    u[4 * i + 1] = _mm512_unpackhi_epi64(t[4 * i], t[4 * i + 2]);
    u[4 * i + 2] = _mm512_unpacklo_epi64(t[4 * i + 1], t[4 * i + 3]);
    u[4 * i + 3] = _mm512_unpackhi_epi64(t[4 * i + 1], t[4 * i + 3]);
  }
  for (int m = 0; m < 4; ++m) {
    const __m512i low01 = _mm512_shuffle_i32x4(u[m], u[4 + m], 0x44), high01 = _mm512_shuffle_i32x4(u[m], u[4 + m], 0xEE);
    const __m512i low23 = _mm512_shuffle_i32x4(u[8 + m], u[12 + m], 0x44), high23 = _mm512_shuffle_i32x4(u[8 + m], u[12 + m], 0xEE);
    v[m] = _mm512_shuffle_i32x4(low01, low23, 0x88);
    v[4 + m] = _mm512_shuffle_i32x4(low01, low23, 0xDD);
    v[8 + m] = _mm512_shuffle_i32x4(high01, high23, 0x88);
    v[12 + m] = _mm512_shuffle_i32x4(high01, high23, 0xDD);
  }
}

// packed[(p·kPackedBlocks + b)·16 + l] = the input pair (2p, 2p+1) of row 16b + l, as one 32-bit word (or for
// int8 rows, int8_products.hpp, inputs 4p .. 4p+3); rows
// from `live` on are zero. rows[r] points at row r (r < live); `pairs` = inputs / 2. Sixteen pairs of sixteen
// rows at a time, so sixteen rows stream from memory together.
inline void pack_rows(const std::byte* const* rows, std::size_t live, std::size_t pairs, std::uint32_t* packed) {
  std::size_t p = 0;
  for (; p + 16 <= pairs; p += 16)
    for (std::size_t b = 0; b < kPackedBlocks; ++b) {
      __m512i a[16], v[16];
      for (std::size_t l = 0; l < 16; ++l)
        a[l] = 16 * b + l < live ? _mm512_loadu_si512(rows[16 * b + l] + 4 * p) : _mm512_setzero_si512();
      transpose16(a, v);
      for (std::size_t j = 0; j < 16; ++j) _mm512_storeu_si512(packed + ((p + j) * kPackedBlocks + b) * 16, v[j]);
    }
  for (; p < pairs; ++p)
    for (std::size_t r = 0; r < kPackedRows; ++r) {
      std::uint32_t word = 0;
      if (r < live) std::memcpy(&word, rows[r] + 4 * p, 4);
      packed[p * kPackedRows + r] = word;
    }
}

// A whole [out, in] bf16 matrix (in even) packed once, block after block of kPackedRows rows, for the products
// that read it packed (Linear::packed): packed_matrix_words(out, in) words at dst.
inline std::size_t packed_matrix_words(std::size_t out, std::size_t in) { return (out + kPackedRows - 1) / kPackedRows * kPackedRows * (in / 2); }
inline void pack_matrix(const std::byte* w, std::size_t out, std::size_t in, std::uint32_t* dst) {
  const std::size_t pairs = in / 2;
  for (std::size_t k = 0; k < out; k += kPackedRows) {
    const std::size_t live = std::min(kPackedRows, out - k);
    const std::byte* rows[kPackedRows];
    for (std::size_t j = 0; j < live; ++j) rows[j] = w + (k + j) * in * 2;
    pack_rows(rows, live, pairs, dst + k * pairs);
  }
}

#if defined(__AVX512BF16__)
// ys[c][r] = Σ_p pair p of packed row r · pair p of xs[c], for r < live (≤ kPackedRows) and C columns.
template <std::size_t C>
inline void packed_tile(const std::uint32_t* packed, std::size_t pairs, const std::uint16_t* const* xs, float* const* ys, std::size_t live) {
  constexpr std::size_t B = kPackedBlocks;
  __m512 acc[B * C];
  RWKV7_UNROLL
  for (auto& a : acc) a = _mm512_setzero_ps();
  for (std::size_t p = 0; p < pairs; ++p) {
    __m512bh w[B];
    RWKV7_UNROLL
    for (std::size_t b = 0; b < B; ++b) w[b] = (__m512bh)_mm512_loadu_si512(packed + (p * B + b) * 16);
    RWKV7_UNROLL
    for (std::size_t c = 0; c < C; ++c) {
      std::uint32_t pair;
      std::memcpy(&pair, xs[c] + 2 * p, 4);
      Floats x = Floats(_mm512_castsi512_ps(_mm512_set1_epi32(static_cast<int>(pair))));
      keep_in_register(x);  // broadcast once, not once per block
      RWKV7_UNROLL
      for (std::size_t b = 0; b < B; ++b) acc[b * C + c] = _mm512_dpbf16_ps(acc[b * C + c], w[b], (__m512bh)_mm512_castps_si512(x));
    }
  }
  RWKV7_UNROLL
  for (std::size_t b = 0; b < B; ++b) {
    if (live <= 16 * b) break;
    const std::size_t rows = live - 16 * b < 16 ? live - 16 * b : 16;
    const __mmask16 mask = static_cast<__mmask16>((1u << rows) - 1u);
    RWKV7_UNROLL
    for (std::size_t c = 0; c < C; ++c) _mm512_mask_storeu_ps(ys[c] + 16 * b, mask, acc[b * C + c]);
  }
}

#endif  // __AVX512BF16__

}  // namespace RWKV7_ISA_NAMESPACE
}  // namespace rwkv7::detail::simd
#endif
