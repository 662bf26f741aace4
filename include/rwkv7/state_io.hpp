// rwkv7/state_io.hpp — saving a State to disk and loading it back: a small versioned binary format that
// records the model's fingerprint and shape and ends with a checksum, so a state is never silently applied to
// another model or read back corrupted.
//
// Layout (little-endian): "RWKV7ST\0" | u32 version | u64 model fingerprint | i64 n_layer, n_embd, n_head,
// head_size | version 2 only: char[8] architecture name ("cxa076", "cxa076r"; NUL-padded), i64 key/value heads |
// u64 float count | f32 × count | u64 extra size | extra bytes (caller's, e.g. pending tokens) | u64 FNV-1a of
// everything before. x070 states are written as version 1, byte for byte as before the other variants existed.
#pragma once

#include <algorithm>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

#include "error.hpp"
#include "detail/fnv1a.hpp"
#include "io/file_bytes.hpp"
#include "model/config.hpp"
#include "state.hpp"

namespace rwkv7 {

namespace detail {
constexpr char kStateMagic[8] = {'R', 'W', 'K', 'V', '7', 'S', 'T', '\0'};
constexpr std::uint32_t kStateVersionX070 = 1, kStateVersionVariant = 2;
constexpr std::size_t kArchitectureField = 8;

// A name read from an untrusted file, safe to print: anything but letters, digits and '_' becomes '?'.
inline std::string visible(std::string s) {
  for (char& ch : s)
    if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_')) ch = '?';
  return s;
}

template <class T>
void put(std::string& out, const T& v) {
  out.append(reinterpret_cast<const char*>(&v), sizeof v);
}
}  // namespace detail

// The bytes of a saved state. `extra` is stored verbatim (apps keep their own resume data there).
inline std::string serialize_state(const State& s, const ModelConfig& c, std::string_view extra = {}) {
  if (!s.matches(c)) detail::fail(Errc::state, "save_state: the state does not belong to this model");
  std::string out(detail::kStateMagic, 8);
  const bool x070 = c.arch.variant == Variant::x070;
  detail::put(out, x070 ? detail::kStateVersionX070 : detail::kStateVersionVariant);
  detail::put(out, c.fingerprint);
  for (std::int64_t d : {s.n_layer(), s.n_embd(), s.n_head(), s.head_size()}) detail::put(out, d);
  if (!x070) {
    std::string name = architecture_name(c.arch);
    name.resize(detail::kArchitectureField, '\0');
    out += name;
    detail::put(out, c.n_kv_head);
  }
  detail::put(out, static_cast<std::uint64_t>(s.data().size()));
  out.append(reinterpret_cast<const char*>(s.data().data()), s.data().size() * sizeof(float));
  detail::put(out, static_cast<std::uint64_t>(extra.size()));
  out.append(extra);
  detail::put(out, detail::fnv1a(out.data(), out.size()));
  return out;
}

// Reads a state saved by serialize_state for the model `c`; `name` appears in errors. Stores `extra` if asked.
inline State deserialize_state(std::string_view bytes, const ModelConfig& c, const std::string& name, std::string* extra = nullptr) {
  auto bad = [&](const std::string& what) { detail::fail(Errc::state, name + ": " + what); };
  if (bytes.size() < 8 + 4 + 8 + 32 + 8 + 8 + 8 || std::memcmp(bytes.data(), detail::kStateMagic, 8) != 0)
    bad("not an rwkv7 state file");
  std::uint64_t stored_sum;
  std::memcpy(&stored_sum, bytes.data() + bytes.size() - 8, 8);
  if (detail::fnv1a(bytes.data(), bytes.size() - 8) != stored_sum) bad("checksum mismatch (the file is corrupted or truncated)");
  detail::Cursor cur(reinterpret_cast<const std::byte*>(bytes.data()) + 8, bytes.size() - 16, name);
  auto version = cur.read<std::uint32_t>("the version");
  if (version != detail::kStateVersionX070 && version != detail::kStateVersionVariant)
    bad("state format version " + std::to_string(version) + " is not supported (expected 1 or 2)");
  auto fp = cur.read<std::uint64_t>("the model fingerprint");
  std::int64_t dims[4];
  for (auto& d : dims) d = cur.read<std::int64_t>("the state shape");
  std::string saved_arch = "x070";
  std::int64_t saved_kv_heads = dims[2];
  if (version == detail::kStateVersionVariant) {
    const std::byte* name = cur.take(detail::kArchitectureField, "the architecture name");
    saved_arch.assign(reinterpret_cast<const char*>(name), detail::kArchitectureField);
    saved_arch.resize(std::min(saved_arch.find('\0'), saved_arch.size()));
    saved_kv_heads = cur.read<std::int64_t>("the key/value head count");
  }
  const std::string arch = architecture_name(c.arch);
  if (saved_arch != arch || saved_kv_heads != c.n_kv_head)
    bad("saved for an architecture " + detail::in_quotes(detail::visible(saved_arch)) + " with " + std::to_string(saved_kv_heads) +
        " key/value heads; this model is " + arch + " with " + std::to_string(c.n_kv_head));
  if (dims[0] != c.n_layer || dims[1] != c.n_embd || dims[2] != c.n_head || dims[3] != c.head_size)
    bad("saved for a model with " + std::to_string(dims[0]) + " layers, width " + std::to_string(dims[1]) + ", " + std::to_string(dims[2]) +
        " heads of " + std::to_string(dims[3]) + "; this model has " + std::to_string(c.n_layer) + " layers, width " + std::to_string(c.n_embd) +
        ", " + std::to_string(c.n_head) + " heads of " + std::to_string(c.head_size));
  if (fp != c.fingerprint) bad("saved from a different model (same shape, different weights)");
  State s(c);
  auto count = cur.read<std::uint64_t>("the float count");
  if (count != s.data().size()) bad("holds " + std::to_string(count) + " numbers, expected " + std::to_string(s.data().size()));
  std::memcpy(s.data().data(), cur.take(static_cast<std::size_t>(count) * sizeof(float), "the state data"), static_cast<std::size_t>(count) * sizeof(float));
  auto extra_size = cur.read<std::uint64_t>("the extra size");
  if (extra_size != cur.remaining())
    bad("declares " + std::to_string(extra_size) + " extra bytes but holds " + std::to_string(cur.remaining()));
  const std::byte* e = cur.take(static_cast<std::size_t>(extra_size), "the extra data");
  if (extra) extra->assign(reinterpret_cast<const char*>(e), static_cast<std::size_t>(extra_size));
  return s;
}

inline void save_state(const std::string& path, const State& s, const ModelConfig& c, std::string_view extra = {}) {
  std::string bytes = serialize_state(s, c, extra);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out.flush()) detail::fail(Errc::io, path + ": cannot write state file");
}

inline State load_state(const std::string& path, const ModelConfig& c, std::string* extra = nullptr) {
  std::ifstream in(path, std::ios::binary);
  if (!in) detail::fail(Errc::io, path + ": cannot open state file");
  std::stringstream buf;
  buf << in.rdbuf();
  return deserialize_state(buf.str(), c, path, extra);
}

}  // namespace rwkv7
