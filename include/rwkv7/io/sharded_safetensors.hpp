// rwkv7/io/sharded_safetensors.hpp — an HF checkpoint split over several safetensors files, listed by
// model.safetensors.index.json ({"weight_map": {tensor name: file name}}). Each file is mapped and read as a
// single safetensors file is, then held against the index: every tensor a file holds is listed under that file,
// and every tensor listed is found, so a tensor split across files, misplaced or missing is an error that names
// the file and the tensor.
#pragma once

#include <map>
#include <set>
#include <string>
#include <utility>

#include "json_limits.hpp"
#include "safetensors.hpp"

namespace rwkv7::detail {

// Shards are plain file names in the index's folder, so a hostile index cannot make the reader open other paths.
inline bool plain_file_name(const std::string& s) {
  return !s.empty() && s != "." && s != ".." && s.find_first_of(std::string("/\\\0", 3)) == std::string::npos;
}

// `open(name)` gives the FileBytes of the shard named `name` (a file beside the index).
template <class Open>
TensorTable read_sharded_safetensors(FileBytes index, Open&& open) {
  const std::string file = index.name();
  const nlohmann::json j = parse_json_limited(index.text(), file, "safetensors index", {8, 1u << 18});
  if (!j.is_object() || !j.contains("weight_map") || !j["weight_map"].is_object())
    fail(Errc::format, file + ": expected a JSON object with a \"weight_map\" object (tensor name: shard file name)");
  std::map<std::string, std::string> shard_of;
  std::set<std::string> shards;
  for (const auto& item : j["weight_map"].items()) {
    const std::string& name = item.key();
    if (!item.value().is_string()) fail(Errc::format, file + ": tensor " + in_quotes(name) + ": its shard must be a file name (a string)");
    std::string shard = item.value().get<std::string>();
    if (!plain_file_name(shard))
      fail(Errc::format, file + ": tensor " + in_quotes(name) + ": shard " + in_quotes(shard) + " is not a file name in the index's folder");
    shards.insert(shard);
    shard_of.emplace(name, std::move(shard));
  }
  if (shard_of.empty()) fail(Errc::format, file + ": the weight_map lists no tensors");

  TensorTable table(std::move(index), "safetensors");
  std::set<std::string> found;
  for (const std::string& shard : shards) {
    TensorTable part = read_safetensors(open(shard));
    for (const TensorView& t : part.tensors()) {
      const auto listed = shard_of.find(t.name);
      if (listed == shard_of.end()) fail(Errc::format, part.file() + ": tensor " + in_quotes(t.name) + " is not listed in " + file);
      if (listed->second != shard)
        fail(Errc::format, part.file() + ": tensor " + in_quotes(t.name) + " is listed in " + file + " under " + in_quotes(listed->second) +
                               ", not this shard (a tensor split across shards, or a stale index)");
      found.insert(t.name);
    }
    table.merge(std::move(part));
  }
  for (const auto& [name, shard] : shard_of)
    if (!found.count(name)) fail(Errc::format, file + ": tensor " + in_quotes(name) + " is listed under shard " + in_quotes(shard) + ", which does not hold it");
  return table;
}

}  // namespace rwkv7::detail
