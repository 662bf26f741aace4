// src/dispatch_avx512.cpp — the CPU backend compiled for avx512 (-mavx512f -mavx512cd -mavx512dq -mavx512bw (plus the AVX2 set); see CMakeLists.txt).
#include <rwkv7/backend/cpu/dispatch.hpp>

static_assert(rwkv7::Isa::RWKV7_ISA == rwkv7::Isa::avx512, "src/dispatch_avx512.cpp must be compiled with the avx512 flags");

std::unique_ptr<rwkv7::detail::CpuEngine> rwkv7::detail::make_cpu_engine_avx512(ModelWeights w, const LoadOptions& load, const CpuOptions& opts) {
  return std::make_unique<EngineOf<backend::Cpu>>(std::move(w), load, opts);
}
