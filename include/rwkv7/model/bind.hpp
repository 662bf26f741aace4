// rwkv7/model/bind.hpp — binding: every tensor a variant needs, found by its canonical name through the file's
// naming scheme, with the config detected from shapes, cross-checked against the file's metadata, and every
// shape checked. Views only: the data stays in the file bytes.
#pragma once

#include <cmath>
#include <string>

#include "fingerprint.hpp"
#include "naming.hpp"
#include "weights.hpp"

namespace rwkv7 {
namespace detail {

class WeightBinder {
 public:
  WeightBinder(const TensorTable& table, const NamingScheme& naming) : table_(table), naming_(naming) {}

  // A tensor whose shape is exactly `shape`.
  TensorView tensor(const std::string& canonical, const Shape& shape) {
    const Located at = naming_.locate(canonical, table_);
    const TensorView* t = require(canonical, at.file_name);
    const std::string& file_name = at.file_name;
    if (at.fused_row >= 0) return fused_row(*t, file_name, at.fused_row, shape);
    if (!at.shape.empty()) return reshaped(*t, at.shape, file_name, shape, canonical);
    check_shape(*t, file_name, shape, canonical);
    return *t;
  }

  // A vector of n numbers stored as [n], [1,n] or [1,1,n] (RWKV-LM keeps mixes as [1,1,C]).
  TensorView vector(const std::string& canonical, std::int64_t n) {
    const Located at = naming_.locate(canonical, table_);
    const TensorView* t = require(canonical, at.file_name);
    const std::string& file_name = at.file_name;
    if (at.fused_row >= 0) return fused_row(*t, file_name, at.fused_row, {n});
    bool ok = !t->shape.empty() && t->shape.back() == n && t->numel() == n;
    if (!ok) shape_error(file_name, "[" + std::to_string(n) + "] (or [1,1," + std::to_string(n) + "])", t->shape, canonical);
    return *t;
  }

  // y = W x with W mapping `in` -> `out`; accepts the file's layout ([out,in], or [in,out] for RWKV-LM LoRA).
  Linear linear(const std::string& canonical, std::int64_t in, std::int64_t out) {
    const Located at = naming_.locate(canonical, table_);
    const TensorView* t = require(canonical, at.file_name);
    const std::string& file_name = at.file_name;
    Shape want = at.transposed ? Shape{in, out} : Shape{out, in};
    check_shape(*t, file_name, want, canonical);
    return Linear{*t, at.transposed, in, out};
  }

  // Reads a dimension from a tensor that must exist and be 2-D (used by config detection).
  Shape shape_of(const std::string& canonical) {
    const Located at = naming_.locate(canonical, table_);
    const TensorView* t = require(canonical, at.file_name);
    const std::string& file_name = at.file_name;
    if (at.fused_row >= 0) return {t->shape.empty() ? 0 : t->shape.back()};
    if (!at.shape.empty()) return reshaped(*t, at.shape, file_name, at.shape, canonical).shape;
    if (t->shape.size() != 2) shape_error(file_name, "a matrix", t->shape, canonical);
    return at.transposed ? Shape{t->shape[1], t->shape[0]} : t->shape;  // always [out, in]
  }

  bool has(const std::string& canonical) {
    return table_.contains(naming_.locate(canonical, table_).file_name);
  }

