// rwkv7/quant/element.hpp — one element of a tensor in any encoding the kernels read, as fp32: for cold paths
// (small tensors converted once at load, embedding rows, lookups), never for the matrix products.
#pragma once

#include <vector>

#include "blocks.hpp"
#include "int8.hpp"
#include "widen.hpp"

namespace rwkv7::detail {
inline namespace RWKV7_ISA_NAMESPACE {

// Element i of a tensor in any supported dtype, as fp32. Unaligned-safe; for cold paths (loading, lookups).
inline float element(const std::byte* data, DType t, std::size_t i) {
  switch (t) {
    case DType::f32: return LoadF32::at(data, i);
    case DType::bf16: return LoadBF16::at(data, i);
    case DType::f16: return LoadF16::at(data, i);
    case DType::q8: return LoadQ8::at(data, i);  // unscaled: only the kernels know the row scales
    case DType::q8_0:
    case DType::q4_0:
    case DType::q4_1:
    case DType::q5_0:
    case DType::q5_1:
    case DType::q4_k:
    case DType::q5_k:
    case DType::q6_k: {
      float v = 0.0f;
      with_block_loader(t, [&](auto load) { v = decltype(load)::at(data, i); });
      return v;
    }
    case DType::unsupported: break;
  }
  return 0.0f;  // bind_weights refuses unsupported tensors before any element is read
}

// A small tensor (mixes, norms, biases) converted to fp32 once, at load; empty for a view the model's variant
// does not have.
inline std::vector<float> to_float(const TensorView& t) {
  if (!t.data) return {};
  std::vector<float> out(static_cast<std::size_t>(t.numel()));
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = element(t.data, t.dtype, i);
  return out;
}

}  // namespace RWKV7_ISA_NAMESPACE
}  // namespace rwkv7::detail
