// rwkv7/options.hpp — how a model is prepared at load: weight quantization and activation precision.
#pragma once

namespace rwkv7 {

enum class Quant {
  none,  // compute with the file's weights in place (fp32 / fp16 / bf16)
  int8,  // large matrices quantized to int8 at load, one scale per row (approximate; see the README)
};

enum class Activations {
  f32,   // exact: every product accumulates fp32 activations times the stored weights
  bf16,  // activations entering products with bf16 weights are rounded to bf16, so CPUs with AVX512-BF16 multiply
         // them at twice the fp32 rate (prefill ~2x); approximate, like int8 (accuracy in the README)
};

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

struct LoadOptions {
  Quant quant = Quant::none;
  Activations activations = Activations::f32;
  Isa isa = Isa::best;
  // Reads every weight once at load and refuses a file holding a NaN or an infinity (Errc::format, naming the
  // tensor and the element), which would otherwise only show as NaN logits. Costs one pass over the file's
  // bytes (~40 ms for a 0.1B bf16 model), so it is opt-in; int8 quantization checks the matrices it converts anyway.
  bool check_finite = false;
};

}  // namespace rwkv7
