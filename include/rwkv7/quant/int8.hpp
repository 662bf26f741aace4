// rwkv7/quant/int8.hpp — per-row int8: the large matrices quantized at load, q = round(w / s) with one fp32 scale
// s = max|w| / 127 per output row (symmetric, round half away from zero). Half the bytes of bf16 per decoded token.
// The pass over a whole model is quant/quantize.hpp.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include "../io/tensor.hpp"
#include "widen.hpp"

namespace rwkv7 {
namespace detail {
inline namespace RWKV7_ISA_NAMESPACE {

// Reads int8 weights; the per-row scale is applied by the matrix kernel after the dot product.
struct LoadQ8 {
  static constexpr std::size_t size = 1;
  static float at(const std::byte* p, std::size_t i) { return static_cast<float>(static_cast<std::int8_t>(p[i])); }
};

}  // namespace RWKV7_ISA_NAMESPACE

// quantize_int8 pads each int8 matrix to a whole number of blocks of this many rows: the CPU backend repacks
// int8 weights for int8 activations in such blocks, in place (kernels/int8_products.hpp).
constexpr std::size_t kInt8PackRows = 32;

// An [rows, cols] matrix to int8, one scale per row: q = round(w / s) (half away from zero), s = max|w| / 127.
// Returns the rows converted: all of them, or the index of the first row holding a NaN or an infinity.
// One typed pass per row, so the conversion, the peak and the rounding vectorize (load time, not accuracy).
template <class Load>
std::size_t quantize_rows(const std::byte* w, std::size_t rows, std::size_t cols, float* scale, std::int8_t* q) {
  std::vector<float> row(cols);
  for (std::size_t o = 0; o < rows; ++o) {
    const std::byte* src = w + o * cols * Load::size;
    std::uint32_t peak_bits = 0;  // the bits of |w| order like the magnitudes, and an integer max vectorizes
    for (std::size_t i = 0; i < cols; ++i) {
      row[i] = Load::at(src, i);
      std::uint32_t bits;
      std::memcpy(&bits, &row[i], sizeof bits);
      peak_bits = std::max(peak_bits, bits & 0x7fffffffu);
    }
    if (peak_bits >= 0x7f800000u) return o;  // a NaN or an infinity: no scale and no rounding would mean anything
    const float peak = bits_to_float(peak_bits);
    const float s = peak > 0.0f ? peak / 127.0f : 1.0f;
    for (std::size_t i = 0; i < cols; ++i) {
      const float t = row[i] / s;  // |t| <= 127
      q[o * cols + i] = static_cast<std::int8_t>(static_cast<int>(t + (t < 0.0f ? -0.5f : 0.5f)));
    }
    scale[o] = s;
  }
  return rows;
}

}  // namespace detail

}  // namespace rwkv7
