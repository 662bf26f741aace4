// fuzz/fuzz_common.hpp — what every libFuzzer harness shares: the refusal rule, touching returned bytes so
// the sanitizers see out-of-bounds views, and RWKV7_FUZZ_VERBOSE reporting for the replay driver.
//
// The rule: rwkv7::Error is how the library refuses input, so guarded() catches it and nothing else. Any
// other exception (std::bad_alloc, std::length_error, nlohmann::json errors, ...) escapes the harness,
// std::terminate aborts, and libFuzzer (or ctest, through replay_main.cpp) reports the input.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <rwkv7/error.hpp>
#include <rwkv7/io/load_tensors.hpp>
#include <rwkv7/model/bind.hpp>

namespace rwkv7_fuzz {

// RWKV7_FUZZ_VERBOSE=1: each input prints "ok ..." or "refused: <error>" (the replay driver prints its path).
inline bool verbose() {
  static const bool on = [] {
    const char* v = std::getenv("RWKV7_FUZZ_VERBOSE");
    return v && *v && *v != '0';
  }();
  return on;
}

inline void note(const std::string& what) {
  if (verbose()) std::fprintf(stderr, "  %s\n", what.c_str());
}

// A property the library promises was broken: report it like a crash.
[[noreturn]] inline void bug(const std::string& what) {
  std::fprintf(stderr, "rwkv7 fuzz check failed: %s\n", what.c_str());
  std::fflush(stderr);
  std::abort();
}

// Runs the harness body; an rwkv7::Error is a clean refusal. Returns what LLVMFuzzerTestOneInput returns.
template <class Body>
int guarded(Body&& body) {
  try {
    body();
  } catch (const rwkv7::Error& e) {
    note(std::string("refused: ") + e.what());
  }
  return 0;
}

// Reads every byte, so ASan reports a view that runs past its buffer (libFuzzer's input buffer is exactly
// `size` bytes on the heap).
inline void touch(const std::byte* p, std::size_t n) {
  unsigned sum = 0;
  for (std::size_t i = 0; i < n; ++i) sum += static_cast<unsigned>(p[i]);
  static volatile unsigned sink;
  sink = sink + sum;
}

// A view [p, p + n) must lie inside the file bytes it was parsed from (checked exactly, not just by ASan).
inline void check_inside(const rwkv7::FileBytes& bytes, const std::byte* p, std::uint64_t n, const std::string& what) {
  const auto base = reinterpret_cast<std::uintptr_t>(bytes.data());
  const auto at = reinterpret_cast<std::uintptr_t>(p);
  if (n == 0) return;
  if (!p || at < base || at - base > bytes.size() || n > bytes.size() - (at - base))
    bug(what + ": view of " + std::to_string(n) + " bytes lies outside the " + std::to_string(bytes.size()) + " input bytes");
  touch(p, static_cast<std::size_t>(n));
}

// The same against every file of a table (sharded checkpoints span several).
inline void check_inside(const rwkv7::TensorTable& table, const std::byte* p, std::uint64_t n, const std::string& what) {
  auto inside = [&](const rwkv7::FileBytes& b) {
    const auto base = reinterpret_cast<std::uintptr_t>(b.data()), at = reinterpret_cast<std::uintptr_t>(p);
    return p && at >= base && at - base <= b.size() && n <= b.size() - (at - base);
  };
  if (n == 0 || inside(table.bytes())) return check_inside(table.bytes(), p, n, what);
  for (const auto& part : table.parts())
    if (inside(part)) return check_inside(part, p, n, what);
  bug(what + ": view of " + std::to_string(n) + " bytes lies outside every file of the table");
}

inline std::uint64_t view_bytes(const rwkv7::TensorView& t, std::size_t elem);
inline std::size_t element_size(const rwkv7::TensorView& t);

// Bytes of a view as its dtype encodes it (ggml blocks: 32 elements of the last dimension a block).
inline std::uint64_t encoded_view_bytes(const rwkv7::TensorView& t) {
  const rwkv7::Encoding e = rwkv7::encoding(t.dtype);
  if (e.block_elements == 1) return view_bytes(t, e.block_bytes);
  if (t.shape.empty() || t.shape.back() % static_cast<std::int64_t>(e.block_elements) != 0)
    bug("tensor '" + t.name + "' of " + rwkv7::dtype_name(t.dtype) + " has rows of partial blocks: " + rwkv7::shape_str(t.shape));
  rwkv7::TensorView blocks = t;
  blocks.shape.back() /= static_cast<std::int64_t>(e.block_elements);
  return view_bytes(blocks, e.block_bytes);
}

// Bytes of a tensor as its file spelled the dtype (safetensors "F32", torch "FloatStorage", a GGUF type; an
// encoding the library does not read has no size it knows: 0).
inline std::uint64_t file_tensor_bytes(const rwkv7::TensorTable& table, const rwkv7::TensorView& t) {
  if (table.format() == "gguf") return t.dtype == rwkv7::DType::unsupported ? 0 : encoded_view_bytes(t);
  if (table.format() == "rwkv.cpp") return encoded_view_bytes(t);  // the reader refuses types it cannot size
  return view_bytes(t, element_size(t));
}

// Bytes per element of a tensor as its file spelled the dtype (safetensors "F32", torch "FloatStorage").
inline std::size_t element_size(const rwkv7::TensorView& t) {
  if (std::size_t n = rwkv7::detail::safetensors_elem_size(t.source_dtype)) return n;
  rwkv7::DType dtype;
  std::size_t n = 0;
  if (rwkv7::detail::torch_storage_type(t.source_dtype, dtype, n)) return n;
  bug("tensor '" + t.name + "' has unknown source dtype '" + t.source_dtype + "'");
}

inline std::uint64_t view_bytes(const rwkv7::TensorView& t, std::size_t elem) {
  std::uint64_t n = elem;
  for (auto d : t.shape) {
    if (d < 0 || !rwkv7::detail::checked_mul(n, static_cast<std::uint64_t>(d), n))
      bug("tensor '" + t.name + "' has shape " + rwkv7::shape_str(t.shape) + " after loading");
  }
  return n;
}

// Every tensor of a table: numel x element size bytes inside the file.
inline void touch_table(const rwkv7::TensorTable& table) {
  for (const auto& t : table.tensors()) check_inside(table, t.data, file_tensor_bytes(table, t), "tensor '" + t.name + "'");
}

// Every view bind_weights made (fused rows included): shape x dtype size bytes inside the file. Matrices
// quantized at load live in the model's own storage instead: ASan checks those, with their row scales.
inline void touch_weights(const rwkv7::ModelWeights& m) {
  auto view = [&](const rwkv7::TensorView& t) {
    if (!t.data) return;
    const std::uint64_t n = encoded_view_bytes(t);
    if (t.dtype == rwkv7::DType::q8) touch(t.data, static_cast<std::size_t>(n));
    else check_inside(m.table, t.data, n, "weight '" + t.name + "'");
  };
  auto linear = [&](const rwkv7::Linear& l) {
    view(l.w);
    if (l.w.dtype == rwkv7::DType::q8) {
      if (!l.row_scale) bug("int8 matrix '" + l.w.name + "' has no row scales");
      touch(reinterpret_cast<const std::byte*>(l.row_scale), static_cast<std::size_t>(l.out) * sizeof(float));
    }
    if (l.w.data && (l.w.shape.size() != 2 || (l.transposed ? l.w.shape[0] != l.in || l.w.shape[1] != l.out
                                                            : l.w.shape[0] != l.out || l.w.shape[1] != l.in)))
      bug("linear '" + l.w.name + "' has shape " + rwkv7::shape_str(l.w.shape) + " for in " + std::to_string(l.in) + ", out " +
          std::to_string(l.out));
  };
  view(m.emb), view(m.ln0_w), view(m.ln0_b), view(m.ln_out_w), view(m.ln_out_b), linear(m.head);
  for (const auto& L : m.layers) {
    for (const auto* t : {&L.ln1_w, &L.ln1_b, &L.ln2_w, &L.ln2_b, &L.att.x_r, &L.att.x_w, &L.att.x_k, &L.att.x_v, &L.att.x_a,
                          &L.att.x_g, &L.att.w0, &L.att.a0, &L.att.v0, &L.att.k_k, &L.att.k_a, &L.att.r_k, &L.att.ln_x_w,
                          &L.att.ln_x_b, &L.ffn.x_k})
      view(*t);
    for (const auto* l : {&L.att.w1, &L.att.w2, &L.att.a1, &L.att.a2, &L.att.v1, &L.att.v2, &L.att.g1, &L.att.g2, &L.att.receptance,
                          &L.att.key, &L.att.value, &L.att.output, &L.ffn.key, &L.ffn.value})
      linear(*l);
  }
}

}  // namespace rwkv7_fuzz
