// rwkv7/backend/simd_dot.hpp — the SIMD inner loops of the CPU backend: dot products of a weight row (fp32,
// bf16 or fp16, read in place) with an fp32 activation, and the axpy used for [in, out]-stored matrices.
// Arithmetic uses xsimd; widening bf16/fp16 loads use the ISA's own instructions where xsimd has none, with a
// portable fallback. The arch is xsimd::default_arch, i.e. what the compiler flags (-march) allow.
#pragma once

#include <xsimd/xsimd.hpp>

#include "../detail/half.hpp"

#if defined(__AVX512F__) || defined(__AVX2__)
#include <immintrin.h>
#endif

namespace rwkv7::detail::simd {

using Arch = xsimd::default_arch;
using Floats = xsimd::batch<float, Arch>;
constexpr std::size_t kWidth = Floats::size;

// kWidth consecutive elements of a weight row, starting at element i, as fp32.
template <class Load>
inline Floats load(const std::byte* p, std::size_t i) {
  if constexpr (std::is_same_v<Load, LoadF32>) {
    return Floats::load_unaligned(reinterpret_cast<const float*>(p) + i);
  } else if constexpr (std::is_same_v<Load, LoadQ8>) {
#if defined(__AVX512F__)
    return _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i))));
#elif defined(__AVX2__)
    return _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p + i))));
#else
    alignas(64) float tmp[kWidth];
    for (std::size_t k = 0; k < kWidth; ++k) tmp[k] = Load::at(p, i + k);
    return Floats::load_aligned(tmp);
#endif
  } else {
    const auto* h = reinterpret_cast<const std::uint16_t*>(p) + i;
#if defined(__AVX512F__)  // xsimd's default arch is then 16 floats wide
    __m256i raw = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(h));
    if constexpr (std::is_same_v<Load, LoadBF16>) return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(raw), 16));
    else return _mm512_cvtph_ps(raw);
#elif defined(__AVX2__) && defined(__F16C__)  // 8 floats wide
    __m128i raw = _mm_loadu_si128(reinterpret_cast<const __m128i*>(h));
    if constexpr (std::is_same_v<Load, LoadBF16>) return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(raw), 16));
    else return _mm256_cvtph_ps(raw);
#else
    alignas(64) float tmp[kWidth];
    for (std::size_t k = 0; k < kWidth; ++k) tmp[k] = Load::at(p, i + k);
    return Floats::load_aligned(tmp);
#endif
  }
}

// Σ row[i]·x[i]. Four independent accumulators hide FMA latency; the summation order depends only on n and
// the arch, never on which thread or batch computes the row.
template <class Load>
inline float dot(const std::byte* row, const float* x, std::size_t n) {
  Floats a0(0.0f), a1(0.0f), a2(0.0f), a3(0.0f);
  std::size_t i = 0;
  for (; i + 4 * kWidth <= n; i += 4 * kWidth) {
    a0 = xsimd::fma(load<Load>(row, i), Floats::load_unaligned(x + i), a0);
    a1 = xsimd::fma(load<Load>(row, i + kWidth), Floats::load_unaligned(x + i + kWidth), a1);
    a2 = xsimd::fma(load<Load>(row, i + 2 * kWidth), Floats::load_unaligned(x + i + 2 * kWidth), a2);
    a3 = xsimd::fma(load<Load>(row, i + 3 * kWidth), Floats::load_unaligned(x + i + 3 * kWidth), a3);
  }
  for (; i + kWidth <= n; i += kWidth) a0 = xsimd::fma(load<Load>(row, i), Floats::load_unaligned(x + i), a0);
  float sum = xsimd::hadd((a0 + a1) + (a2 + a3));
  for (; i < n; ++i) sum = Load::at(row, i) * x[i] + sum;
  return sum;
}

// dot() for four columns at once, sharing each weight load (prefill and batches are compute-bound). Every
// column is summed in exactly the order dot() uses, so a token gives the same bits alone or in a chunk.
template <class Load>
inline void dot4(const std::byte* row, const float* x0, const float* x1, const float* x2, const float* x3, std::size_t n, float* out) {
  const float* xs[4] = {x0, x1, x2, x3};
  Floats a[4][4];
  for (auto& col : a)
    for (auto& acc : col) acc = Floats(0.0f);
  std::size_t i = 0;
  for (; i + 4 * kWidth <= n; i += 4 * kWidth)
    for (std::size_t u = 0; u < 4; ++u) {
      const Floats w = load<Load>(row, i + u * kWidth);
      for (std::size_t c = 0; c < 4; ++c) a[c][u] = xsimd::fma(w, Floats::load_unaligned(xs[c] + i + u * kWidth), a[c][u]);
    }
  for (; i + kWidth <= n; i += kWidth) {
    const Floats w = load<Load>(row, i);
    for (std::size_t c = 0; c < 4; ++c) a[c][0] = xsimd::fma(w, Floats::load_unaligned(xs[c] + i), a[c][0]);
  }
  for (std::size_t c = 0; c < 4; ++c) {
    float sum = xsimd::hadd((a[c][0] + a[c][1]) + (a[c][2] + a[c][3]));
    for (std::size_t j = i; j < n; ++j) sum = Load::at(row, j) * xs[c][j] + sum;
    out[c] = sum;
  }
}

// y[o] += row[o]·s for o < n.
template <class Load>
inline void axpy(const std::byte* row, float s, float* y, std::size_t n) {
  const Floats vs(s);
  std::size_t o = 0;
  for (; o + kWidth <= n; o += kWidth) xsimd::fma(load<Load>(row, o), vs, Floats::load_unaligned(y + o)).store_unaligned(y + o);
  for (; o < n; ++o) y[o] = Load::at(row, o) * s + y[o];
}

}  // namespace rwkv7::detail::simd
