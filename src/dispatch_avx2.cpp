// src/dispatch_avx2.cpp — the CPU backend compiled for avx2 (-mavx2 -mfma -mf16c; see CMakeLists.txt).
#include <rwkv7/backend/cpu/dispatch.hpp>

static_assert(rwkv7::Isa::RWKV7_ISA == rwkv7::Isa::avx2, "src/dispatch_avx2.cpp must be compiled with the avx2 flags");

std::unique_ptr<rwkv7::detail::CpuEngine> rwkv7::detail::make_cpu_engine_avx2(ModelWeights w, const LoadOptions& load, const CpuOptions& opts) {
  return std::make_unique<EngineOf<backend::Cpu>>(std::move(w), load, opts);
}
