// rwkv7/backend/cpu/options.hpp — what only the CPU backend has: an instruction set and threads.
#pragma once

namespace rwkv7 {

// The instruction set the CPU kernels use. Header-only builds run the one their compiler flags select (-march)
// and accept only `best` or that one; a program linked with the compiled dispatch target (rwkv7::dispatch)
// holds the kernels for every x86-64 level and `best` picks the widest this CPU supports, at load.
enum class Isa { best, scalar, sse2, avx, avx2, avx512, avx512_bf16, neon64 };

inline const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::best: return "best";
    case Isa::scalar: return "scalar";
    case Isa::sse2: return "sse2";
    case Isa::avx: return "avx";
    case Isa::avx2: return "avx2";
    case Isa::avx512: return "avx512";
    case Isa::avx512_bf16: return "avx512_bf16";
    case Isa::neon64: return "neon64";
  }
  return "?";
}

struct CpuOptions {
  Isa isa = Isa::best;
  // Threads each forward call may use (1: the caller's thread). Results do not depend on it.
  unsigned threads = 1;
};

}  // namespace rwkv7
