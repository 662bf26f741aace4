// rwkv7/quant/widen.hpp — the encodings read as they are: fp32, and bf16 / IEEE fp16 widened to fp32 bit-exactly
// (no dependence on compiler half types), plus the fp32 → bf16 rounding of Activations::bf16.
#pragma once

#include <cstdint>
#include <cstring>

#include "../detail/isa.hpp"
#include "../io/tensor.hpp"

namespace rwkv7::detail {
inline namespace RWKV7_ISA_NAMESPACE {

inline float bits_to_float(std::uint32_t u) {
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}

// bf16 is the top half of an fp32.
inline float bf16_to_float(std::uint16_t h) { return bits_to_float(static_cast<std::uint32_t>(h) << 16); }

// fp32 → bf16, round to nearest even (NaNs stay NaN), as the AVX512-BF16 conversion instructions do.
inline std::uint16_t float_to_bf16(float f) {
  std::uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  if ((u & 0x7fffffffu) > 0x7f800000u) return static_cast<std::uint16_t>((u >> 16) | 0x40u);
  return static_cast<std::uint16_t>((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
}

inline float f16_to_float(std::uint16_t h) {
  std::uint32_t sign = static_cast<std::uint32_t>(h & 0x8000u) << 16;
  std::uint32_t exp = (h >> 10) & 0x1fu;
  std::uint32_t man = h & 0x3ffu;
  if (exp == 0x1f) return bits_to_float(sign | 0x7f800000u | (man << 13));  // inf / nan
  if (exp == 0) {
    if (man == 0) return bits_to_float(sign);
    // subnormal: value = man · 2^-24, exactly representable in fp32
    float v = static_cast<float>(man) * (1.0f / 16777216.0f);
    return sign ? -v : v;
  }
  return bits_to_float(sign | ((exp + 112u) << 23) | (man << 13));
}

// Element loaders, one type per dtype, so kernels instantiate a branch-free inner loop per weight type.
struct LoadF32 {
  static constexpr std::size_t size = 4;
  static float at(const std::byte* p, std::size_t i) {
    float f;
    std::memcpy(&f, p + 4 * i, 4);
    return f;
  }
};
template <float (*Convert)(std::uint16_t)>
struct Load16 {
  static constexpr std::size_t size = 2;
  static float at(const std::byte* p, std::size_t i) {
    std::uint16_t h;
    std::memcpy(&h, p + 2 * i, 2);
    return Convert(h);
  }
};
using LoadBF16 = Load16<bf16_to_float>;
using LoadF16 = Load16<f16_to_float>;

// Activation i as fp32: activations are fp32, or bf16 when the model was loaded with Activations::bf16.
inline float activation(const float* x, std::size_t i) { return x[i]; }
inline float activation(const std::uint16_t* x, std::size_t i) { return bf16_to_float(x[i]); }

}  // namespace RWKV7_ISA_NAMESPACE
}  // namespace rwkv7::detail
