// rwkv7/io/metadata.hpp — facts a file carries beside its tensors (config.json fields, GGUF key/values): a
// string, an integer, a real number or an array of them, under a key.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace rwkv7 {

struct MetaValue {
  enum class Kind { integer, real, string, array };
  Kind kind = Kind::integer;
  std::int64_t integer = 0;
  double real = 0;
  std::string text;
  std::vector<MetaValue> items;

  static MetaValue of_integer(std::int64_t v) { MetaValue m; m.kind = Kind::integer; m.integer = v; m.real = static_cast<double>(v); return m; }
  static MetaValue of_real(double v) { MetaValue m; m.kind = Kind::real; m.real = v; return m; }
  static MetaValue of_string(std::string v) { MetaValue m; m.kind = Kind::string; m.text = std::move(v); return m; }
  static MetaValue of_array(std::vector<MetaValue> v) { MetaValue m; m.kind = Kind::array; m.items = std::move(v); return m; }

  bool is_number() const { return kind == Kind::integer || kind == Kind::real; }
  // The value as a real number (integers convert); meaningful only when is_number().
  double number() const { return kind == Kind::integer ? static_cast<double>(integer) : real; }
};

using Metadata = std::map<std::string, MetaValue>;

}  // namespace rwkv7
