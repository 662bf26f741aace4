// An internals probe, not a unit test: it drives rwkv7::detail::MatMul directly, which bench/ (public API only)
// must not.
// Matrix-product throughput of the CPU kernels on the seed-000 shapes (768×768, 2688×768, 768×2688, bf16
// weights) over a 128-column prefill pass, one thread: fp32 activations (row-dot tiles, the exact path) and bf16
// activations (packed AVX512-BF16 kernels where the CPU has them). Each is reported against this core's
// multiply-add peak for its instruction, measured in the same run by a loop of independent accumulators.
//   rwkv7_kernel_bench [COLUMNS]   (default 128); last line: one JSON object
#include <rwkv7/rwkv7.hpp>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <random>
#include <vector>

#if RWKV7_SIMD
namespace {

using Clock = std::chrono::steady_clock;
using rwkv7::detail::simd::Floats;

// Multiply-adds per second of `step` over 16 independent accumulators held in registers.
template <class Step>
double peak_mac_per_s(std::size_t macs_per_step, Step step) {
  Floats acc[16];
  for (auto& a : acc) a = Floats(0.0f);
  const Floats x(1e-9f), y(1e-9f);
  double best = 1e30;
  const int iterations = 2000000;
  for (int rep = 0; rep < 5; ++rep) {
    const auto t0 = Clock::now();
    for (int i = 0; i < iterations; ++i) {
      for (auto& a : acc) a = step(a, x, y);
      for (auto& a : acc) rwkv7::detail::simd::keep_in_register(a);  // every chain stays live, in its register
    }
    best = std::min(best, std::chrono::duration<double>(Clock::now() - t0).count());
  }
  Floats total(0.0f);
  for (auto& a : acc) total = total + a;
  static volatile float sink;
  sink = xsimd::hadd(total);  // the results are used, so the loop cannot be dropped
  return 16.0 * iterations * static_cast<double>(macs_per_step) / best;
}

double products_mac_per_s(std::size_t columns, bool bf16_activations) {
  struct Shape {
    std::size_t out, in;
  };
  std::mt19937 rng(1);
  std::normal_distribution<float> normal;
  double macs = 0, seconds = 0;
  for (Shape s : {Shape{768, 768}, Shape{2688, 768}, Shape{768, 2688}}) {
    std::vector<std::uint16_t> w(s.out * s.in);
    for (auto& v : w) v = rwkv7::detail::float_to_bf16(normal(rng) * 0.05f);
    std::vector<float> x(columns * s.in), y(columns * s.out);
    for (auto& v : x) v = normal(rng);
    rwkv7::Linear m;
    m.w.dtype = rwkv7::DType::bf16;
    m.w.data = reinterpret_cast<const std::byte*>(w.data());
    m.in = static_cast<std::int64_t>(s.in);
    m.out = static_cast<std::int64_t>(s.out);
    rwkv7::detail::CacheAlignedVector<std::uint16_t> rounded;
    rwkv7::detail::CacheAlignedVector<float> permuted;  // as the model's workspace: exact chunks take the widened-row kernels
    std::vector<rwkv7::detail::KernelScratch> scratch(1);
    const rwkv7::detail::MatMul<rwkv7::detail::SimdKernels> matmul{{}, scratch.data(), bf16_activations ? &rounded : nullptr, &permuted};
    double best = 1e30;
    for (int rep = 0; rep < 7; ++rep) {
      const auto t0 = Clock::now();
      matmul(m, x.data(), columns, y.data());
      best = std::min(best, std::chrono::duration<double>(Clock::now() - t0).count());
    }
    macs += static_cast<double>(s.out * s.in * columns);
    seconds += best;
  }
  return macs / seconds;
}

}  // namespace

int main(int argc, char** argv) {
  const long columns = argc > 1 ? std::atol(argv[1]) : 128;
  if (argc > 2 || columns < 1 || columns > 4096) {
    std::cerr << "usage: rwkv7_kernel_bench [COLUMNS (1-4096, default 128)]\n";
    return 2;
  }
  const auto n = static_cast<std::size_t>(columns);
  const double fma_peak = peak_mac_per_s(Floats::size, [](Floats a, Floats x, Floats y) { return rwkv7::detail::simd::fmadd(x, y, a); });
  const double fp32 = products_mac_per_s(n, false), bf16 = products_mac_per_s(n, true);
  double bf16_peak = fma_peak;  // without AVX512-BF16 the bf16 activations are widened and multiplied as fp32
#if defined(__AVX512BF16__)
  bf16_peak = peak_mac_per_s(32, [](Floats a, Floats x, Floats y) {
    return Floats(_mm512_dpbf16_ps(a, (__m512bh)_mm512_castps_si512(x), (__m512bh)_mm512_castps_si512(y)));
  });
#endif
  std::cout << "ISA " << rwkv7::isa_name(rwkv7::Isa::RWKV7_ISA) << ", " << n << " columns, one thread\n"
            << "fp32 activations: " << fp32 * 1e-9 << " GMAC/s, " << 100 * fp32 / fma_peak << "% of the fp32 FMA peak "
            << fma_peak * 1e-9 << "\n"
            << "bf16 activations: " << bf16 * 1e-9 << " GMAC/s, " << 100 * bf16 / bf16_peak << "% of the peak "
            << bf16_peak * 1e-9 << "\n";
  std::cout << "{\"isa\":\"" << rwkv7::isa_name(rwkv7::Isa::RWKV7_ISA) << "\",\"columns\":" << n << ",\"fp32_gmac_s\":" << fp32 * 1e-9
            << ",\"fp32_peak_ratio\":" << fp32 / fma_peak << ",\"bf16_gmac_s\":" << bf16 * 1e-9 << ",\"bf16_peak_ratio\":" << bf16 / bf16_peak
            << "}\n";
}
#else
int main() {
  std::cerr << "rwkv7_kernel_bench: this build has no SIMD kernels (RWKV7_SIMD 0)\n";
  return 2;
}
#endif
