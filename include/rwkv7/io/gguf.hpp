// rwkv7/io/gguf.hpp — reads a llama.cpp GGUF file (versions 2 and 3): key/values, tensor infos, then the
// aligned data section. Tensors stay where they are in the file (ggml's block encodings included); shapes are
// given in PyTorch order (ggml's ne reversed). The key/values a model needs go to TensorTable::metadata.
#pragma once

#include <string>
#include <vector>

#include "tensor_table.hpp"

namespace rwkv7::detail {

// ggml's type ids for the encodings the kernels read; any other id is kept as `unsupported` with its name.
inline DType gguf_dtype(std::uint32_t type) {
  switch (type) {
    case 0: return DType::f32;
    case 1: return DType::f16;
    case 2: return DType::q4_0;
    case 3: return DType::q4_1;
    case 6: return DType::q5_0;
    case 7: return DType::q5_1;
    case 8: return DType::q8_0;
    case 12: return DType::q4_k;
    case 13: return DType::q5_k;
    case 14: return DType::q6_k;
    case 30: return DType::bf16;
    default: return DType::unsupported;
  }
}

inline std::string gguf_type_name(std::uint32_t type) {
  static const char* names[] = {"F32", "F16", "Q4_0", "Q4_1", "Q4_2", "Q4_3", "Q5_0", "Q5_1", "Q8_0", "Q8_1", "Q2_K", "Q3_K", "Q4_K",
                                "Q5_K", "Q6_K", "Q8_K", "IQ2_XXS", "IQ2_XS", "IQ3_XXS", "IQ1_S", "IQ4_NL", "IQ3_S", "IQ2_S", "IQ4_XS",
                                "I8", "I16", "I32", "I64", "F64", "IQ1_M", "BF16"};
  return type < sizeof names / sizeof names[0] ? std::string("GGUF ") + names[type] : "GGUF type " + std::to_string(type);
}

class GgufReader {
 public:
  explicit GgufReader(const FileBytes& bytes) : bytes_(bytes), file_(bytes.name()), cur_(bytes.data(), bytes.size(), file_) {}

  TensorTable read(FileBytes bytes) {
    if (std::string(reinterpret_cast<const char*>(cur_.take(4, "the GGUF magic")), 4) != "GGUF") fail(Errc::format, file_ + ": not a GGUF file");
    const auto version = cur_.read<std::uint32_t>("the GGUF version");
    if (version != 2 && version != 3) fail(Errc::format, file_ + ": GGUF version " + std::to_string(version) + " is not supported (expected 2 or 3)");
    const auto tensor_count = cur_.read<std::uint64_t>("the tensor count");
    const auto kv_count = cur_.read<std::uint64_t>("the key/value count");
    // Each key/value takes at least 13 bytes and each tensor info 24: counts the file cannot hold are refused
    // before anything is reserved for them.
    if (kv_count > cur_.remaining() / 13 || tensor_count > cur_.remaining() / 24)
      fail(Errc::format, file_ + ": GGUF header claims " + std::to_string(kv_count) + " key/values and " + std::to_string(tensor_count) +
                             " tensors, more than its " + std::to_string(bytes_.size()) + " bytes can hold");
    TensorTable table(std::move(bytes), "gguf");
    std::uint64_t alignment = 32;
    for (std::uint64_t i = 0; i < kv_count; ++i) {
      const std::string key = string("a key");
      const auto type = cur_.read<std::uint32_t>("a value type");
      MetaValue value = this->value(type, key, 0);
      if (key == "general.alignment") {
        if (value.kind != MetaValue::Kind::integer || value.integer < 1 || value.integer > (1 << 16) || (value.integer & (value.integer - 1)) != 0)
          fail(Errc::format, file_ + ": general.alignment must be a power of two up to 65536");
        alignment = static_cast<std::uint64_t>(value.integer);
      }
      table.metadata[key] = std::move(value);
    }
    struct Info {
      TensorView view;
      std::uint64_t offset, bytes;
    };
    std::vector<Info> infos;
    infos.reserve(static_cast<std::size_t>(tensor_count));
    for (std::uint64_t i = 0; i < tensor_count; ++i) {
      Info info{};
      TensorView& t = info.view;
      t.name = string("a tensor name");
      auto bad = [&](const std::string& what) { fail(Errc::format, file_ + ": tensor " + in_quotes(t.name) + ": " + what); };
      const auto dims = cur_.read<std::uint32_t>("a tensor's dimension count");
      if (dims < 1 || dims > 4) bad("has " + std::to_string(dims) + " dimensions (expected 1 to 4)");
      std::vector<std::uint64_t> ne(dims);
      for (auto& d : ne) {
        d = cur_.read<std::uint64_t>("a tensor dimension");
        if (d > static_cast<std::uint64_t>(INT64_MAX)) bad("dimension " + std::to_string(d) + " is too large");
      }
      for (auto d = ne.rbegin(); d != ne.rend(); ++d) t.shape.push_back(static_cast<std::int64_t>(*d));
      const auto type = cur_.read<std::uint32_t>("a tensor type");
      t.dtype = gguf_dtype(type);
      t.source_dtype = gguf_type_name(type);
      info.offset = cur_.read<std::uint64_t>("a tensor offset");
      if (info.offset % alignment != 0) bad("offset " + std::to_string(info.offset) + " is not a multiple of the alignment " + std::to_string(alignment));
      if (t.dtype != DType::unsupported) {
        const Encoding e = encoding(t.dtype);
        if (ne[0] % e.block_elements != 0)
          bad("rows of " + std::to_string(ne[0]) + " elements are not whole blocks of " + std::to_string(e.block_elements) + " (" + t.source_dtype + ")");
        Shape blocks = t.shape;
        blocks.back() = static_cast<std::int64_t>(ne[0] / e.block_elements);
        info.bytes = tensor_bytes(file_, t.name, blocks, e.block_bytes);
      }
      infos.push_back(std::move(info));
    }
    const std::uint64_t header_end = bytes_.size() - cur_.remaining();
    const std::uint64_t data_start = (header_end + alignment - 1) / alignment * alignment;
    if (data_start > bytes_.size()) fail(Errc::format, file_ + ": truncated before the GGUF data section");
    const std::uint64_t data_size = bytes_.size() - data_start;
    for (Info& info : infos) {
      TensorView& t = info.view;
      if (info.offset > data_size || info.bytes > data_size - info.offset)
        fail(Errc::format, file_ + ": tensor " + in_quotes(t.name) + ": " + std::to_string(info.bytes) + " bytes at offset " + std::to_string(info.offset) +
                               " lie outside the " + std::to_string(data_size) + " data bytes (file truncated?)");
      t.data = bytes_.data() + data_start + info.offset;
      table.add(std::move(t));
    }
    return table;
  }

