// rwkv7/kernels/block_products.hpp — products with weights in ggml's block encodings (Q8_0, Q4_0, Q4_1, Q5_0,
// Q5_1, Q4_K, Q5_K, Q6_K; quant/blocks.hpp), read as stored: each part of 32 weights is widened in registers to
// the fp32 values ggml's dequantization gives and multiplied with fp32 activations, for a tile of R rows × C
// columns so that a part widened once serves every column of the tile. No copy of the matrix is made and nothing
// is requantized.
//
// Every (row, column) pair is summed the same way whatever the tile's shape, so a token gives the same bits
// alone, in a chunk, or in a batch: one accumulator per pair takes the part's vectors in turn (with AVX-512,
// lane l sums elements l, l+16, l+32, … in order, the order of ExactKernels::dot), then one reduction.
#pragma once

#include <cstddef>

#include "../quant/blocks.hpp"
#include "simd_dot.hpp"

namespace rwkv7::detail {
inline namespace RWKV7_ISA_NAMESPACE {

// The exact kernel set's dot product of a block-encoded row: ExactKernels::dot's sixteen lanes and order, with
// each part's integers and scales decoded once.
template <class Block>
inline float block_dot_exact(const std::byte* row, const float* x, std::size_t in) {
  constexpr std::size_t kLanes = 16;
  float acc[kLanes] = {};
  PartForm f;
  for (std::size_t i = 0; i < in; i += kBlockPart) {
    Block::form(row + i / Block::kElements * Block::kBytes, i % Block::kElements / kBlockPart, f);
    for (std::size_t j = 0; j < kBlockPart; ++j) acc[j % kLanes] = part_weight(f, j) * x[i + j] + acc[j % kLanes];
  }
  float sum = 0.0f;
  for (float a : acc) sum += a;
  return sum;
}

}  // namespace RWKV7_ISA_NAMESPACE

#if RWKV7_SIMD
namespace simd {
inline namespace RWKV7_ISA_NAMESPACE {

constexpr std::size_t kPartVectors = kBlockPart / kWidth;

#if defined(__AVX512F__)
// 16 bytes at p as 16 unsigned integers.
RWKV7_TILE_INLINE __m512i bytes16(const std::byte* p) { return _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))); }
RWKV7_TILE_INLINE __m512 scaled(__m512i q, float scale) { return _mm512_mul_ps(_mm512_cvtepi32_ps(q), _mm512_set1_ps(scale)); }
#endif

