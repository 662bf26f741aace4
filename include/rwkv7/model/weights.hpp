// rwkv7/model/weights.hpp — the weight view: every tensor of an RWKV-7 x070 model under its RWKV-LM name,
// found in a TensorTable whichever naming the file uses (RWKV-LM .pth/.safetensors or fla/HF), with the
// config detected from shapes and every shape checked. Views only: the data stays in the file bytes.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <memory>
#include <vector>

#include "../detail/half.hpp"
#include "../detail/huge_pages.hpp"
#include "../io/tensor_table.hpp"
#include "config.hpp"

namespace rwkv7 {

// y = W x. `transposed` means the file stores W as [in, out] (RWKV-LM LoRA factors w1, w2, ...), which the
// kernels read column-wise instead of paying for a transposed copy.
struct Linear {
  TensorView w;
  bool transposed = false;
  std::int64_t in = 0, out = 0;
  const float* row_scale = nullptr;  // int8 weights: output row o is scaled by row_scale[o]
};

struct TimeMixWeights {
  TensorView x_r, x_w, x_k, x_v, x_a, x_g;   // [C] token-shift mixes
  TensorView w0, a0, v0, k_k, k_a;            // [C]
  TensorView r_k;                             // [H, N]
  Linear w1, w2, a1, a2, v1, v2, g1, g2;      // LoRA factors: C -> D -> C
  Linear receptance, key, value, output;      // [C, C]
  TensorView ln_x_w, ln_x_b;                  // [C] GroupNorm affine
};

struct ChannelMixWeights {
  TensorView x_k;        // [C]
  Linear key, value;     // [F, C], [C, F]
};

struct LayerWeights {
  TensorView ln1_w, ln1_b, ln2_w, ln2_b;  // [C]
  TimeMixWeights att;
  ChannelMixWeights ffn;
};

struct ModelWeights {
  ModelConfig config;
  TensorTable table;             // owns the bytes every view points into
  TensorView emb;                // [V, C]
  TensorView ln0_w, ln0_b;       // [C], applied to the embedding once
  std::vector<LayerWeights> layers;
  TensorView ln_out_w, ln_out_b; // [C]
  Linear head;                   // [V, C]
  std::vector<std::shared_ptr<const std::byte[]>> owned;  // storage made at load (quantized weights)
};

namespace detail {

// Turns canonical (RWKV-LM) names into the tensors of one file, whatever its naming.
class WeightFinder {
 public:
  explicit WeightFinder(const TensorTable& t) : t_(t) {
    if (t.contains("emb.weight")) fla_ = false;
    else if (t.contains("model.embeddings.weight")) fla_ = true;
    else fail(Errc::missing_tensor, t.file() + ": not an RWKV-7 model: it has neither 'emb.weight' (RWKV-LM) nor "
                                    "'model.embeddings.weight' (fla/HF)");
  }
  bool fla() const { return fla_; }

  std::string layer_prefix(std::int64_t i) const {
    return (fla_ ? "model.layers." : "blocks.") + std::to_string(i) + ".";
  }
  bool has_layer(std::int64_t i) const { return t_.contains(layer_prefix(i) + (fla_ ? "attn_norm.weight" : "ln1.weight")); }

  // Looks up a canonical name such as "blocks.3.att.w1" and reports where it came from.
  const TensorView* find(const std::string& canonical, std::string& file_name, bool& transposed, int& fused_row) const {
    transposed = false;
    fused_row = -1;
    if (!fla_) {
      file_name = canonical;
      transposed = is_lora_factor(canonical);
      return t_.find(canonical);
    }
    file_name = fla_name(canonical, fused_row);
    return t_.find(file_name);
  }

 private:
  static bool is_lora_factor(const std::string& n) {
    static const char* factors[] = {".att.w1", ".att.w2", ".att.a1", ".att.a2", ".att.v1", ".att.v2", ".att.g1", ".att.g2"};
    for (const char* f : factors) {
      std::size_t len = std::strlen(f);
      if (n.size() > len && n.compare(n.size() - len, len, f) == 0) return true;
    }
    return false;
  }

