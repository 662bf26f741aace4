// rwkv7/options.hpp — how a model is prepared at load, whatever the backend: weight quantization, activation
// precision, the finiteness check. Each backend adds its own options (backend/cpu/options.hpp).
#pragma once

namespace rwkv7 {

enum class Quant {
  none,  // compute with the file's weights in place (fp32 / fp16 / bf16)
  int8,  // large matrices quantized to int8 at load, one scale per row (approximate; see the README)
};

enum class Activations {
  f32,   // exact: every product accumulates fp32 activations times the stored weights
  bf16,  // activations entering products with bf16 weights are rounded to bf16, so CPUs with AVX512-BF16 multiply
         // them at twice the fp32 rate (faster prefill); approximate, like int8 (accuracy in the README)
};

struct LoadOptions {
  Quant quant = Quant::none;
  Activations activations = Activations::f32;
  // Reads every weight once at load and refuses a file holding a NaN or an infinity (Errc::format, naming the
  // tensor and the element), which would otherwise only show as NaN logits. Costs one pass over the file's
  // bytes at load, so it is opt-in; int8 quantization checks the matrices it converts anyway.
  bool check_finite = false;
};

}  // namespace rwkv7
