// rwkv7/io/load_tensors.hpp — picks the format reader from the file's first bytes and gathers the side files
// a format keeps beside its tensors (config.json next to an HF model.safetensors).
#pragma once

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string_view>

#include "gguf.hpp"
#include "pth.hpp"
#include "rwkv_cpp.hpp"
#include "safetensors.hpp"
#include "sharded_safetensors.hpp"

namespace rwkv7 {
namespace detail {

// Facts from an HF config.json that the tensors cannot tell (GroupNorm eps) or that we cross-check.
// `name` appears in errors. Values are only recorded here; bind_weights checks them against the tensors.
inline void parse_hf_config(std::string_view text, const std::string& name, TensorTable& table) {
  const nlohmann::json cfg = parse_json_limited(text, name, "config", {16, 1u << 16});
  if (!cfg.is_object()) fail(Errc::format, name + ": expected a JSON object");
  for (const char* key : {"hidden_size", "num_hidden_layers", "head_dim", "vocab_size", "intermediate_size", "norm_eps",
                          "v_low_rank_dim"}) {
    if (cfg.contains(key) && cfg[key].is_number()) table.metadata[key] = MetaValue::of_real(cfg[key].get<double>());
  }
  if (cfg.contains("model_type") && cfg["model_type"].is_string()) table.metadata["model_type"] = MetaValue::of_string(cfg["model_type"].get<std::string>());
  if (cfg.contains("architectures") && cfg["architectures"].is_array()) {
    std::vector<MetaValue> names;
    for (const auto& a : cfg["architectures"])
      if (a.is_string()) names.push_back(MetaValue::of_string(a.get<std::string>()));
    table.metadata["architectures"] = MetaValue::of_array(std::move(names));
  }
  if (cfg.contains("attn") && !cfg["attn"].is_null()) table.metadata["hybrid_attention"] = MetaValue::of_integer(1);
}

inline void read_hf_config(const std::string& path, TensorTable& table) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return;
  std::stringstream text;
  text << in.rdbuf();
  parse_hf_config(text.str(), path, table);
}

}  // namespace detail

// Reads every tensor of a .pth, .safetensors, .gguf or rwkv.cpp .bin held in `bytes`. Throws rwkv7::Error naming the file.
inline TensorTable load_tensors(FileBytes bytes) {
  if (bytes.size() >= 4 && std::memcmp(bytes.data(), "PK\x03\x04", 4) == 0) return detail::read_pth(std::move(bytes));
  if (bytes.size() >= 4 && std::memcmp(bytes.data(), "GGUF", 4) == 0) return detail::read_gguf(std::move(bytes));
  if (bytes.size() >= 4 && detail::load_le<std::uint32_t>(bytes.data()) == detail::kRwkvCppMagic) return detail::read_rwkv_cpp(std::move(bytes));
  if (bytes.size() >= 9 && static_cast<char>(bytes.data()[8]) == '{') return detail::read_safetensors(std::move(bytes));
  detail::fail(Errc::format, bytes.name() + ": not a model file (neither a torch.save zip archive, safetensors, GGUF nor an rwkv.cpp .bin)");
}

// Opens `path` (mapped) and, for safetensors, reads config.json from the same folder when it exists. A folder is
// taken as an HF model folder: its model.safetensors, else the shards its model.safetensors.index.json lists
// (each mapped; the index may also be named directly).
inline TensorTable load_tensors(std::string path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    const std::string index = path + "/model.safetensors.index.json";
    path += std::filesystem::exists(path + "/model.safetensors", ec) || !std::filesystem::exists(index, ec) ? "/model.safetensors" : "/model.safetensors.index.json";
  }
  const auto slash = path.find_last_of('/');
  const std::string folder = slash == std::string::npos ? std::string() : path.substr(0, slash + 1);
  const std::string index_suffix = ".index.json";
  const bool sharded = path.size() >= index_suffix.size() && path.compare(path.size() - index_suffix.size(), index_suffix.size(), index_suffix) == 0;
  TensorTable table = sharded ? detail::read_sharded_safetensors(FileBytes::open(path), [&](const std::string& shard) { return FileBytes::open(folder + shard); })
                              : load_tensors(FileBytes::open(path));
  if (table.format() == "safetensors") detail::read_hf_config(folder + "config.json", table);
  return table;
}

}  // namespace rwkv7