  // FORMATS.md §2.2: fla names, LoRA as nn.Linear pairs (lora.0 = X1ᵀ, lora.2 = X2ᵀ, lora.2.bias = X0).
  std::string fla_name(const std::string& c, int& fused_row) const {
    static const std::map<std::string, std::string> global = {
        {"emb.weight", "model.embeddings.weight"}, {"ln_out.weight", "model.norm.weight"},
        {"ln_out.bias", "model.norm.bias"},       {"head.weight", "lm_head.weight"}};
    if (auto it = global.find(c); it != global.end()) return it->second;
    // "blocks.<i>.<rest>"
    auto dot = c.find('.', 7);
    std::string layer = "model.layers." + c.substr(7, dot - 7) + ".";
    std::string rest = c.substr(dot + 1);
    static const std::map<std::string, std::string> local = {
        {"ln0.weight", "pre_norm.weight"}, {"ln0.bias", "pre_norm.bias"},
        {"ln1.weight", "attn_norm.weight"}, {"ln1.bias", "attn_norm.bias"},
        {"ln2.weight", "ffn_norm.weight"}, {"ln2.bias", "ffn_norm.bias"},
        {"att.w0", "attn.w_lora.lora.2.bias"}, {"att.w1", "attn.w_lora.lora.0.weight"}, {"att.w2", "attn.w_lora.lora.2.weight"},
        {"att.a0", "attn.a_lora.lora.2.bias"}, {"att.a1", "attn.a_lora.lora.0.weight"}, {"att.a2", "attn.a_lora.lora.2.weight"},
        {"att.v0", "attn.v_lora.lora.2.bias"}, {"att.v1", "attn.v_lora.lora.0.weight"}, {"att.v2", "attn.v_lora.lora.2.weight"},
        {"att.g1", "attn.g_lora.lora.0.weight"}, {"att.g2", "attn.g_lora.lora.2.weight"},
        {"att.receptance.weight", "attn.r_proj.weight"}, {"att.key.weight", "attn.k_proj.weight"},
        {"att.value.weight", "attn.v_proj.weight"}, {"att.output.weight", "attn.o_proj.weight"},
        {"att.ln_x.weight", "attn.g_norm.weight"}, {"att.ln_x.bias", "attn.g_norm.bias"},
        {"att.k_k", "attn.k_k"}, {"att.k_a", "attn.k_a"}, {"att.r_k", "attn.r_k"},
        {"ffn.x_k", "ffn.x_k"}, {"ffn.key.weight", "ffn.key.weight"}, {"ffn.value.weight", "ffn.value.weight"}};
    if (auto it = local.find(rest); it != local.end()) return layer + it->second;
    // Token-shift mixes: separate attn.x_r..x_g (current fla) or one fused attn.x_x [6, C] (fla before 2025-04).
    static const std::string mixes = "rwkvag";
    if (rest.size() == 7 && rest.compare(0, 6, "att.x_") == 0 && mixes.find(rest[6]) != std::string::npos) {
      std::string separate = layer + "attn.x_" + rest[6];
      if (t_.contains(separate) || !t_.contains(layer + "attn.x_x")) return separate;
      fused_row = static_cast<int>(mixes.find(rest[6]));
      return layer + "attn.x_x";
    }
    return layer + rest;
  }

  const TensorTable& t_;
  bool fla_ = false;
};

class WeightBinder {
 public:
  WeightBinder(const TensorTable& table, const WeightFinder& finder) : table_(table), finder_(finder) {}

  // A tensor whose shape is exactly `shape`.
  TensorView tensor(const std::string& canonical, const Shape& shape) {
    std::string file_name;
    bool transposed;
    int row;
    const TensorView* t = require(canonical, file_name, transposed, row);
    if (row >= 0) return fused_row(*t, file_name, row, shape);
    check_shape(*t, file_name, shape, canonical);
    return *t;
  }

