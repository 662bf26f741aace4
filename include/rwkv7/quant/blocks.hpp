// rwkv7/quant/blocks.hpp — ggml's block encodings (GGUF and rwkv.cpp files): 32 weights share an fp16 scale d
// (and, for the _1 types, an fp16 minimum m). Read as stored, never requantized: a block widens to 32 fp32
// weights exactly as ggml's own dequantization computes them (q·d, or q·d + m), which is what "the dequantized
// weights" of the exactness tests means.
#pragma once

#include <cstdint>
#include <cstring>

#include "../io/tensor.hpp"
#include "widen.hpp"

#if defined(__F16C__)
#include <immintrin.h>
#endif

namespace rwkv7::detail {
inline namespace RWKV7_ISA_NAMESPACE {

constexpr std::size_t kBlockElements = 32;

// A block's fp16 scale or minimum as fp32 (exact either way; the F16C instruction saves the branches).
inline float block_half(const std::byte* p) {
  std::uint16_t h;
  std::memcpy(&h, p, 2);
#if defined(__F16C__)
  return _cvtsh_ss(h);
#else
  return f16_to_float(h);
#endif
}
inline std::uint32_t block_word(const std::byte* p) {
  std::uint32_t w;
  std::memcpy(&w, p, 4);
  return w;
}
inline unsigned byte_at(const std::byte* p, std::size_t i) { return static_cast<unsigned>(p[i]); }

// Each encoding: its block size in bytes, where its scale (and minimum) sit, and the integer q_j of element j;
// the weight is q_j·d (+ m). Q4 keeps elements j and j+16 in the low and high nibble of byte j; Q5 adds a fifth
// bit per element from a 32-bit word.
struct BlockQ8_0 {
  static constexpr std::size_t kBytes = 34, kQuants = 2;
  static constexpr bool kMinimum = false;
  static int q(const std::byte* b, std::size_t j) { return static_cast<std::int8_t>(b[2 + j]); }
};
// Nibble blocks: kQuants = where the 16 bytes of nibbles start; the fifth bits (Q5) are the word before them;
// kOffset is subtracted from the unsigned integer (the _0 types are symmetric around it, the _1 types add m).
template <std::size_t Quants, bool Minimum, int Offset, bool FifthBit>
struct BlockNibbles {
  static constexpr std::size_t kBytes = Quants + 16, kQuants = Quants;
  static constexpr bool kMinimum = Minimum, kFifthBit = FifthBit;
  static constexpr int kOffset = Offset;
  static int q(const std::byte* b, std::size_t j) {
    const unsigned low = (byte_at(b + kQuants, j % 16) >> (j / 16 * 4)) & 15u;
    const unsigned high = FifthBit ? (block_word(b + kQuants - 4) >> j) & 1u : 0u;
    return static_cast<int>(low | high << 4) - Offset;
  }
};
using BlockQ4_0 = BlockNibbles<2, false, 8, false>;
using BlockQ4_1 = BlockNibbles<4, true, 0, false>;
using BlockQ5_0 = BlockNibbles<6, false, 16, true>;
using BlockQ5_1 = BlockNibbles<8, true, 0, true>;

template <class Block>
inline float block_scale(const std::byte* b) { return block_half(b); }
template <class Block>
inline float block_minimum(const std::byte* b) { return Block::kMinimum ? block_half(b + 2) : 0.0f; }

// Weight j of one block, as ggml dequantizes it (one rounding for q·d, one more for + m).
template <class Block>
inline float block_weight(const std::byte* b, std::size_t j) {
  const float scaled = static_cast<float>(Block::q(b, j)) * block_scale<Block>(b);
  return Block::kMinimum ? scaled + block_minimum<Block>(b) : scaled;
}

// Element i of a row (or any run starting at a block boundary) of Block-encoded weights.
template <class Block>
struct LoadBlocks {
  using Encoding = Block;
  static float at(const std::byte* p, std::size_t i) { return block_weight<Block>(p + i / kBlockElements * Block::kBytes, i % kBlockElements); }
};

// f(LoadBlocks<Block>{}) for a block encoding.
template <class F>
inline bool with_block_loader(DType t, F&& f) {
  switch (t) {
    case DType::q8_0: f(LoadBlocks<BlockQ8_0>{}); return true;
    case DType::q4_0: f(LoadBlocks<BlockQ4_0>{}); return true;
    case DType::q4_1: f(LoadBlocks<BlockQ4_1>{}); return true;
    case DType::q5_0: f(LoadBlocks<BlockQ5_0>{}); return true;
    case DType::q5_1: f(LoadBlocks<BlockQ5_1>{}); return true;
    default: return false;
  }
}

// Index of the first block among `blocks` whose scale or minimum is a NaN or an infinity, or `blocks` if none
// (the integers of a block cannot be anything but finite).
template <class Block>
inline std::size_t first_nonfinite_block(const std::byte* p, std::size_t blocks) {
  for (std::size_t k = 0; k < blocks; ++k) {
    const std::byte* b = p + k * Block::kBytes;
    std::uint16_t d, m = 0;
    std::memcpy(&d, b, 2);
    if (Block::kMinimum) std::memcpy(&m, b + 2, 2);
    if ((d & 0x7c00u) == 0x7c00u || (m & 0x7c00u) == 0x7c00u) return k;
  }
  return blocks;
}

}  // namespace RWKV7_ISA_NAMESPACE
}  // namespace rwkv7::detail
