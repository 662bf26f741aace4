// rwkv7/io/json_limits.hpp — JSON from untrusted files (a safetensors header, config.json) parsed with ceilings
// on nesting and on the number of values, so a small header of "[[[[…" or "[1,1,1,…" cannot make the parsed
// document tens of times larger than the file.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "../error.hpp"

namespace rwkv7::detail {

struct JsonLimits {
  int depth;               // a safetensors header nests 3 deep
  std::size_t values;      // a safetensors header holds ~10 values per tensor
};

// Parses `text`; any syntax error or exceeded limit is Errc::format naming `name` and `what` (e.g. "safetensors
// header").
inline nlohmann::json parse_json_limited(std::string_view text, const std::string& name, const char* what, JsonLimits limits) {
  std::size_t values = 0;
  auto guard = [&](int depth, nlohmann::json::parse_event_t, nlohmann::json&) {
    if (depth > limits.depth) fail(Errc::format, name + ": " + what + " nests deeper than " + std::to_string(limits.depth) + " levels");
    if (++values > limits.values) fail(Errc::format, name + ": " + what + " holds more than " + std::to_string(limits.values) + " JSON values");
    return true;
  };
  try {
    return nlohmann::json::parse(text.begin(), text.end(), guard);
  } catch (const nlohmann::json::exception& e) {
    fail(Errc::format, name + ": " + what + " is not valid JSON (" + e.what() + ")");
  }
}

}  // namespace rwkv7::detail
