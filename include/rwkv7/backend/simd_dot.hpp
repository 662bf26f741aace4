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

// The tile every matrix product is built from: out[r·C + c] = Σ_i rows[r][i]·xs[c][i] for R weight rows and C
// activation columns, so each weight vector is loaded (and widened) once for C columns and each activation
// vector once for R rows. Every (row, column) pair has a single accumulator summed in element order, then
// reduced by hadd, then the scalar tail: the same bits in whatever tile shape it is computed, so a token gives
// identical logits alone, in a prefill chunk or in a batch, on any number of threads.
// R interleaved row streams defeat the hardware prefetcher when decoding (one column, memory-bound), so each
// row is prefetched this many elements ahead.
constexpr std::size_t kPrefetchAhead = 256;

// An activation as fp32: activations are fp32, or bf16 when the caller chose bf16 compute.
inline float activation(const float* x, std::size_t i) { return x[i]; }
inline float activation(const std::uint16_t* x, std::size_t i) { return bf16_to_float(x[i]); }
inline Floats load_activations(const float* x, std::size_t i) { return Floats::load_unaligned(x + i); }
inline Floats load_activations(const std::uint16_t* x, std::size_t i) { return load<LoadBF16>(reinterpret_cast<const std::byte*>(x), i); }

template <class Load, std::size_t R, std::size_t C, class Act>
inline void dot_tile(const std::byte* const* rows, const Act* const* xs, std::size_t n, float* out) {
  Floats acc[R][C];
  for (auto& row : acc)
    for (auto& a : row) a = Floats(0.0f);
  std::size_t i = 0;
  for (; i + kWidth <= n; i += kWidth) {
    Floats w[R];
    for (std::size_t r = 0; r < R; ++r) {
      __builtin_prefetch(rows[r] + (i + kPrefetchAhead) * Load::size);
      w[r] = load<Load>(rows[r], i);
    }
    for (std::size_t c = 0; c < C; ++c) {
      const Floats x = load_activations(xs[c], i);
      for (std::size_t r = 0; r < R; ++r) acc[r][c] = xsimd::fma(w[r], x, acc[r][c]);
    }
  }
  for (std::size_t r = 0; r < R; ++r)
    for (std::size_t c = 0; c < C; ++c) {
      float sum = xsimd::hadd(acc[r][c]);
      for (std::size_t j = i; j < n; ++j) sum = Load::at(rows[r], j) * activation(xs[c], j) + sum;
      out[r * C + c] = sum;
    }
}

#if defined(__AVX512BF16__)
constexpr bool kBf16DotProducts = true;

// dot_tile for bf16 weights with activations already rounded to bf16: the AVX512-BF16 dot-product instruction
// multiplies 32 pairs per step at twice the fp32 FMA rate. Same shape rules as dot_tile: one accumulator per
// (row, column) in element order, the same reduction, so tiles of any shape give the same bits.
template <std::size_t R, std::size_t C>
inline void dot_tile_bf16(const std::byte* const* rows, const std::uint16_t* const* xs, std::size_t n, float* out) {
  constexpr std::size_t kPairs = 32;
  __m512 acc[R][C];
  for (auto& row : acc)
    for (auto& a : row) a = _mm512_setzero_ps();
  std::size_t i = 0;
  for (; i + kPairs <= n; i += kPairs) {
    __m512bh w[R];
    for (std::size_t r = 0; r < R; ++r) {
      __builtin_prefetch(rows[r] + 2 * (i + kPrefetchAhead));
      w[r] = (__m512bh)_mm512_loadu_si512(rows[r] + 2 * i);
    }
    for (std::size_t c = 0; c < C; ++c) {
      const __m512bh x = (__m512bh)_mm512_loadu_si512(xs[c] + i);
      for (std::size_t r = 0; r < R; ++r) acc[r][c] = _mm512_dpbf16_ps(acc[r][c], w[r], x);
    }
  }
  for (std::size_t r = 0; r < R; ++r)
    for (std::size_t c = 0; c < C; ++c) {
      float sum = xsimd::hadd(Floats(acc[r][c]));
      for (std::size_t j = i; j < n; ++j) sum = LoadBF16::at(rows[r], j) * bf16_to_float(xs[c][j]) + sum;
      out[r * C + c] = sum;
    }
}
#else
constexpr bool kBf16DotProducts = false;
#endif

// Y = Wᵀ-stored products (W kept as [in, out], the LoRA factors): y[c][o] = Σ_i w[i][o]·x[c][i] for C columns,
// kBlock vectors of outputs at a time held in registers across the whole sum (no store per term). Each output
// is one chain in i order, so the tile shape never changes the bits.
template <class Load, std::size_t C>
inline void transposed_tile(const std::byte* w, std::size_t in, std::size_t out, const float* const* xs, float* const* ys) {
  constexpr std::size_t kBlock = 4;
  std::size_t o = 0;
  auto block = [&](auto vectors) {
    constexpr std::size_t B = decltype(vectors)::value;
    Floats acc[B][C];
    for (auto& row : acc)
      for (auto& a : row) a = Floats(0.0f);
    for (std::size_t i = 0; i < in; ++i) {
      const std::byte* row = w + i * out * Load::size;
      Floats wv[B];
      for (std::size_t b = 0; b < B; ++b) wv[b] = load<Load>(row, o + b * kWidth);
      for (std::size_t c = 0; c < C; ++c) {
        const Floats x(xs[c][i]);
        for (std::size_t b = 0; b < B; ++b) acc[b][c] = xsimd::fma(wv[b], x, acc[b][c]);
      }
    }
    for (std::size_t b = 0; b < B; ++b)
      for (std::size_t c = 0; c < C; ++c) acc[b][c].store_unaligned(ys[c] + o + b * kWidth);
    o += B * kWidth;
  };
  while (o + kBlock * kWidth <= out) block(std::integral_constant<std::size_t, kBlock>{});
  while (o + kWidth <= out) block(std::integral_constant<std::size_t, 1>{});
  for (; o < out; ++o)
    for (std::size_t c = 0; c < C; ++c) {
      float sum = 0.0f;
      for (std::size_t i = 0; i < in; ++i) sum = Load::at(w + i * out * Load::size, o) * xs[c][i] + sum;
      ys[c][o] = sum;
    }
}

}  // namespace rwkv7::detail::simd
