// rwkv7/error.hpp — the one exception type the library throws, and the funnel every throw goes through.
#pragma once

#include <stdexcept>
#include <string>

namespace rwkv7 {

// What kind of input was wrong; lets an app react without parsing the message.
enum class Errc {
  io,              // file could not be opened / mapped / read
  format,          // bytes are not a valid file of the claimed format (bad magic, truncated, bad offsets)
  missing_tensor,  // a required tensor is absent
  shape,           // a tensor has the wrong shape
  dtype,           // a tensor has a dtype the library does not compute with
  config,          // tensors are individually fine but do not form a consistent model
  vocab,           // tokenizer vocabulary file is malformed
  state,           // a saved state does not match the model
  argument,        // a caller passed an invalid value (token id out of range, ...)
};

inline const char* errc_name(Errc c) {
  switch (c) {
    case Errc::io: return "io";
    case Errc::format: return "format";
    case Errc::missing_tensor: return "missing_tensor";
    case Errc::shape: return "shape";
    case Errc::dtype: return "dtype";
    case Errc::config: return "config";
    case Errc::vocab: return "vocab";
    case Errc::state: return "state";
    case Errc::argument: return "argument";
  }
  return "unknown";
}

// Messages read "rwkv7 [shape] model.pth: tensor 'blocks.3.att.k_k': expected [768], got [1,1,512]":
// the file, the tensor and what was expected, so a user can fix a conversion without a debugger.
class Error : public std::runtime_error {
 public:
  Error(Errc code, const std::string& message)
      : std::runtime_error("rwkv7 [" + std::string(errc_name(code)) + "] " + message), code_(code) {}
  Errc code() const noexcept { return code_; }

 private:
  Errc code_;
};

namespace detail {

// Cold, out of line in spirit: keeps throw sites one short call in hot-ish parsers.
[[noreturn]] inline void fail(Errc code, const std::string& message) { throw Error(code, message); }

inline std::string in_quotes(const std::string& s) { return "'" + s + "'"; }

}  // namespace detail
}  // namespace rwkv7
