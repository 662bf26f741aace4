// rwkv7/quant/blocks.hpp — ggml's block encodings (GGUF files): weights in blocks that share fp16 scales, read
// as stored, never requantized. A block widens to fp32 weights exactly as ggml's own dequantization computes
// them, which is what "the dequantized weights" of the exactness tests means.
//   Q8_0, Q4_0, Q5_0: 32 weights q·d;  Q4_1, Q5_1: 32 weights q·d + m;
//   Q4_K, Q5_K: 256 weights in 8 parts of 32, each (d·sc)·q − dmin·m with 6-bit sc, m;
//   Q6_K: 256 weights in 16 groups of 16, each (d·sc)·q with an 8-bit sc.
// Every encoding is read in parts of 32 consecutive weights (the kernels' unit): part(b, p, out) writes weights
// 32p … 32p+31 of block b.
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

constexpr std::size_t kBlockPart = 32;

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
inline bool half_finite(const std::byte* p) {
  std::uint16_t h;
  std::memcpy(&h, p, 2);
  return (h & 0x7c00u) != 0x7c00u;
}
inline std::uint32_t block_word(const std::byte* p) {
  std::uint32_t w;
  std::memcpy(&w, p, 4);
  return w;
}
inline unsigned byte_at(const std::byte* p, std::size_t i) { return static_cast<unsigned>(p[i]); }

// One part of 32 weights as ggml computes them: w_j = q_j·scale + offset, scale and offset fp32 numbers of the
// part (for Q6_K, of each half of it), q_j small integers. Kernels widen the integers and apply the same two
// operations, so their weights are these bits.
struct PartForm {
  int q[kBlockPart];
  float scale[2];   // for weights 0–15 and 16–31
  float offset;     // added after scaling: Q4_1, Q5_1 +m; Q4_K, Q5_K −dmin·m
  bool has_offset;
};

struct BlockQ8_0 {
  static constexpr std::size_t kElements = 32, kBytes = 34;
  static void form(const std::byte* b, std::size_t, PartForm& f) {
    f.scale[0] = f.scale[1] = block_half(b);
    f.has_offset = false, f.offset = 0.0f;
    for (std::size_t j = 0; j < 32; ++j) f.q[j] = static_cast<std::int8_t>(b[2 + j]);
  }
  static bool finite(const std::byte* b) { return half_finite(b); }
};

// Nibble blocks: kQuants = where the 16 bytes of nibbles start (element j and j+16 in the low and high nibble of
// byte j); Q5 adds a fifth bit per element from the 32-bit word before them. The _0 types are symmetric around
// kOffset, the _1 types add their fp16 minimum m.
template <std::size_t Quants, bool Minimum, int Offset, bool FifthBit>
struct BlockNibbles {
  static constexpr std::size_t kElements = 32, kBytes = Quants + 16, kQuants = Quants;
  static constexpr bool kMinimum = Minimum, kFifthBit = FifthBit;
  static constexpr int kOffset = Offset;
  static void form(const std::byte* b, std::size_t, PartForm& f) {
    f.scale[0] = f.scale[1] = block_half(b);
    f.has_offset = Minimum, f.offset = Minimum ? block_half(b + 2) : 0.0f;
    const std::uint32_t high = FifthBit ? block_word(b + kQuants - 4) : 0u;
    for (std::size_t j = 0; j < 32; ++j) {
      const unsigned low = (byte_at(b + kQuants, j % 16) >> (j / 16 * 4)) & 15u;
      f.q[j] = static_cast<int>(low | ((high >> j) & 1u) << 4) - Offset;
    }
  }
  static bool finite(const std::byte* b) { return half_finite(b) && (!Minimum || half_finite(b + 2)); }
};
using BlockQ4_0 = BlockNibbles<2, false, 8, false>;
using BlockQ4_1 = BlockNibbles<4, true, 0, false>;
using BlockQ5_0 = BlockNibbles<6, false, 16, true>;
using BlockQ5_1 = BlockNibbles<8, true, 0, true>;

