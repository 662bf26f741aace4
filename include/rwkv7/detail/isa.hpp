// rwkv7/detail/isa.hpp — names the instruction set this translation unit is compiled for: RWKV7_ISA is the
// rwkv7::Isa enumerator (backend/cpu/options.hpp) for the flags in effect.
//
// Everything the compiler builds differently per instruction set (element loaders, kernels, layers, the CPU
// backend, its thread pool) lives in the inline namespace RWKV7_ISA_NAMESPACE. With the compiled dispatch
// target, one program holds the same headers compiled for several ISAs; distinct namespaces give them distinct
// symbols, so the linker can never keep an AVX-512 copy of an inline function for the AVX2 or baseline path
// (STYLE R8). Code outside it (file readers, weights, State) must not depend on the ISA; tests/check_isa_symbols.sh
// checks a linked dispatch program for any function outside an ISA namespace that uses more than the baseline.
#pragma once

// RWKV7_SIMD is 0 where xsimd has no instruction set to offer (e.g. WebAssembly without simd128, RISC-V) or
// when RWKV7_NO_SIMD is defined: the CPU backend then runs the plain C++ reference kernels.
#if defined(RWKV7_NO_SIMD)
#define RWKV7_ISA scalar
#define RWKV7_SIMD 0
#elif defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512BF16__)
#define RWKV7_ISA avx512_bf16
#define RWKV7_SIMD 1
#elif defined(__AVX512F__) && defined(__AVX512BW__)
#define RWKV7_ISA avx512
#define RWKV7_SIMD 1
#elif defined(__AVX2__) && defined(__FMA__) && defined(__F16C__)
#define RWKV7_ISA avx2
#define RWKV7_SIMD 1
#elif defined(__AVX__)  // AVX without the AVX2 set: the kernels use no AVX-specific paths, but the compiler does
#define RWKV7_ISA avx
#define RWKV7_SIMD 1
#elif defined(__SSE2__) || defined(_M_X64)
#define RWKV7_ISA sse2
#define RWKV7_SIMD 1
#elif defined(__aarch64__)
#define RWKV7_ISA neon64
#define RWKV7_SIMD 1
#else
#define RWKV7_ISA scalar
#define RWKV7_SIMD 0
#endif

#define RWKV7_ISA_CONCAT_(a, b) a##b
#define RWKV7_ISA_CONCAT(a, b) RWKV7_ISA_CONCAT_(a, b)
#define RWKV7_ISA_NAMESPACE RWKV7_ISA_CONCAT(isa_, RWKV7_ISA)
