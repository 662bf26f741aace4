// src/dispatch.cpp — rwkv7::dispatch: finds what this CPU runs and builds the CPU backend for it. Compiled with
// the target's baseline flags, it also holds the baseline backend. A program refers only to this file, so the
// linker loads it before the ISA files, and any inline function they share with it is taken from here
// (tests/check_isa_symbols.sh checks the linked result).
#include <rwkv7/backend/cpu/dispatch.hpp>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

#include <algorithm>
#include <string>

namespace rwkv7 {
namespace detail {

std::unique_ptr<CpuEngine> make_cpu_engine_baseline(ModelWeights w, const LoadOptions& load, const CpuOptions& opts) {
  return std::make_unique<EngineOf<backend::Cpu>>(std::move(w), load, opts);
}

namespace {

#if defined(RWKV7_DISPATCH_X86)
// CPUID and XGETBV: the CPU must have the instructions and the OS must save the registers they use.
struct X86Features {
  bool avx2 = false, avx512 = false, avx512_bf16 = false;
};

X86Features x86_features() {
  X86Features f;
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return f;
  const bool osxsave = (c >> 27) & 1, avx = (c >> 28) & 1, fma = (c >> 12) & 1, f16c = (c >> 29) & 1;
  if (!osxsave || !avx) return f;
  unsigned xcr0_lo = 0, xcr0_hi = 0;
  __asm__ volatile("xgetbv" : "=a"(xcr0_lo), "=d"(xcr0_hi) : "c"(0));
  const bool os_ymm = (xcr0_lo & 0x6u) == 0x6u, os_zmm = (xcr0_lo & 0xe6u) == 0xe6u;
  if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return f;
  const bool avx2 = (b >> 5) & 1, avx512f = (b >> 16) & 1, avx512dq = (b >> 17) & 1, avx512cd = (b >> 28) & 1, avx512bw = (b >> 30) & 1;
  f.avx2 = os_ymm && avx2 && fma && f16c;
  f.avx512 = f.avx2 && os_zmm && avx512f && avx512dq && avx512cd && avx512bw;
  // The avx512_bf16 level also multiplies int8 with AVX512-VNNI, which every CPU with AVX512-BF16 has.
  const bool avx512_vnni = (c >> 11) & 1;
  if (f.avx512 && avx512_vnni && __get_cpuid_count(7, 1, &a, &b, &c, &d)) f.avx512_bf16 = (a >> 5) & 1;
  return f;
}
#endif

Isa baseline_isa() { return backend::Cpu::isa(); }

std::vector<Isa> compiled_isas() {
#if defined(RWKV7_DISPATCH_X86)
  return {baseline_isa(), Isa::avx2, Isa::avx512, Isa::avx512_bf16};
#else
  return {baseline_isa()};
#endif
}

}  // namespace

std::unique_ptr<CpuEngine> make_cpu_engine(ModelWeights w, const LoadOptions& load, const CpuOptions& opts) {
  const std::vector<Isa> here = available_isas();
  const Isa isa = opts.isa == Isa::best ? here.back() : opts.isa;
  if (std::find(here.begin(), here.end(), isa) == here.end()) {
    const std::vector<Isa> built = compiled_isas();
    const bool in_program = std::find(built.begin(), built.end(), isa) != built.end();
    fail(Errc::argument, std::string("CpuOptions::isa: ") + isa_name(isa) + (in_program ? " kernels cannot run on this CPU" : " kernels are not in this program") +
                             " (best here: " + isa_name(here.back()) + ")");
  }
  CpuOptions chosen = opts;
  chosen.isa = isa;
#if defined(RWKV7_DISPATCH_X86)
  if (isa == Isa::avx2) return make_cpu_engine_avx2(std::move(w), load, chosen);
  if (isa == Isa::avx512) return make_cpu_engine_avx512(std::move(w), load, chosen);
  if (isa == Isa::avx512_bf16) return make_cpu_engine_avx512_bf16(std::move(w), load, chosen);
#endif
  return make_cpu_engine_baseline(std::move(w), load, chosen);
}

}  // namespace detail

std::vector<Isa> available_isas() {
  std::vector<Isa> isas{detail::baseline_isa()};
#if defined(RWKV7_DISPATCH_X86)
  const detail::X86Features f = detail::x86_features();
  if (f.avx2) isas.push_back(Isa::avx2);
  if (f.avx512) isas.push_back(Isa::avx512);
  if (f.avx512_bf16) isas.push_back(Isa::avx512_bf16);
#endif
  return isas;
}

}  // namespace rwkv7
