// rwkv7/io/tensor.hpp — the vocabulary every stage shares: element encodings, shapes, and non-owning views of
// tensors inside file bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace rwkv7 {

// How a tensor's elements are encoded. Anything a reader cannot name is kept as `unsupported` so a file with an
// extra int64 tensor still loads; using such a tensor is an Errc::dtype error that names it.
// q8 is never read from a file: it is the library's own int8 encoding (one fp32 scale per row), made at load.
// q8_0 … q6_k are ggml's block encodings (GGUF): blocks of 32 or 256 elements sharing fp16 scales; the kernels
// read the blocks as stored (quant/blocks.hpp).
enum class DType { f32, f16, bf16, q8, q8_0, q4_0, q4_1, q5_0, q5_1, q4_k, q5_k, q6_k, unsupported };

inline const char* dtype_name(DType t) {
  switch (t) {
    case DType::f32: return "fp32";
    case DType::f16: return "fp16";
    case DType::bf16: return "bf16";
    case DType::q8: return "int8";
    case DType::q8_0: return "Q8_0";
    case DType::q4_0: return "Q4_0";
    case DType::q4_1: return "Q4_1";
    case DType::q5_0: return "Q5_0";
    case DType::q5_1: return "Q5_1";
    case DType::q4_k: return "Q4_K";
    case DType::q5_k: return "Q5_K";
    case DType::q6_k: return "Q6_K";
    case DType::unsupported: return "unsupported";
  }
  return "?";
}

// Elements per block and bytes per block: 1 element for the plain encodings, 32 or 256 for ggml's block encodings.
struct Encoding {
  std::size_t block_elements, block_bytes;
};
inline Encoding encoding(DType t) {
  switch (t) {
    case DType::f32: return {1, 4};
    case DType::f16:
    case DType::bf16: return {1, 2};
    case DType::q8: return {1, 1};
    case DType::q8_0: return {32, 34};
    case DType::q4_0: return {32, 18};
    case DType::q4_1: return {32, 20};
    case DType::q5_0: return {32, 22};
    case DType::q5_1: return {32, 24};
    case DType::q4_k: return {256, 144};
    case DType::q5_k: return {256, 176};
    case DType::q6_k: return {256, 210};
    case DType::unsupported: break;
  }
  return {1, 2};
}
inline bool is_block_encoding(DType t) { return encoding(t).block_elements > 1; }
// Bytes of n consecutive elements starting at a block boundary (a row: readers require rows of whole blocks).
inline std::size_t encoded_bytes(DType t, std::size_t n) {
  const Encoding e = encoding(t);
  return n / e.block_elements * e.block_bytes;
}

using Shape = std::vector<std::int64_t>;

inline std::string shape_str(const Shape& s) {
  std::string out = "[";
  for (std::size_t i = 0; i < s.size(); ++i) out += (i ? "," : "") + std::to_string(s[i]);
  return out + "]";
}

// Non-owning view of one contiguous row-major tensor inside a FileBytes.
struct TensorView {
  std::string name;
  DType dtype = DType::unsupported;
  std::string source_dtype;  // the file's own spelling, for messages about unsupported types
  Shape shape;
  const std::byte* data = nullptr;

  std::int64_t numel() const {
    std::int64_t n = 1;
    for (auto d : shape) n *= d;
    return n;
  }
  std::size_t bytes() const { return encoded_bytes(dtype, static_cast<std::size_t>(numel())); }
};

// A matrix used as the linear map y = W x from `in` to `out` values. `transposed` means the file stores W as
// [in, out] (RWKV-LM keeps its LoRA factors so), which the kernels read column-wise instead of paying for a copy.
struct Linear {
  TensorView w;
  bool transposed = false;
  std::int64_t in = 0, out = 0;
  const float* row_scale = nullptr;  // int8 weights: output row o is scaled by row_scale[o]
  // Repacked by the CPU backend in blocks of 32 rows, each block 4 bytes of input at a time: bf16 weights for bf16
  // activations (kernels/packed_bf16.hpp), int8 weights for int8 activations (kernels/int8_products.hpp, stored
  // flipped to unsigned); only the kernels that take such activations read them.
  bool packed = false;
};

}  // namespace rwkv7