 private:
  const TensorView* require(const std::string& canonical, const std::string& file_name) {
    const TensorView* t = table_.find(file_name);
    if (!t) fail(Errc::missing_tensor, table_.file() + ": tensor " + in_quotes(file_name) + " is missing" + alias(file_name, canonical));
    if (t->dtype == DType::unsupported)
      fail(Errc::dtype, table_.file() + ": tensor " + in_quotes(file_name) + ": dtype " + t->source_dtype +
                            " is not supported (expected fp32, fp16, bf16 or, in GGUF, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q4_K, Q5_K or Q6_K)");
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
  // A flattened tensor read as `as` (the naming scheme's shape), which must be the shape asked for.
  TensorView reshaped(const TensorView& t, const Shape& as, const std::string& file_name, const Shape& want, const std::string& canonical) {
    TensorView v = t;
    v.shape = as;
    if (v.numel() != t.numel() || as != want) shape_error(file_name, shape_str(want), t.shape, canonical);
    return v;
  }
  // Row `row` of mixes fused as [6, n] (fla) or [6, 1, 1, n] (GGUF).
  TensorView fused_row(const TensorView& t, const std::string& file_name, int row, const Shape& want) {
    std::int64_t n = want.back();
    if (t.shape.size() < 2 || t.shape[0] < 6 || t.shape.back() != n || t.numel() != t.shape[0] * n || is_block_encoding(t.dtype))
      shape_error(file_name, "[6," + std::to_string(n) + "]", t.shape, file_name);
    TensorView v = t;
    v.name = file_name + "[" + std::to_string(row) + "]";
    v.shape = {n};
    v.data = t.data + encoded_bytes(t.dtype, static_cast<std::size_t>(row * n));
    return v;
  }

  const TensorTable& table_;
  const NamingScheme& naming_;
};

}  // namespace detail

namespace detail {

// What every variant shares: vocabulary, width and layer count from the embedding and the layer norms, heads
// from r_k, the config.json cross-checks. Fails naming the file when a size is impossible.
class ConfigDetector {
 public:
  ConfigDetector(const TensorTable& t, const NamingScheme& naming, WeightBinder& bind) : t_(t), naming_(naming), bind_(bind) {}

  [[noreturn]] void fail_config(const std::string& what) const { fail(Errc::config, t_.file() + ": " + what); }

  // Every size must be at least 1: an empty width or head would pass every shape check and divide by zero later.
  std::int64_t positive(std::int64_t v, const std::string& what) const {
    if (v < 1) fail_config(what + " is " + std::to_string(v) + "; it must be at least 1");
    return v;
  }

  void common(ModelConfig& c) {
    auto emb_shape = bind_.shape_of("emb.weight");
    c.vocab_size = positive(emb_shape[0], "the vocabulary (rows of emb.weight)");
    c.n_embd = positive(emb_shape[1], "the width (columns of emb.weight)");
    auto layer_marker = [&](std::int64_t i) { return naming_.locate("blocks." + std::to_string(i) + ".ln1.weight", t_).file_name; };
    while (t_.contains(layer_marker(c.n_layer))) ++c.n_layer;
    if (c.n_layer == 0) fail_config("no layers found (expected " + in_quotes(layer_marker(0)) + ")");
    auto r_k = bind_.shape_of("blocks.0.att.r_k");
    c.n_head = positive(r_k[0], "the head count (rows of blocks.0.att.r_k)");
    c.head_size = positive(r_k[1], "the head size (columns of blocks.0.att.r_k)");
    c.lora_w = positive(bind_.shape_of("blocks.0.att.w1")[0], "the decay LoRA rank (blocks.0.att.w1)");
    c.lora_a = positive(bind_.shape_of("blocks.0.att.a1")[0], "the in-context learning rate LoRA rank (blocks.0.att.a1)");
    c.lora_g = positive(bind_.shape_of("blocks.0.att.g1")[0], "the gate LoRA rank (blocks.0.att.g1)");
    // Layer 0 has no value residual, so its v1 (present or not) does not count; a one-layer model only states
    // the rank in config.json, if at all.
    if (c.n_layer > 1) c.lora_v = positive(bind_.shape_of("blocks.1.att.v1")[0], "the value LoRA rank (blocks.1.att.v1)");
    else if (t_.metadata.count("v_low_rank_dim")) c.lora_v = whole_number("v_low_rank_dim", c.n_embd);
  }

  // config.json numbers are doubles from an untrusted file: only finite whole numbers in range are compared or
  // used, never cast blindly.
  std::int64_t whole_number(const char* key, std::int64_t max) const {
    const double v = t_.metadata.at(key).number();
    if (!(v >= 0 && v <= static_cast<double>(max)) || v != std::floor(v))
      fail_config(source() + ": " + key + " must be a whole number in [0, " + std::to_string(max) + "]");
    return static_cast<std::int64_t>(v);
  }

