// rwkv7/io/rwkv_cpp.hpp — reads an rwkv.cpp model file (.bin, its docs/FILE_FORMAT.md): header (magic "ggmf",
// version 100 or 101, vocab, width, layers, type), then tensors until the end of the file, each a header
// (dimensions, name length, type, ggml dimensions fastest first), the name and the data, unaligned. Tensors
// stay where they are in the file; shapes are given in PyTorch order. Quantized blocks are ggml's as of version
// 101 (version 100 files held an older layout, which rwkv.cpp itself no longer reads).
#pragma once

#include <string>

#include "tensor_table.hpp"

namespace rwkv7::detail {

constexpr std::uint32_t kRwkvCppMagic = 0x67676d66;  // "ggmf"

// rwkv.cpp's own type numbers (rwkv_file_format.inc), not ggml's.
inline DType rwkv_cpp_dtype(std::uint32_t type) {
  switch (type) {
    case 0: return DType::f32;
    case 1: return DType::f16;
    case 2: return DType::q4_0;
    case 3: return DType::q4_1;
    case 7: return DType::q5_0;
    case 8: return DType::q5_1;
    case 9: return DType::q8_0;
    case 13: return DType::q4_k;
    case 14: return DType::q5_k;
    case 15: return DType::q6_k;
    default: return DType::unsupported;
  }
}

inline std::string rwkv_cpp_type_name(std::uint32_t type) {
  static const char* names[] = {"FP32", "FP16", "Q4_0", "Q4_1", "Q4_1_O", "Q4_2", "Q4_3", "Q5_0", "Q5_1",
                                "Q8_0", "Q8_1", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K", "Q8_K"};
  return type < sizeof names / sizeof names[0] ? std::string("rwkv.cpp ") + names[type] : "rwkv.cpp type " + std::to_string(type);
}

inline TensorTable read_rwkv_cpp(FileBytes bytes) {
  const std::string file = bytes.name();
  Cursor cur(bytes.data(), bytes.size(), file);
  if (cur.read<std::uint32_t>("the rwkv.cpp magic") != kRwkvCppMagic) fail(Errc::format, file + ": not an rwkv.cpp model file");
  const auto version = cur.read<std::uint32_t>("the rwkv.cpp file version");
  if (version != 100 && version != 101) fail(Errc::format, file + ": rwkv.cpp file version " + std::to_string(version) + " is not supported (expected 100 or 101)");
  const auto n_vocab = cur.read<std::uint32_t>("n_vocab");
  const auto n_embed = cur.read<std::uint32_t>("n_embed");
  const auto n_layer = cur.read<std::uint32_t>("n_layer");
  cur.read<std::uint32_t>("the file's data type");
  TensorTable table(bytes, "rwkv.cpp");
  table.metadata["vocab_size"] = MetaValue::of_integer(n_vocab);
  table.metadata["hidden_size"] = MetaValue::of_integer(n_embed);
  table.metadata["num_hidden_layers"] = MetaValue::of_integer(n_layer);
  while (!cur.empty()) {
    const auto dims = cur.read<std::uint32_t>("a tensor's dimension count");
    const auto name_length = cur.read<std::uint32_t>("a tensor's name length");
    const auto type = cur.read<std::uint32_t>("a tensor's type");
    if (dims < 1 || dims > 3) fail(Errc::format, file + ": a tensor has " + std::to_string(dims) + " dimensions (expected 1 to 3)");
    std::uint32_t ne[3];
    for (std::uint32_t d = 0; d < dims; ++d) ne[d] = cur.read<std::uint32_t>("a tensor dimension");
    TensorView t;
    t.name.assign(reinterpret_cast<const char*>(cur.take(name_length, "a tensor name")), name_length);
    auto bad = [&](const std::string& what) { fail(Errc::format, file + ": tensor " + in_quotes(t.name) + ": " + what); };
    for (std::uint32_t d = dims; d-- > 0;) t.shape.push_back(ne[d]);
    t.dtype = rwkv_cpp_dtype(type);
    t.source_dtype = rwkv_cpp_type_name(type);
    // Without a size the data of an unknown type cannot be skipped, so the tensors after it cannot be found.
    if (t.dtype == DType::unsupported) bad("type " + t.source_dtype + " is not supported (expected FP32, FP16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q4_K, Q5_K or Q6_K)");
    if (is_block_encoding(t.dtype) && version != 101) bad(t.source_dtype + " blocks of a version 100 file have ggml's old layout (requantize with rwkv.cpp 101 or later)");
    const Encoding e = encoding(t.dtype);
    if (ne[0] % e.block_elements != 0) bad("rows of " + std::to_string(ne[0]) + " elements are not whole blocks of " + std::to_string(e.block_elements));
    Shape blocks = t.shape;
    blocks.back() /= static_cast<std::int64_t>(e.block_elements);
    const std::uint64_t size = tensor_bytes(file, t.name, blocks, e.block_bytes);
    if (size > cur.remaining()) bad(std::to_string(size) + " bytes of data, but the file has " + std::to_string(cur.remaining()) + " left (truncated?)");
    t.data = cur.take(static_cast<std::size_t>(size), "tensor data");
    table.add(std::move(t));
  }
  return table;
}

}  // namespace rwkv7::detail