  // A vector of n numbers stored as [n], [1,n] or [1,1,n] (RWKV-LM keeps mixes as [1,1,C]).
  TensorView vector(const std::string& canonical, std::int64_t n) {
    std::string file_name;
    bool transposed;
    int row;
    const TensorView* t = require(canonical, file_name, transposed, row);
    if (row >= 0) return fused_row(*t, file_name, row, {n});
    bool ok = !t->shape.empty() && t->shape.back() == n && t->numel() == n;
    if (!ok) shape_error(file_name, "[" + std::to_string(n) + "] (or [1,1," + std::to_string(n) + "])", t->shape, canonical);
    return *t;
  }

  // y = W x with W mapping `in` -> `out`; accepts the file's layout ([out,in], or [in,out] for RWKV-LM LoRA).
  Linear linear(const std::string& canonical, std::int64_t in, std::int64_t out) {
    std::string file_name;
    bool transposed;
    int row;
    const TensorView* t = require(canonical, file_name, transposed, row);
    Shape want = transposed ? Shape{in, out} : Shape{out, in};
    check_shape(*t, file_name, want, canonical);
    return Linear{*t, transposed, in, out};
  }

  // Reads a dimension from a tensor that must exist and be 2-D (used by config detection).
  Shape shape_of(const std::string& canonical) {
    std::string file_name;
    bool transposed;
    int row;
    const TensorView* t = require(canonical, file_name, transposed, row);
    if (row >= 0) return {t->shape.empty() ? 0 : t->shape.back()};
    if (t->shape.size() != 2) shape_error(file_name, "a matrix", t->shape, canonical);
    return transposed ? Shape{t->shape[1], t->shape[0]} : t->shape;  // always [out, in]
  }

  bool has(const std::string& canonical) {
    std::string file_name;
    bool transposed;
    int row;
    return finder_.find(canonical, file_name, transposed, row) != nullptr;
  }

 private:
  const TensorView* require(const std::string& canonical, std::string& file_name, bool& transposed, int& row) {
    const TensorView* t = finder_.find(canonical, file_name, transposed, row);
    if (!t) fail(Errc::missing_tensor, table_.file() + ": tensor " + in_quotes(file_name) + " is missing" + alias(file_name, canonical));
    if (t->dtype == DType::unsupported)
      fail(Errc::dtype, table_.file() + ": tensor " + in_quotes(file_name) + ": dtype " + t->source_dtype +
                            " is not supported (expected fp32, fp16 or bf16)");
    return t;
  }
  static std::string alias(const std::string& file_name, const std::string& canonical) {
    return file_name == canonical ? "" : " (RWKV-LM name " + in_quotes(canonical) + ")";
  }
  [[noreturn]] void shape_error(const std::string& file_name, const std::string& want, const Shape& got, const std::string& canonical) {
    fail(Errc::shape, table_.file() + ": tensor " + in_quotes(file_name) + alias(file_name, canonical) + ": expected " + want +
                          ", got " + shape_str(got));
  }
  void check_shape(const TensorView& t, const std::string& file_name, const Shape& want, const std::string& canonical) {
    if (t.shape != want) shape_error(file_name, shape_str(want), t.shape, canonical);
  }
  TensorView fused_row(const TensorView& t, const std::string& file_name, int row, const Shape& want) {
    std::int64_t n = want.back();
    if (t.shape.size() != 2 || t.shape[0] < 6 || t.shape[1] != n) shape_error(file_name, "[6," + std::to_string(n) + "]", t.shape, file_name);
    TensorView v = t;
    v.name = file_name + "[" + std::to_string(row) + "]";
    v.shape = {n};
    v.data = t.data + static_cast<std::size_t>(row * n) * dtype_size(t.dtype);
    return v;
  }