  // Where the numbers beside the tensors come from, for messages.
  std::string source() const { return t_.format() == "gguf" ? "the GGUF metadata" : t_.format() == "rwkv.cpp" ? "the rwkv.cpp header" : "config.json"; }

  // A number config.json (or GGUF metadata) states must agree with the one the tensors give.
  void cross_check(const char* key, std::int64_t detected, const char* what) const {
    if (!t_.metadata.count(key)) return;
    const std::int64_t said = whole_number(key, std::int64_t{1} << 40);
    if (said != detected)
      fail_config(source() + " says " + key + " = " + std::to_string(said) + " but the tensors give " + what + " = " +
                  std::to_string(detected));
  }

 private:
  const TensorTable& t_;
  const NamingScheme& naming_;
  WeightBinder& bind_;
};

// The variant a file holds (FORMATS.md §1.5): a Qwen-style FFN (ffn.down) marks the PRWKV family, whose members
// differ by what their TimeMix keeps of x070; only cxa076 and cxa076r are run.
inline Architecture detect_architecture(WeightBinder& bind, const ConfigDetector& cfg) {
  if (bind.has("blocks.0.ffn.gate_up.weight")) cfg.fail_config("a fused ffn.gate_up FFN (Phi-3.5 ARWKV) is not supported");
  if (!bind.has("blocks.0.ffn.down.weight")) return x070();
  if (bind.has("blocks.0.att.x_a")) cfg.fail_config("an ARWKV model (token shift with a Qwen FFN, ax070) is not supported; PRWKV cxa076 is");
  if (bind.has("blocks.0.att.ln_x.weight")) cfg.fail_config("a PRWKV cxa073 model (GroupNorm ln_x) is not supported; cxa076 is");
  if (bind.has("blocks.0.att.k_k")) cfg.fail_config("a PRWKV cxa075 model (k_k without ln_x) is not supported; cxa076 is");
  return cxa076(bind.has("blocks.0.att.receptance.bias"), bind.has("blocks.0.att.ln_r.weight"));
}

// The LoRA gates and r_k every variant has. A = attention width: the gates act on it.
inline void bind_gates(WeightBinder& bind, const ModelConfig& c, const std::string& p, std::int64_t layer, TimeMixWeights& a) {
  const std::int64_t C = c.n_embd, A = c.attention_width();
  a.w0 = bind.vector(p + "att.w0", A);
  a.w1 = bind.linear(p + "att.w1", C, c.lora_w);
  a.w2 = bind.linear(p + "att.w2", c.lora_w, A);
  a.a0 = bind.vector(p + "att.a0", A);
  a.a1 = bind.linear(p + "att.a1", C, c.lora_a);
  a.a2 = bind.linear(p + "att.a2", c.lora_a, A);
  if (layer > 0) {  // layer 0 takes v as v_first; its v0/v1/v2, present or not, are never used
    a.v0 = bind.vector(p + "att.v0", A);
    a.v1 = bind.linear(p + "att.v1", C, c.lora_v);
    a.v2 = bind.linear(p + "att.v2", c.lora_v, A);
  }
  a.g1 = bind.linear(p + "att.g1", C, c.lora_g);
  a.g2 = bind.linear(p + "att.g2", c.lora_g, A);
  a.r_k = bind.tensor(p + "att.r_k", {c.n_head, c.head_size});
}

inline void bind_x070(ModelWeights& m, WeightBinder& bind, const ConfigDetector& cfg) {
  ModelConfig& c = m.config;
  const TensorTable& t = m.table;
  c.dim_ffn = cfg.positive(bind.shape_of("blocks.0.ffn.key.weight")[0], "the FFN width (rows of blocks.0.ffn.key.weight)");
  if (t.metadata.count("layer_norm_eps")) {  // GGUF: the block norms' eps; its GroupNorm eps is fixed at 64e-5
    const double eps = t.metadata.at("layer_norm_eps").number();
    if (!(eps > 0 && eps < 1)) cfg.fail_config("layer_norm_eps must lie in (0, 1), got " + std::to_string(eps));
    c.layer_norm_eps = eps;
  }
  if (t.metadata.count("norm_eps")) {
    const double eps = t.metadata.at("norm_eps").number();
    if (!(eps > 0 && eps < 1)) cfg.fail_config("config.json: norm_eps must lie in (0, 1), got " + std::to_string(eps));
    c.layer_norm_eps = eps;
    c.group_norm_eps = static_cast<double>(c.head_size) * c.layer_norm_eps;
  }
  const std::int64_t C = c.n_embd, F = c.dim_ffn;
  m.ln0_w = bind.vector("blocks.0.ln0.weight", C);
  m.ln0_b = bind.vector("blocks.0.ln0.bias", C);
  for (std::int64_t i = 0; i < c.n_layer; ++i) {
    const std::string p = "blocks." + std::to_string(i) + ".";
    LayerWeights& L = m.layers[static_cast<std::size_t>(i)];
    L.ln1_b = bind.vector(p + "ln1.bias", C);
    L.ln2_b = bind.vector(p + "ln2.bias", C);
    TimeMixWeights& a = L.att;
    a.x_r = bind.vector(p + "att.x_r", C);
    a.x_w = bind.vector(p + "att.x_w", C);
    a.x_k = bind.vector(p + "att.x_k", C);
    a.x_v = bind.vector(p + "att.x_v", C);
    a.x_a = bind.vector(p + "att.x_a", C);
    a.x_g = bind.vector(p + "att.x_g", C);
    a.k_k = bind.vector(p + "att.k_k", C);
    a.k_a = bind.vector(p + "att.k_a", C);
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
  m.ln_out_b = bind.vector("ln_out.bias", C);
  m.head = bind.linear("head.weight", C, c.vocab_size);
}

// PRWKV cxa076 (FORMATS.md §1.3): grouped key/value heads, optional r/k/v biases and r/k norms, SwiGLU, and a
// head that may be the embedding itself.
inline void bind_cxa076(ModelWeights& m, WeightBinder& bind, const ConfigDetector& cfg) {
  ModelConfig& c = m.config;
  const std::int64_t kv_width = bind.shape_of("blocks.0.att.key.weight")[0];
  if (kv_width < c.head_size || kv_width % c.head_size != 0)
    cfg.fail_config("blocks.0.att.key.weight has " + std::to_string(kv_width) + " rows; expected a positive multiple of the head size " +
                    std::to_string(c.head_size) + " (key/value heads × head size)");
  c.n_kv_head = kv_width / c.head_size;
  if (c.n_head % c.n_kv_head != 0)
    cfg.fail_config("the " + std::to_string(c.n_head) + " heads of blocks.0.att.r_k cannot share " + std::to_string(c.n_kv_head) +
                    " key/value heads evenly (blocks.0.att.key.weight)");
  c.dim_ffn = cfg.positive(bind.shape_of("blocks.0.ffn.gate.weight")[0], "the FFN width (rows of blocks.0.ffn.gate.weight)");
  c.layer_norm_eps = 1e-6;  // Qwen's RMSNorm; not stored in the .pth
  // Converted files keep layer 0's (unused) value LoRA, so even a one-layer model states its rank.
  if (c.n_layer == 1 && bind.has("blocks.0.att.v1")) c.lora_v = cfg.positive(bind.shape_of("blocks.0.att.v1")[0], "the value LoRA rank (blocks.0.att.v1)");
  const std::int64_t C = c.n_embd, A = c.attention_width(), K = c.kv_width(), N = c.head_size, F = c.dim_ffn;
  for (std::int64_t i = 0; i < c.n_layer; ++i) {
    const std::string p = "blocks." + std::to_string(i) + ".";
    LayerWeights& L = m.layers[static_cast<std::size_t>(i)];
    TimeMixWeights& a = L.att;
    a.receptance = bind.linear(p + "att.receptance.weight", C, A);
    a.key = bind.linear(p + "att.key.weight", C, K);
    a.value = bind.linear(p + "att.value.weight", C, K);
    a.output = bind.linear(p + "att.output.weight", A, C);
    if (c.arch.projection_bias) {
      a.receptance_bias = bind.vector(p + "att.receptance.bias", A);
      a.key_bias = bind.vector(p + "att.key.bias", K);
      a.value_bias = bind.vector(p + "att.value.bias", K);
    }
    if (c.arch.rk_norm) {
      a.ln_r = bind.vector(p + "att.ln_r.weight", N);
      a.ln_k = bind.vector(p + "att.ln_k.weight", N);
    }
    L.ffn.gate = bind.linear(p + "ffn.gate.weight", C, F);
    L.ffn.up = bind.linear(p + "ffn.up.weight", C, F);
    L.ffn.down = bind.linear(p + "ffn.down.weight", F, C);
  }
  // Converted files copy the tied Qwen embedding into head.weight; without it the embedding is the head.
  m.head = bind.has("head.weight") ? bind.linear("head.weight", C, c.vocab_size) : Linear{m.emb, false, C, c.vocab_size};
}

}  // namespace detail

// Builds the weight view of an RWKV-7 model (x070, or PRWKV cxa076/cxa076r), detecting the variant and its
// config from the tensors' names and shapes. Throws rwkv7::Error naming the file and the tensor.
inline ModelWeights bind_weights(TensorTable table) {
  ModelWeights m;
  m.table = std::move(table);
  const TensorTable& t = m.table;
  const auto naming = detail::detect_naming(t);
  detail::WeightBinder bind(t, *naming);
  detail::ConfigDetector cfg(t, *naming, bind);
  ModelConfig& c = m.config;
  c.format = t.format();
  c.naming = naming->name();
  if (t.metadata.count("hybrid_attention")) cfg.fail_config("config.json lists softmax-attention layers (hybrid model); only pure RWKV-7 is supported");
  cfg.common(c);
  c.arch = detail::detect_architecture(bind, cfg);
  if (c.arch.variant == Variant::x070) {
    if (c.n_head * c.head_size != c.n_embd)
      cfg.fail_config("blocks.0.att.r_k is [" + std::to_string(c.n_head) + "," + std::to_string(c.head_size) +
                      "] but heads × head size must equal the width " + std::to_string(c.n_embd) + " of emb.weight");
    c.n_kv_head = c.n_head;
  }
  cfg.cross_check("hidden_size", c.n_embd, "width");
  cfg.cross_check("num_hidden_layers", c.n_layer, "layers");
  cfg.cross_check("head_dim", c.head_size, "head size");
  cfg.cross_check("vocab_size", c.vocab_size, "vocab");

  m.emb = bind.tensor("emb.weight", {c.vocab_size, c.n_embd});
  m.layers.resize(static_cast<std::size_t>(c.n_layer));
  for (std::int64_t i = 0; i < c.n_layer; ++i) {
    const std::string p = "blocks." + std::to_string(i) + ".";
    LayerWeights& L = m.layers[static_cast<std::size_t>(i)];
    L.ln1_w = bind.vector(p + "ln1.weight", c.n_embd);
    L.ln2_w = bind.vector(p + "ln2.weight", c.n_embd);
    detail::bind_gates(bind, c, p, i, L.att);
  }
  m.ln_out_w = bind.vector("ln_out.weight", c.n_embd);
  if (c.arch.variant == Variant::x070) detail::bind_x070(m, bind, cfg);
  else detail::bind_cxa076(m, bind, cfg);
  cfg.cross_check("intermediate_size", c.dim_ffn, "ffn width");
  if (c.n_layer > 1) cfg.cross_check("v_low_rank_dim", c.lora_v, "value LoRA rank");
  c.dtype = dtype_name(large_matrices(m).front()->w.dtype);  // the first a decode step reads: layer 0's receptance
  c.fingerprint = detail::fingerprint(m);
  return m;
}

}  // namespace rwkv7
