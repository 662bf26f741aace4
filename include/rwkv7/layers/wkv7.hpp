// rwkv7/layers/wkv7.hpp — the WKV-7 recurrence, one token, one head. This is the heart of RWKV-7.
#pragma once

#include <cstdint>

namespace rwkv7::detail {

// State S [N(value i)][N(key j)], FORMATS.md §0 / rwkv_v7_numpy.py:
//   S ← S·diag(decay) + (S·(−kk)) (kk⊙a)ᵀ + v kᵀ ;  o = S r
// `kk` is the unit-norm removal key, `kka` = kk ⊙ a (how much of it is removed).
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

}  // namespace rwkv7::detail