  const TensorTable& table_;
  const WeightFinder& finder_;
};

// FNV-1a 64: a stable, dependency-free hash for fingerprints and checksums.
inline std::uint64_t fnv1a(const void* data, std::size_t n, std::uint64_t h = 14695981039346656037ULL) {
  const auto* p = static_cast<const unsigned char*>(data);
  for (std::size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 1099511628211ULL;
  return h;
}

// The shape plus 64 rows' worth of bytes sampled evenly from the head and the embedding: two checkpoints
// that differ in training almost surely differ here, and computing it costs microseconds.
inline std::uint64_t fingerprint(const ModelWeights& m) {
  const ModelConfig& c = m.config;
  std::int64_t dims[] = {c.n_layer, c.n_embd, c.n_head, c.head_size, c.dim_ffn, c.vocab_size, c.lora_w, c.lora_a, c.lora_v, c.lora_g};
  std::uint64_t h = fnv1a(dims, sizeof dims);
  for (const TensorView* t : {&m.head.w, &m.emb}) {
    const std::size_t bytes = static_cast<std::size_t>(t->numel()) * dtype_size(t->dtype);
    const std::size_t piece = std::min<std::size_t>(bytes, 256);
    for (std::size_t k = 0; k < 32; ++k) h = fnv1a(t->data + (bytes - piece) * k / 31, piece, h);
  }
  return h;
}

}  // namespace detail

// Builds the weight view of an RWKV-7 x070 model, detecting its config from shapes. Throws rwkv7::Error.
inline ModelWeights bind_weights(TensorTable table) {
  ModelWeights m;
  m.table = std::move(table);
  const TensorTable& t = m.table;
  detail::WeightFinder finder(t);
  detail::WeightBinder bind(t, finder);
  ModelConfig& c = m.config;
  c.format = t.format();
  c.naming = finder.fla() ? "fla" : "rwkv-lm";
  auto cfg_fail = [&](const std::string& what) { detail::fail(Errc::config, t.file() + ": " + what); };
  if (t.hints.count("hybrid_attention")) cfg_fail("config.json lists softmax-attention layers (hybrid model); only pure RWKV-7 is supported");

  // Shapes tell everything: emb [V,C], r_k [H,N], ffn.key [F,C], LoRA factors [C,D]. Every size must be at
  // least 1: an empty width or head would pass every shape check below and divide by zero later.
  auto positive = [&](std::int64_t v, const std::string& what) {
    if (v < 1) cfg_fail(what + " is " + std::to_string(v) + "; it must be at least 1");
    return v;
  };
  auto emb_shape = bind.shape_of("emb.weight");
  c.vocab_size = positive(emb_shape[0], "the vocabulary (rows of emb.weight)");
  c.n_embd = positive(emb_shape[1], "the width (columns of emb.weight)");
  while (finder.has_layer(c.n_layer)) ++c.n_layer;
  if (c.n_layer == 0) cfg_fail("no layers found (expected " + detail::in_quotes(finder.layer_prefix(0) + (finder.fla() ? "attn_norm.weight" : "ln1.weight")) + ")");
  auto r_k = bind.shape_of("blocks.0.att.r_k");
  c.n_head = positive(r_k[0], "the head count (rows of blocks.0.att.r_k)");
  c.head_size = positive(r_k[1], "the head size (columns of blocks.0.att.r_k)");
  if (c.n_head * c.head_size != c.n_embd)
    cfg_fail("blocks.0.att.r_k is [" + std::to_string(c.n_head) + "," + std::to_string(c.head_size) + "] but heads × head size must equal the width " +
             std::to_string(c.n_embd) + " of emb.weight");
  c.dim_ffn = positive(bind.shape_of("blocks.0.ffn.key.weight")[0], "the FFN width (rows of blocks.0.ffn.key.weight)");
  c.lora_w = positive(bind.shape_of("blocks.0.att.w1")[0], "the decay LoRA rank (blocks.0.att.w1)");
  c.lora_a = positive(bind.shape_of("blocks.0.att.a1")[0], "the in-context learning rate LoRA rank (blocks.0.att.a1)");
  c.lora_g = positive(bind.shape_of("blocks.0.att.g1")[0], "the gate LoRA rank (blocks.0.att.g1)");

  // config.json numbers are doubles from an untrusted file: only finite whole numbers in range are compared or
  // used, never cast blindly.
  auto whole_hint = [&](const char* key, std::int64_t max) -> std::int64_t {
    const double v = t.hints.at(key);
    if (!(v >= 0 && v <= static_cast<double>(max)) || v != std::floor(v))
      cfg_fail(std::string("config.json: ") + key + " must be a whole number in [0, " + std::to_string(max) + "]");
    return static_cast<std::int64_t>(v);
  };
  // Layer 0 has no value-residual LoRA, so a one-layer model only states its rank in config.json (if at all).
  if (c.n_layer > 1) c.lora_v = positive(bind.shape_of("blocks.1.att.v1")[0], "the value LoRA rank (blocks.1.att.v1)");
  else if (t.hints.count("v_low_rank_dim")) c.lora_v = whole_hint("v_low_rank_dim", c.n_embd);
  if (t.hints.count("norm_eps")) {
    const double eps = t.hints.at("norm_eps");
    if (!(eps > 0 && eps < 1)) cfg_fail("config.json: norm_eps must lie in (0, 1), got " + std::to_string(eps));
    c.layer_norm_eps = eps;
    c.group_norm_eps = static_cast<double>(c.head_size) * c.layer_norm_eps;
  }
  auto hint = [&](const char* key, std::int64_t detected, const char* what) {
    if (!t.hints.count(key)) return;
    const std::int64_t said = whole_hint(key, std::int64_t{1} << 40);
    if (said != detected)
      cfg_fail(std::string("config.json says ") + key + " = " + std::to_string(said) + " but the tensors give " + what + " = " +
               std::to_string(detected));
  };
  hint("hidden_size", c.n_embd, "width");
  hint("num_hidden_layers", c.n_layer, "layers");
  hint("head_dim", c.head_size, "head size");
  hint("vocab_size", c.vocab_size, "vocab");
  hint("intermediate_size", c.dim_ffn, "ffn width");
  if (c.n_layer > 1) hint("v_low_rank_dim", c.lora_v, "value LoRA rank");

  const std::int64_t C = c.n_embd, H = c.n_head, N = c.head_size, F = c.dim_ffn, V = c.vocab_size;
  m.emb = bind.tensor("emb.weight", {V, C});
  m.ln0_w = bind.vector("blocks.0.ln0.weight", C);
  m.ln0_b = bind.vector("blocks.0.ln0.bias", C);
  m.layers.resize(static_cast<std::size_t>(c.n_layer));
  for (std::int64_t i = 0; i < c.n_layer; ++i) {
    const std::string p = "blocks." + std::to_string(i) + ".";
    LayerWeights& L = m.layers[static_cast<std::size_t>(i)];
    L.ln1_w = bind.vector(p + "ln1.weight", C);
    L.ln1_b = bind.vector(p + "ln1.bias", C);
    L.ln2_w = bind.vector(p + "ln2.weight", C);
    L.ln2_b = bind.vector(p + "ln2.bias", C);
    TimeMixWeights& a = L.att;
    a.x_r = bind.vector(p + "att.x_r", C);
    a.x_w = bind.vector(p + "att.x_w", C);
    a.x_k = bind.vector(p + "att.x_k", C);
    a.x_v = bind.vector(p + "att.x_v", C);
    a.x_a = bind.vector(p + "att.x_a", C);
    a.x_g = bind.vector(p + "att.x_g", C);
    a.w0 = bind.vector(p + "att.w0", C);
    a.w1 = bind.linear(p + "att.w1", C, c.lora_w);
    a.w2 = bind.linear(p + "att.w2", c.lora_w, C);
    a.a0 = bind.vector(p + "att.a0", C);
    a.a1 = bind.linear(p + "att.a1", C, c.lora_a);
    a.a2 = bind.linear(p + "att.a2", c.lora_a, C);
    if (i > 0) {  // layer 0 takes v as v_first; its v0/v1/v2, present or not, are never used
      a.v0 = bind.vector(p + "att.v0", C);
      a.v1 = bind.linear(p + "att.v1", C, c.lora_v);
      a.v2 = bind.linear(p + "att.v2", c.lora_v, C);
    }
    a.g1 = bind.linear(p + "att.g1", C, c.lora_g);
    a.g2 = bind.linear(p + "att.g2", c.lora_g, C);
    a.k_k = bind.vector(p + "att.k_k", C);
    a.k_a = bind.vector(p + "att.k_a", C);
    a.r_k = bind.tensor(p + "att.r_k", {H, N});
    a.receptance = bind.linear(p + "att.receptance.weight", C, C);
    a.key = bind.linear(p + "att.key.weight", C, C);
    a.value = bind.linear(p + "att.value.weight", C, C);
    a.output = bind.linear(p + "att.output.weight", C, C);
    a.ln_x_w = bind.vector(p + "att.ln_x.weight", C);
    a.ln_x_b = bind.vector(p + "att.ln_x.bias", C);
    L.ffn.x_k = bind.vector(p + "ffn.x_k", C);
    L.ffn.key = bind.linear(p + "ffn.key.weight", C, F);
    L.ffn.value = bind.linear(p + "ffn.value.weight", F, C);
  }
  m.ln_out_w = bind.vector("ln_out.weight", C);
  m.ln_out_b = bind.vector("ln_out.bias", C);
  m.head = bind.linear("head.weight", C, V);
  c.dtype = dtype_name(m.head.w.dtype);
  c.fingerprint = detail::fingerprint(m);
  return m;
}

namespace detail {

// An [rows, cols] matrix to int8, one scale per row: q = round(w / s) (half away from zero), s = max|w| / 127.
// Returns the rows converted: all of them, or the index of the first row holding a NaN or an infinity.
// One typed pass per row, so the conversion, the peak and the rounding vectorize (load time, not accuracy).
template <class Load>
std::size_t quantize_rows(const std::byte* w, std::size_t rows, std::size_t cols, float* scale, std::int8_t* q) {
  std::vector<float> row(cols);
  for (std::size_t o = 0; o < rows; ++o) {
    const std::byte* src = w + o * cols * Load::size;
    std::uint32_t peak_bits = 0;  // the bits of |w| order like the magnitudes, and an integer max vectorizes
    for (std::size_t i = 0; i < cols; ++i) {
      row[i] = Load::at(src, i);
      std::uint32_t bits;
      std::memcpy(&bits, &row[i], sizeof bits);
      peak_bits = std::max(peak_bits, bits & 0x7fffffffu);
    }
    if (peak_bits >= 0x7f800000u) return o;  // a NaN or an infinity: no scale and no rounding would mean anything
    const float peak = bits_to_float(peak_bits);
    const float s = peak > 0.0f ? peak / 127.0f : 1.0f;
    for (std::size_t i = 0; i < cols; ++i) {
      const float t = row[i] / s;  // |t| <= 127
      q[o * cols + i] = static_cast<std::int8_t>(static_cast<int>(t + (t < 0.0f ? -0.5f : 0.5f)));
    }
    scale[o] = s;
  }
  return rows;
}

}  // namespace detail

namespace detail {

// Index of the first NaN or infinity among n values stored as `dtype` (all-ones exponent), or n if none.
inline std::size_t first_nonfinite(const std::byte* p, std::size_t n, DType dtype) {
  auto scan = [&](auto word, auto exponent) -> std::size_t {
    for (std::size_t i = 0; i < n; ++i) {
      decltype(word) v;
      std::memcpy(&v, p + i * sizeof v, sizeof v);
      if ((v & exponent) == exponent) return i;
    }
    return n;
  };
  switch (dtype) {
    case DType::f32: return scan(std::uint32_t{}, std::uint32_t{0x7f800000u});
    case DType::bf16: return scan(std::uint16_t{}, std::uint16_t{0x7f80u});
    case DType::f16: return scan(std::uint16_t{}, std::uint16_t{0x7c00u});
    default: return n;
  }
}

}  // namespace detail

// Refuses a model any of whose tensors holds a NaN or an infinity (LoadOptions::check_finite).
inline void check_finite(const ModelWeights& m) {
  for (const TensorView& t : m.table.tensors()) {
    const auto n = static_cast<std::size_t>(t.numel());
    const std::size_t at = detail::first_nonfinite(t.data, n, t.dtype);
    if (at < n)
      detail::fail(Errc::format, m.table.file() + ": tensor " + detail::in_quotes(t.name) + ": element " + std::to_string(at) +
                                     " is not finite (NaN or infinity)");
  }
}

// Quantizes the large matrices (the four TimeMix projections, the FFN, the head) to int8 with one scale per
// output row (symmetric, round to nearest): half the bytes of bf16 per decoded token, and the file's pages of
// each matrix are released once it is converted. LoRA factors, norms and the embedding stay as they are.
// All int8 matrices share one block in 2 MiB pages, laid out in the order a decode step reads them.
inline void quantize_int8(ModelWeights& m) {
  std::vector<Linear*> order;
  for (auto& layer : m.layers)
    for (Linear* L : {&layer.att.receptance, &layer.att.key, &layer.att.value, &layer.att.output, &layer.ffn.key, &layer.ffn.value})
      order.push_back(L);
  order.push_back(&m.head);
  auto aligned = [](std::size_t n) { return (n + 63) / 64 * 64; };
  auto converts = [](const Linear& L) { return !L.transposed && L.w.dtype != DType::q8; };
  std::size_t total = 0;
  for (const Linear* L : order)
    if (converts(*L)) total += aligned(static_cast<std::size_t>(L->out) * sizeof(float)) + aligned(static_cast<std::size_t>(L->out * L->in));
  // Left uninitialized (every byte used is written below): zeroing it first took as long as the quantization.
  auto storage = detail::huge_page_bytes(total);
  std::byte* next = storage.get();
  for (Linear* L : order) {
    if (!converts(*L)) continue;
    const auto rows = static_cast<std::size_t>(L->out), cols = static_cast<std::size_t>(L->in);
    auto* scale = reinterpret_cast<float*>(next);
    auto* q = reinterpret_cast<std::int8_t*>(next + aligned(rows * sizeof(float)));
    next += aligned(rows * sizeof(float)) + aligned(rows * cols);
    std::size_t done = 0;
    switch (L->w.dtype) {
      case DType::f32: done = detail::quantize_rows<detail::LoadF32>(L->w.data, rows, cols, scale, q); break;
      case DType::bf16: done = detail::quantize_rows<detail::LoadBF16>(L->w.data, rows, cols, scale, q); break;
      case DType::f16: done = detail::quantize_rows<detail::LoadF16>(L->w.data, rows, cols, scale, q); break;
      default: detail::fail(Errc::dtype, "quantize_int8: a matrix with an unsupported dtype");
    }
    if (done < rows)
      detail::fail(Errc::format, m.table.file() + ": tensor " + detail::in_quotes(L->w.name) + ": row " + std::to_string(done) +
                                     " holds a NaN or an infinity; it cannot be quantized");
    m.table.bytes().release(L->w.data, rows * cols * dtype_size(L->w.dtype));  // the int8 copy replaces it
    L->w.dtype = DType::q8;
    L->w.data = reinterpret_cast<const std::byte*>(q);
    L->row_scale = scale;
  }
  m.owned.push_back(storage);
  m.config.dtype = "int8";
}

}  // namespace rwkv7