// Q4_K and Q5_K: d, dmin (fp16), 12 bytes of eight 6-bit scales and mins, [Q5: 32 bytes of fifth bits], 128
// bytes of nibbles; part p uses nibble p%2 of bytes 32·(p/2) …, scale sc_p and min m_p.
template <bool FifthBit>
struct BlockK45 {
  static constexpr std::size_t kElements = 256, kBytes = FifthBit ? 176 : 144, kQuants = FifthBit ? 48 : 16;
  static void scale_min(const std::byte* s, std::size_t p, unsigned& sc, unsigned& m) {
    if (p < 4) {
      sc = byte_at(s, p) & 63u, m = byte_at(s, p + 4) & 63u;
    } else {
      sc = (byte_at(s, p + 4) & 15u) | (byte_at(s, p - 4) >> 6) << 4;
      m = (byte_at(s, p + 4) >> 4) | (byte_at(s, p) >> 6) << 4;
    }
  }
  static void form(const std::byte* b, std::size_t p, PartForm& f) {
    unsigned sc, m;
    scale_min(b + 4, p, sc, m);
    f.scale[0] = f.scale[1] = block_half(b) * static_cast<float>(sc);
    f.has_offset = true, f.offset = -(block_half(b + 2) * static_cast<float>(m));
    const std::byte* q = b + kQuants + 32 * (p / 2);
    for (std::size_t l = 0; l < 32; ++l) {
      const unsigned fifth = FifthBit ? (byte_at(b + 16, l) >> p) & 1u : 0u;
      f.q[l] = static_cast<int>(((byte_at(q, l) >> (p % 2 * 4)) & 15u) | fifth << 4);
    }
  }
  static bool finite(const std::byte* b) { return half_finite(b) && half_finite(b + 2); }
};
using BlockQ4_K = BlockK45<false>;
using BlockQ5_K = BlockK45<true>;

// Q6_K: 128 bytes of low nibbles, 64 bytes of 2-bit highs, 16 int8 scales, d (fp16). Part p = 4n + g of half n:
// low nibble g/2 of ql[64n + 32(g%2) + l], bits 2g of qh[32n + l], minus 32; scale d·sc[8n + 2g + l/16].
struct BlockQ6_K {
  static constexpr std::size_t kElements = 256, kBytes = 210;
  static void form(const std::byte* b, std::size_t p, PartForm& f) {
    const std::size_t n = p / 4, g = p % 4;
    const float d = block_half(b + 208);
    for (std::size_t h = 0; h < 2; ++h) f.scale[h] = d * static_cast<float>(static_cast<std::int8_t>(b[192 + 8 * n + 2 * g + h]));
    f.has_offset = false, f.offset = 0.0f;
    for (std::size_t l = 0; l < 32; ++l) {
      const unsigned low = (byte_at(b, 64 * n + 32 * (g % 2) + l) >> (g / 2 * 4)) & 15u;
      const unsigned high = (byte_at(b + 128, 32 * n + l) >> (2 * g)) & 3u;
      f.q[l] = static_cast<int>(low | high << 4) - 32;
    }
  }
  static bool finite(const std::byte* b) { return half_finite(b + 208); }
};

// Weight j of a part, as ggml computes it: (q·scale) then + offset, each rounded to fp32.
inline float part_weight(const PartForm& f, std::size_t j) {
  const float w = static_cast<float>(f.q[j]) * f.scale[j / 16];
  return f.has_offset ? w + f.offset : w;
}

// Element i of a row (or any run starting at a block boundary) of Block-encoded weights: a cold path (the
// embedding row of a token, small tensors at load, the reference backend).
template <class Block>
struct LoadBlocks {
  using Encoding = Block;
  static float at(const std::byte* p, std::size_t i) {
    PartForm f;
    Block::form(p + i / Block::kElements * Block::kBytes, i % Block::kElements / kBlockPart, f);
    return part_weight(f, i % kBlockPart);
  }
};

// f(LoadBlocks<Block>{}) for a block encoding; false (and no call) for the others.
template <class F>
inline bool with_block_loader(DType t, F&& f) {
  switch (t) {
    case DType::q8_0: f(LoadBlocks<BlockQ8_0>{}); return true;
    case DType::q4_0: f(LoadBlocks<BlockQ4_0>{}); return true;
    case DType::q4_1: f(LoadBlocks<BlockQ4_1>{}); return true;
    case DType::q5_0: f(LoadBlocks<BlockQ5_0>{}); return true;
    case DType::q5_1: f(LoadBlocks<BlockQ5_1>{}); return true;
    case DType::q4_k: f(LoadBlocks<BlockQ4_K>{}); return true;
    case DType::q5_k: f(LoadBlocks<BlockQ5_K>{}); return true;
    case DType::q6_k: f(LoadBlocks<BlockQ6_K>{}); return true;
    default: return false;
  }
}

// Index of the first of `blocks` blocks whose fp16 scales hold a NaN or an infinity, or `blocks` if none (the
// integers of a block cannot be anything but finite).
template <class Block>
inline std::size_t first_nonfinite_block(const std::byte* p, std::size_t blocks) {
  for (std::size_t k = 0; k < blocks; ++k)
    if (!Block::finite(p + k * Block::kBytes)) return k;
  return blocks;
}

}  // namespace RWKV7_ISA_NAMESPACE
}  // namespace rwkv7::detail
