// rwkv7/kernels/wkv7.hpp — the WKV-7 recurrence, one token, one head. This is the heart of RWKV-7.
#pragma once

#include <cstdint>

#include "simd_dot.hpp"
#include "../detail/isa.hpp"

namespace rwkv7::detail {
inline namespace RWKV7_ISA_NAMESPACE {

// State S [N(value i)][N(key j)], FORMATS.md §0 / rwkv_v7_numpy.py:
//   S ← S·diag(decay) + (S·(−kk)) (kk⊙a)ᵀ + v kᵀ ;  o = S r
// `kk` is the unit-norm removal key, `kka` = kk ⊙ a (how much of it is removed).
// This plain version is the reference; wkv7_step_simd below is the same arithmetic vectorised.
inline void wkv7_step(float* S, std::int64_t N, const float* r, const float* decay, const float* k, const float* v,
                      const float* kk, const float* kka, float* o) {
  for (std::int64_t i = 0; i < N; ++i) {
    float* row = S + i * N;
    float sa = 0.0f;  // (S·(−kk))_i, from the state before this token
    for (std::int64_t j = 0; j < N; ++j) sa -= row[j] * kk[j];
    float out = 0.0f;
    for (std::int64_t j = 0; j < N; ++j) {
      row[j] = row[j] * decay[j] + sa * kka[j] + v[i] * k[j];
      out = row[j] * r[j] + out;
    }
    o[i] = out;
  }
}

#if RWKV7_SIMD
inline void wkv7_step_simd(float* S, std::int64_t N, const float* r, const float* decay, const float* k, const float* v,
                           const float* kk, const float* kka, float* o) {
  using simd::Floats;
  constexpr std::int64_t W = static_cast<std::int64_t>(simd::kWidth);
  if (N % W != 0) return wkv7_step(S, N, r, decay, k, v, kk, kka, o);
#if defined(__AVX512F__)
  // Sixteen rows at a time, so their two dot products (S·kk before the update, S·r after) are reduced together,
  // ~2 instructions a row each, where reducing each row alone took a chain of ~8.
  for (std::int64_t i0 = 0; i0 < N; i0 += 16) {
    __m512 acc[16];
    RWKV7_UNROLL
    for (std::int64_t q = 0; q < 16; ++q) {
      const float* row = S + (i0 + q) * N;
      acc[q] = _mm512_mul_ps(_mm512_loadu_ps(row), _mm512_loadu_ps(kk));
      for (std::int64_t j = 16; j < N; j += 16) acc[q] = _mm512_fmadd_ps(_mm512_loadu_ps(row + j), _mm512_loadu_ps(kk + j), acc[q]);
    }
    float sa[16];
    simd::reduce16(acc, sa);
    RWKV7_UNROLL
    for (std::int64_t q = 0; q < 16; ++q) {
      float* row = S + (i0 + q) * N;
      const __m512 minus_sa = _mm512_set1_ps(-sa[q]), vi = _mm512_set1_ps(v[i0 + q]);
      __m512 out = _mm512_setzero_ps();
      for (std::int64_t j = 0; j < N; j += 16) {
        __m512 s = _mm512_mul_ps(_mm512_loadu_ps(row + j), _mm512_loadu_ps(decay + j));
        s = _mm512_fmadd_ps(minus_sa, _mm512_loadu_ps(kka + j), s);
        s = _mm512_fmadd_ps(vi, _mm512_loadu_ps(k + j), s);
        _mm512_storeu_ps(row + j, s);
        out = _mm512_fmadd_ps(s, _mm512_loadu_ps(r + j), out);
      }
      acc[q] = out;
    }
    simd::reduce16(acc, o + i0);
  }
  return;
#endif
  for (std::int64_t i = 0; i < N; ++i) {
    float* row = S + i * N;
    Floats sa_acc(0.0f);
    for (std::int64_t j = 0; j < N; j += W) sa_acc = simd::fmadd(Floats::load_unaligned(row + j), Floats::load_unaligned(kk + j), sa_acc);
    const Floats sa(-xsimd::hadd(sa_acc)), vi(v[i]);
    Floats out(0.0f);
    for (std::int64_t j = 0; j < N; j += W) {
      Floats s = Floats::load_unaligned(row + j) * Floats::load_unaligned(decay + j);
      s = simd::fmadd(sa, Floats::load_unaligned(kka + j), s);
      s = simd::fmadd(vi, Floats::load_unaligned(k + j), s);
      s.store_unaligned(row + j);
      out = simd::fmadd(s, Floats::load_unaligned(r + j), out);
    }
    o[i] = xsimd::hadd(out);
  }
}
#endif

}  // namespace RWKV7_ISA_NAMESPACE
}  // namespace rwkv7::detail
