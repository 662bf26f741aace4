// rwkv7/io/safetensors.hpp — reads a .safetensors file: u64 header size, JSON header, raw little-endian data.
#pragma once

#include <algorithm>
#include <utility>
#include <vector>

#include "json_limits.hpp"
#include "tensor_table.hpp"

namespace rwkv7::detail {

inline DType safetensors_dtype(const std::string& s) {
  if (s == "F32") return DType::f32;
  if (s == "F16") return DType::f16;
  if (s == "BF16") return DType::bf16;
  return DType::unsupported;
}

inline std::size_t safetensors_elem_size(const std::string& s) {
  if (s == "F64" || s == "I64" || s == "U64") return 8;
  if (s == "F32" || s == "I32" || s == "U32") return 4;
  if (s == "F16" || s == "BF16" || s == "I16" || s == "U16") return 2;
  if (s == "I8" || s == "U8" || s == "BOOL" || s == "F8_E4M3" || s == "F8_E5M2") return 1;
  return 0;
}

inline TensorTable read_safetensors(FileBytes bytes) {
  const std::string file = bytes.name();
  Cursor cur(bytes.data(), bytes.size(), file);
  auto header_size = cur.read<std::uint64_t>("the safetensors header size");
  if (header_size > cur.remaining())
    fail(Errc::format, file + ": safetensors header claims " + std::to_string(header_size) + " bytes but the file has " +
                           std::to_string(cur.remaining()) + " after the size field (truncated, or not a safetensors file)");
  const char* header_text = reinterpret_cast<const char*>(cur.take(header_size, "the safetensors header"));
  const std::byte* data = bytes.data() + 8 + header_size;
  const std::uint64_t data_size = bytes.size() - 8 - header_size;

  // The format caps the header at 100 MB; 2^18 values are ~25 000 tensors, 10x a 14B model's count.
  if (header_size > 100'000'000) fail(Errc::format, file + ": safetensors header of " + std::to_string(header_size) + " bytes exceeds the format's 100 MB");
  const nlohmann::json header = parse_json_limited(std::string_view(header_text, header_size), file, "safetensors header", {4, 1u << 18});
  if (!header.is_object()) fail(Errc::format, file + ": safetensors header is not a JSON object");

  TensorTable table(std::move(bytes), "safetensors");
  std::vector<std::pair<std::uint64_t, std::uint64_t>> ranges;
  for (const auto& item : header.items()) {
    const std::string& name = item.key();  // not a structured binding: lambdas below capture it (Clang 14)
    const auto& entry = item.value();
    if (name == "__metadata__") continue;
    auto bad = [&](const std::string& what) { fail(Errc::format, file + ": tensor " + in_quotes(name) + ": " + what); };
    if (!entry.is_object() || !entry.contains("dtype") || !entry.contains("shape") || !entry.contains("data_offsets"))
      bad("header entry needs dtype, shape and data_offsets");
    const auto& jd = entry["dtype"];
    const auto& js = entry["shape"];
    const auto& jo = entry["data_offsets"];
    if (!jd.is_string() || !js.is_array() || !jo.is_array() || jo.size() != 2 || !jo[0].is_number_unsigned() ||
        !jo[1].is_number_unsigned())
      bad("malformed dtype, shape or data_offsets");
    TensorView t;
    t.name = name;
    t.source_dtype = jd.get<std::string>();
    t.dtype = safetensors_dtype(t.source_dtype);
    for (const auto& d : js) {
      if (!d.is_number_unsigned()) bad("shape entries must be non-negative integers");
      t.shape.push_back(static_cast<std::int64_t>(std::min<std::uint64_t>(d.get<std::uint64_t>(), INT64_MAX)));
    }
    std::size_t elem = safetensors_elem_size(t.source_dtype);
    if (elem == 0) bad("unknown dtype " + in_quotes(t.source_dtype));
    auto begin = jo[0].get<std::uint64_t>(), end = jo[1].get<std::uint64_t>();
    if (begin > end || end > data_size)
      bad("data_offsets [" + std::to_string(begin) + "," + std::to_string(end) + "] lie outside the " +
          std::to_string(data_size) + " data bytes (file truncated?)");
    std::uint64_t need = tensor_bytes(file, name, t.shape, elem);
    if (end - begin != need)
      bad("shape " + shape_str(t.shape) + " of " + t.source_dtype + " needs " + std::to_string(need) + " bytes, data_offsets give " +
          std::to_string(end - begin));
    t.data = data + begin;
    table.add(std::move(t));
    ranges.emplace_back(begin, end);
  }
  // As the format requires, the tensors tile the data exactly: no byte belongs to two tensors (one file could
  // otherwise hide another model's weights under the same bytes) and none to no tensor.
  std::sort(ranges.begin(), ranges.end());
  std::uint64_t covered = 0;
  for (const auto& [begin, end] : ranges) {
    if (begin < covered) fail(Errc::format, file + ": safetensors data ranges overlap at byte " + std::to_string(begin));
    if (begin > covered) fail(Errc::format, file + ": safetensors data bytes " + std::to_string(covered) + ".." + std::to_string(begin) + " belong to no tensor");
    covered = end;
  }
  if (covered != data_size)
    fail(Errc::format, file + ": safetensors data has " + std::to_string(data_size - covered) + " bytes after the last tensor");
  return table;
}

}  // namespace rwkv7::detail