 private:
  std::string string(const char* what) {
    const auto n = cur_.read<std::uint64_t>(what);
    if (n > cur_.remaining()) fail(Errc::format, file_ + ": truncated while reading " + what + " of " + std::to_string(n) + " bytes");
    return std::string(reinterpret_cast<const char*>(cur_.take(static_cast<std::size_t>(n), what)), static_cast<std::size_t>(n));
  }

  // One value of GGUF type `type`. Arrays are kept only where a model needs them (the tokenizer's strings and
  // types), so a file cannot make the reader build millions of values from a few bytes each; the others are
  // walked for their size and dropped.
  MetaValue value(std::uint32_t type, const std::string& key, int depth) {
    switch (type) {
      case 0: return MetaValue::of_integer(cur_.read<std::uint8_t>("a uint8 value"));
      case 1: return MetaValue::of_integer(cur_.read<std::int8_t>("an int8 value"));
      case 2: return MetaValue::of_integer(cur_.read<std::uint16_t>("a uint16 value"));
      case 3: return MetaValue::of_integer(cur_.read<std::int16_t>("an int16 value"));
      case 4: return MetaValue::of_integer(cur_.read<std::uint32_t>("a uint32 value"));
      case 5: return MetaValue::of_integer(cur_.read<std::int32_t>("an int32 value"));
      case 6: return MetaValue::of_real(cur_.read<float>("a float32 value"));
      case 7: return MetaValue::of_integer(cur_.read<std::uint8_t>("a bool value") != 0);
      case 8: return MetaValue::of_string(string("a string value"));
      case 10: {
        const auto v = cur_.read<std::uint64_t>("a uint64 value");
        return v > static_cast<std::uint64_t>(INT64_MAX) ? MetaValue::of_real(static_cast<double>(v)) : MetaValue::of_integer(static_cast<std::int64_t>(v));
      }
      case 11: return MetaValue::of_integer(cur_.read<std::int64_t>("an int64 value"));
      case 12: return MetaValue::of_real(cur_.read<double>("a float64 value"));
      case 9: {
        if (depth >= 2) fail(Errc::format, file_ + ": key " + in_quotes(key) + ": arrays nested deeper than 2");
        const auto element = cur_.read<std::uint32_t>("an array's element type");
        const auto count = cur_.read<std::uint64_t>("an array's length");
        if (count > cur_.remaining()) fail(Errc::format, file_ + ": key " + in_quotes(key) + ": array of " + std::to_string(count) + " values is longer than the file");
        const bool keep = depth == 0 && (key == "tokenizer.ggml.tokens" || key == "tokenizer.ggml.token_type");
        std::vector<MetaValue> items;
        if (keep) items.reserve(static_cast<std::size_t>(count));
        for (std::uint64_t i = 0; i < count; ++i) {
          MetaValue v = value(element, key, depth + 1);
          if (keep) items.push_back(std::move(v));
        }
        return MetaValue::of_array(std::move(items));
      }
      default: fail(Errc::format, file_ + ": key " + in_quotes(key) + ": unknown GGUF value type " + std::to_string(type));
    }
  }

  const FileBytes& bytes_;
  std::string file_;
  Cursor cur_;
};

// llama.cpp's rwkv7 keys under the names the config detector cross-checks against the tensors (as config.json's).
inline void gguf_model_facts(TensorTable& table) {
  static const std::pair<const char*, const char*> keys[] = {{"rwkv7.embedding_length", "hidden_size"},
                                                             {"rwkv7.block_count", "num_hidden_layers"},
                                                             {"rwkv7.wkv.head_size", "head_dim"},
                                                             {"rwkv7.feed_forward_length", "intermediate_size"},
                                                             {"rwkv7.attention.value_residual_mix_lora_rank", "v_low_rank_dim"},
                                                             {"rwkv7.attention.layer_norm_epsilon", "layer_norm_eps"}};
  for (const auto& [gguf, ours] : keys) {
    auto it = table.metadata.find(gguf);
    if (it != table.metadata.end() && it->second.is_number()) table.metadata[ours] = MetaValue::of_real(it->second.number());
  }
}

inline TensorTable read_gguf(FileBytes bytes) {
  const FileBytes view = bytes;
  TensorTable table = GgufReader(view).read(std::move(bytes));
  gguf_model_facts(table);
  return table;
}

}  // namespace rwkv7::detail
