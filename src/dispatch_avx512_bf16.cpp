// src/dispatch_avx512_bf16.cpp — the CPU backend compiled for avx512_bf16 (-mavx512bf16 (plus the AVX-512 set); see CMakeLists.txt).
#include <rwkv7/backend/cpu/dispatch.hpp>

static_assert(rwkv7::Isa::RWKV7_ISA == rwkv7::Isa::avx512_bf16, "src/dispatch_avx512_bf16.cpp must be compiled with the avx512_bf16 flags");

std::unique_ptr<rwkv7::detail::CpuEngine> rwkv7::detail::make_cpu_engine_avx512_bf16(ModelWeights w, const LoadOptions& load, const CpuOptions& opts) {
  return std::make_unique<EngineOf<backend::Cpu>>(std::move(w), load, opts);
}
