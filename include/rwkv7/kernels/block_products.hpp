// rwkv7/kernels/block_products.hpp — products with weights in ggml's block encodings (Q8_0, Q4_0, Q4_1, Q5_0,
// Q5_1; quant/blocks.hpp), read as stored: each block of 32 weights is widened in registers to the fp32 values
// ggml's dequantization gives and multiplied with fp32 activations, for a tile of R rows × C columns so that a
// block widened once serves every column of the tile. No copy of the matrix is made and nothing is requantized.
//
// Every (row, column) pair is summed the same way whatever the tile's shape, so a token gives the same bits
// alone, in a chunk, or in a batch: one accumulator per pair takes the block's vectors in turn (with AVX-512,
// lane l sums elements l, l+16, l+32, … in order, the order of ExactKernels::dot), then one reduction.
#pragma once

#include <cstddef>

#include "../quant/blocks.hpp"
#include "simd_dot.hpp"

namespace rwkv7::detail {
#if RWKV7_SIMD
namespace simd {
inline namespace RWKV7_ISA_NAMESPACE {

constexpr std::size_t kBlockVectors = kBlockElements / kWidth;

// One block as kBlockVectors vectors of fp32 weights, bit for bit block_weight<Block>.
template <class Block>
RWKV7_TILE_INLINE void widen_block(const std::byte* b, Floats* w) {
#if defined(__AVX512F__)
  const __m512 d = _mm512_set1_ps(block_scale<Block>(b));
  if constexpr (std::is_same_v<Block, BlockQ8_0>) {
    RWKV7_UNROLL
    for (std::size_t h = 0; h < 2; ++h)
      w[h] = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b + 2 + 16 * h)))), d);
  } else {
    const __m512i bytes = _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b + Block::kQuants)));
    const __m512i nibbles[2] = {_mm512_and_si512(bytes, _mm512_set1_epi32(15)), _mm512_srli_epi32(bytes, 4)};
    RWKV7_UNROLL
    for (std::size_t h = 0; h < 2; ++h) {
      __m512i q = nibbles[h];
      if constexpr (Block::kFifthBit) {
        const auto high = static_cast<__mmask16>(block_word(b + Block::kQuants - 4) >> (16 * h));
        q = _mm512_mask_add_epi32(q, high, q, _mm512_set1_epi32(16));
      }
      if constexpr (Block::kOffset != 0) q = _mm512_sub_epi32(q, _mm512_set1_epi32(Block::kOffset));
      w[h] = _mm512_mul_ps(_mm512_cvtepi32_ps(q), d);
      if constexpr (Block::kMinimum) w[h] = _mm512_add_ps(w[h], _mm512_set1_ps(block_minimum<Block>(b)));
    }
  }
#else
  alignas(64) float tmp[kBlockElements];
  for (std::size_t j = 0; j < kBlockElements; ++j) tmp[j] = block_weight<Block>(b, j);
  for (std::size_t h = 0; h < kBlockVectors; ++h) w[h] = Floats::load_aligned(tmp + h * kWidth);
#endif
}

// out[r·C + c] = rows[r] · xs[c] over `in` elements (whole blocks).
template <class Block, std::size_t R, std::size_t C>
inline void block_tile(const std::byte* const* rows, const float* const* xs, std::size_t in, float* out) {
  const std::size_t blocks = in / kBlockElements;
  Floats acc[R * C];
  RWKV7_UNROLL
  for (auto& a : acc) a = Floats(0.0f);
  for (std::size_t k = 0; k < blocks; ++k) {
    // Decoding streams consecutive rows R at a time, which the hardware prefetcher does not follow: the same
    // bytes kPrefetchTiles tiles further on are hinted as each block is summed (see simd_dot.hpp).
    if constexpr (C == 1) prefetch_ahead(rows[0], R * blocks * Block::kBytes, R * k * Block::kBytes, R * Block::kBytes);
    Floats w[R][kBlockVectors];
    RWKV7_UNROLL
    for (std::size_t r = 0; r < R; ++r) widen_block<Block>(rows[r] + k * Block::kBytes, w[r]);
    RWKV7_UNROLL
    for (std::size_t h = 0; h < kBlockVectors; ++h)
      RWKV7_UNROLL
      for (std::size_t c = 0; c < C; ++c) {
        Floats x = Floats::load_unaligned(xs[c] + k * kBlockElements + h * kWidth);
        keep_in_register(x);
        RWKV7_UNROLL
        for (std::size_t r = 0; r < R; ++r) acc[r * C + c] = fmadd(w[r][h], x, acc[r * C + c]);
      }
  }
  reduce_all(acc, out);
}

}  // namespace RWKV7_ISA_NAMESPACE
}  // namespace simd
#endif
}  // namespace rwkv7::detail
