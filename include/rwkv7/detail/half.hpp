// rwkv7/detail/half.hpp — bf16 and IEEE fp16 to fp32, bit-exact, with no dependence on compiler half types.
#pragma once

#include <cstdint>
#include <cstring>

#include "../io/tensor_table.hpp"

namespace rwkv7::detail {

inline float bits_to_float(std::uint32_t u) {
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}

// bf16 is the top half of an fp32.
inline float bf16_to_float(std::uint16_t h) { return bits_to_float(static_cast<std::uint32_t>(h) << 16); }

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

// Element i of a tensor in any supported dtype, as fp32. Unaligned-safe.
inline float element(const std::byte* data, DType t, std::size_t i) {
  if (t == DType::f32) {
    float f;
    std::memcpy(&f, data + 4 * i, 4);
    return f;
  }
  std::uint16_t h;
  std::memcpy(&h, data + 2 * i, 2);
  return t == DType::bf16 ? bf16_to_float(h) : f16_to_float(h);
}

}  // namespace rwkv7::detail
