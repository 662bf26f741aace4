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

struct LoadOptions {
  Quant quant = Quant::none;
  Activations activations = Activations::f32;
};

}  // namespace rwkv7
