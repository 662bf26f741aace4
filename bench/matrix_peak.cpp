// Multiply-add peak of one core for each instruction the matrix products use, measured by a loop of independent
// accumulators held in registers: fp32 FMA (exact products), AVX512-BF16 pair dot products (bf16 activations)
// and AVX512-VNNI byte dot products (int8 activations). bench/vs_llama_cpp.sh reports prefill against these.
// Prints one JSON object; an instruction this build or CPU lacks is left out.
#include <algorithm>
#include <chrono>
#include <cstdio>

#if defined(__AVX512F__)
#include <immintrin.h>

namespace {

// Multiply-adds per second of `step` over 16 accumulators, best of 5 runs.
template <class V, class Step>
double peak(double macs_per_step, V seed, Step step) {
  constexpr int kChains = 16, kIterations = 2000000;
  V acc[kChains];
  for (auto& a : acc) a = seed;
  double best = 1e30;
  for (int rep = 0; rep < 5; ++rep) {
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < kIterations; ++i) {
      for (auto& a : acc) a = step(a);
      for (auto& a : acc) {  // every chain stays live, in its register
        V r = a;
        __asm__("" : "+v"(r));
        a = r;
      }
    }
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  static volatile V sink;  // the results are used, so the loop cannot be dropped
  for (auto& a : acc) sink = a;
  return kChains * static_cast<double>(kIterations) * macs_per_step / best;
}

}  // namespace

int main() {
  const __m512 x = _mm512_set1_ps(1e-9f);
  std::printf("{\"fp32_fma_gmac_s\":%.2f", 1e-9 * peak(16, _mm512_setzero_ps(), [=](__m512 a) { return _mm512_fmadd_ps(x, x, a); }));
#if defined(__AVX512BF16__)
  const __m512bh h = (__m512bh)_mm512_set1_epi16(0x3000);
  std::printf(",\"bf16_dot_gmac_s\":%.2f", 1e-9 * peak(32, _mm512_setzero_ps(), [=](__m512 a) { return _mm512_dpbf16_ps(a, h, h); }));
#endif
#if defined(__AVX512VNNI__)
  const __m512i b = _mm512_set1_epi8(1);
  std::printf(",\"int8_dot_gmac_s\":%.2f", 1e-9 * peak(64, _mm512_setzero_si512(), [=](__m512i a) { return _mm512_dpbusd_epi32(a, b, b); }));
#endif
  std::printf("}\n");
}
#else
int main() {
  std::printf("{}\n");  // no AVX-512 in this build: nothing to compare with
}
#endif
