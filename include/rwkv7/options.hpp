// rwkv7/options.hpp — how a model is prepared at load, whatever the backend: weight quantization, activation
// precision, the finiteness check. Each backend adds its own options (backend/cpu/options.hpp).
#pragma once

namespace rwkv7 {

enum class Quant {
  none,  // compute with the file's weights in place (fp32 / fp16 / bf16)
  int8,  // large matrices quantized to int8 at load, one scale per row (approximate; see the README)
};

// How activations enter the matrix products (the large ones: projections, FFN, head; the LoRA factors and the
// element-wise math always run in fp32). Each mode's measured logit error is in docs/performance.md.
enum class Activations {
  f32,   // exact: every product accumulates fp32 activations times the stored weights (the default)
  bf16,  // activations entering products with bf16 weights are rounded to bf16, so CPUs with AVX512-BF16 multiply
         // them at twice the fp32 rate (faster prefill); approximate
  int8,  // activations entering products with int8 weights are quantized to int8 in blocks of 64 (one scale per
         // block), so the products sum bytes in int32 (AVX512-VNNI: 64 a instruction); needs Quant::int8; approximate
};

inline const char* activations_name(Activations a) {
  switch (a) {
    case Activations::f32: return "f32";
    case Activations::bf16: return "bf16";
    case Activations::int8: return "int8";
  }
  return "?";
}

struct LoadOptions {
  Quant quant = Quant::none;
  Activations activations = Activations::f32;
  // Reads every weight once at load and refuses a file holding a NaN or an infinity (Errc::format, naming the
  // tensor and the element), which would otherwise only show as NaN logits. Costs one pass over the file's
  // bytes at load, so it is opt-in; int8 quantization checks the matrices it converts anyway.
  bool check_finite = false;
};

}  // namespace rwkv7