// Part p of block b as kPartVectors vectors of fp32 weights, bit for bit part_weight.
template <class Block>
RWKV7_TILE_INLINE void widen_part(const std::byte* b, std::size_t p, Floats* w) {
#if defined(__AVX512F__)
  if constexpr (std::is_same_v<Block, BlockQ8_0>) {
    const float d = block_half(b);
    RWKV7_UNROLL
    for (std::size_t h = 0; h < 2; ++h) w[h] = scaled(_mm512_cvtepi8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b + 2 + 16 * h))), d);
  } else if constexpr (Block::kElements == 32) {
    const float d = block_half(b);
    const __m512i bytes = bytes16(b + Block::kQuants);
    const __m512i nibbles[2] = {_mm512_and_si512(bytes, _mm512_set1_epi32(15)), _mm512_srli_epi32(bytes, 4)};
    RWKV7_UNROLL
    for (std::size_t h = 0; h < 2; ++h) {
      __m512i q = nibbles[h];
      if constexpr (Block::kFifthBit) q = _mm512_mask_add_epi32(q, static_cast<__mmask16>(block_word(b + Block::kQuants - 4) >> (16 * h)), q, _mm512_set1_epi32(16));
      if constexpr (Block::kOffset != 0) q = _mm512_sub_epi32(q, _mm512_set1_epi32(Block::kOffset));
      w[h] = scaled(q, d);
      if constexpr (Block::kMinimum) w[h] = _mm512_add_ps(w[h], _mm512_set1_ps(block_half(b + 2)));
    }
  } else if constexpr (std::is_same_v<Block, BlockQ6_K>) {
    const std::size_t n = p / 4, g = p % 4;
    const float d = block_half(b + 208);
    RWKV7_UNROLL
    for (std::size_t h = 0; h < 2; ++h) {
      const __m512i low = _mm512_and_si512(_mm512_srl_epi32(bytes16(b + 64 * n + 32 * (g % 2) + 16 * h), _mm_cvtsi32_si128(static_cast<int>(g / 2 * 4))), _mm512_set1_epi32(15));
      const __m512i high = _mm512_and_si512(_mm512_srl_epi32(bytes16(b + 128 + 32 * n + 16 * h), _mm_cvtsi32_si128(static_cast<int>(2 * g))), _mm512_set1_epi32(3));
      const __m512i q = _mm512_sub_epi32(_mm512_or_si512(low, _mm512_slli_epi32(high, 4)), _mm512_set1_epi32(32));
      w[h] = scaled(q, d * static_cast<float>(static_cast<std::int8_t>(b[192 + 8 * n + 2 * g + h])));
    }
  } else {  // Q4_K, Q5_K
    unsigned sc, m;
    Block::scale_min(b + 4, p, sc, m);
    const float scale = block_half(b) * static_cast<float>(sc), offset = -(block_half(b + 2) * static_cast<float>(m));
    const __m128i shift = _mm_cvtsi32_si128(static_cast<int>(p % 2 * 4));
    RWKV7_UNROLL
    for (std::size_t h = 0; h < 2; ++h) {
      __m512i q = _mm512_and_si512(_mm512_srl_epi32(bytes16(b + Block::kQuants + 32 * (p / 2) + 16 * h), shift), _mm512_set1_epi32(15));
      if constexpr (Block::kBytes == BlockQ5_K::kBytes) {
        const __m512i fifth = _mm512_and_si512(_mm512_srl_epi32(bytes16(b + 16 + 16 * h), _mm_cvtsi32_si128(static_cast<int>(p))), _mm512_set1_epi32(1));
        q = _mm512_or_si512(q, _mm512_slli_epi32(fifth, 4));
      }
      w[h] = _mm512_add_ps(scaled(q, scale), _mm512_set1_ps(offset));
    }
  }
#else
  PartForm f;
  Block::form(b, p, f);
  alignas(64) float tmp[kBlockPart];
  for (std::size_t j = 0; j < kBlockPart; ++j) tmp[j] = part_weight(f, j);
  for (std::size_t h = 0; h < kPartVectors; ++h) w[h] = Floats::load_aligned(tmp + h * kWidth);
#endif
}

// out[r·C + c] = rows[r] · xs[c] over `in` elements (whole blocks).
template <class Block, std::size_t R, std::size_t C>
inline void block_tile(const std::byte* const* rows, const float* const* xs, std::size_t in, float* out) {
  const std::size_t blocks = in / Block::kElements;
  constexpr std::size_t parts = Block::kElements / kBlockPart;
  Floats acc[R * C];
  RWKV7_UNROLL
  for (auto& a : acc) a = Floats(0.0f);
  for (std::size_t k = 0; k < blocks; ++k) {
    // Decoding streams consecutive rows R at a time, which the hardware prefetcher does not follow: the same
    // bytes kPrefetchTiles tiles further on are hinted as each block is summed (see simd_dot.hpp).
    if constexpr (C == 1) prefetch_ahead(rows[0], R * blocks * Block::kBytes, R * k * Block::kBytes, R * Block::kBytes);
    for (std::size_t p = 0; p < parts; ++p) {
      Floats w[R][kPartVectors];
      RWKV7_UNROLL
      for (std::size_t r = 0; r < R; ++r) widen_part<Block>(rows[r] + k * Block::kBytes, p, w[r]);
      const std::size_t at = k * Block::kElements + p * kBlockPart;
      RWKV7_UNROLL
      for (std::size_t h = 0; h < kPartVectors; ++h)
        RWKV7_UNROLL
        for (std::size_t c = 0; c < C; ++c) {
          Floats x = Floats::load_unaligned(xs[c] + at + h * kWidth);
          keep_in_register(x);
          RWKV7_UNROLL
          for (std::size_t r = 0; r < R; ++r) acc[r * C + c] = fmadd(w[r][h], x, acc[r * C + c]);
        }
    }
  }
  reduce_all(acc, out);
}

}  // namespace RWKV7_ISA_NAMESPACE
}  // namespace simd
#endif
}  // namespace rwkv7::detail
