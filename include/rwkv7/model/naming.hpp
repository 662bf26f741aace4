// rwkv7/model/naming.hpp — naming schemes: where a file keeps each tensor the binder asks for by its canonical
// (RWKV-LM) name. One type per scheme; a new file family adds a scheme here and nothing else in the binder
// changes.
#pragma once

#include <cstring>
#include <map>
#include <memory>
#include <string>

#include "../error.hpp"
#include "../io/tensor_table.hpp"

namespace rwkv7::detail {

// Where a canonical tensor is in one file: its name there, whether it is stored [in, out] (read as a transposed
// linear map), and for a row of a fused tensor, which row.
struct Located {
  std::string file_name;
  bool transposed = false;
  int fused_row = -1;
  Shape shape;  // non-empty: the file keeps the tensor flattened, and this is its shape (GGUF's r_k)
};

class NamingScheme {
 public:
  virtual ~NamingScheme() = default;
  virtual const char* name() const = 0;
  virtual Located locate(const std::string& canonical, const TensorTable& t) const = 0;
};

// RWKV-LM's own names (.pth, and safetensors converted from it): canonical as they are; LoRA factors are [in, out].
class RwkvLmNames final : public NamingScheme {
 public:
  static bool recognizes(const TensorTable& t) { return t.contains("emb.weight"); }
  const char* name() const override { return "rwkv-lm"; }
  Located locate(const std::string& canonical, const TensorTable&) const override { return {canonical, is_lora_factor(canonical), -1}; }

 private:
  static bool is_lora_factor(const std::string& n) {
    static const char* factors[] = {".att.w1", ".att.w2", ".att.a1", ".att.a2", ".att.v1", ".att.v2", ".att.g1", ".att.g2"};
    for (const char* f : factors) {
      std::size_t len = std::strlen(f);
      if (n.size() > len && n.compare(n.size() - len, len, f) == 0) return true;
    }
    return false;
  }
};

// flash-linear-attention / HF names (FORMATS.md §2.2): LoRA as nn.Linear pairs (lora.0 = X1ᵀ, lora.2 = X2ᵀ,
// lora.2.bias = X0), token-shift mixes separate or fused into one [6, C] tensor.
class FlaNames final : public NamingScheme {
 public:
  static bool recognizes(const TensorTable& t) { return t.contains("model.embeddings.weight"); }
  const char* name() const override { return "fla"; }
  Located locate(const std::string& c, const TensorTable& t) const override {
    static const std::map<std::string, std::string> global = {
        {"emb.weight", "model.embeddings.weight"}, {"ln_out.weight", "model.norm.weight"},
        {"ln_out.bias", "model.norm.bias"},       {"head.weight", "lm_head.weight"}};
    if (auto it = global.find(c); it != global.end()) return {it->second};
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
    if (auto it = local.find(rest); it != local.end()) return {layer + it->second};
    // Token-shift mixes: separate attn.x_r..x_g (current fla) or one fused attn.x_x [6, C] (fla before 2025-04).
    static const std::string mixes = "rwkvag";
    if (rest.size() == 7 && rest.compare(0, 6, "att.x_") == 0 && mixes.find(rest[6]) != std::string::npos) {
      std::string separate = layer + "attn.x_" + rest[6];
      if (t.contains(separate) || !t.contains(layer + "attn.x_x")) return {separate};
      return {layer + "attn.x_x", false, static_cast<int>(mixes.find(rest[6]))};
    }
    return {layer + rest};
  }
};

// llama.cpp's names (FORMATS.md §3.2, GGUF): LoRA factors [out, in] like every matrix, the six token-shift mixes
// fused into one [6,1,1,C] tensor (r, w, k, v, a, g), r_k flattened to [C] (its head size is a key).
class GgufNames final : public NamingScheme {
 public:
  static bool recognizes(const TensorTable& t) { return t.format() == "gguf" && t.contains("token_embd.weight"); }
  const char* name() const override { return "llama.cpp"; }
  Located locate(const std::string& c, const TensorTable& t) const override {
    static const std::map<std::string, std::string> global = {
        {"emb.weight", "token_embd.weight"}, {"blocks.0.ln0.weight", "token_embd_norm.weight"}, {"blocks.0.ln0.bias", "token_embd_norm.bias"},
        {"ln_out.weight", "output_norm.weight"}, {"ln_out.bias", "output_norm.bias"}, {"head.weight", "output.weight"}};
    if (auto it = global.find(c); it != global.end()) return {it->second};
    auto dot = c.find('.', 7);
    const std::string layer = "blk." + c.substr(7, dot - 7) + ".";
    const std::string rest = c.substr(dot + 1);
    static const std::map<std::string, std::string> local = {
        {"ln1.weight", "attn_norm.weight"}, {"ln1.bias", "attn_norm.bias"}, {"ln2.weight", "attn_norm_2.weight"}, {"ln2.bias", "attn_norm_2.bias"},
        {"att.receptance.weight", "time_mix_receptance.weight"}, {"att.key.weight", "time_mix_key.weight"},
        {"att.value.weight", "time_mix_value.weight"}, {"att.output.weight", "time_mix_output.weight"},
        {"att.ln_x.weight", "time_mix_ln.weight"}, {"att.ln_x.bias", "time_mix_ln.bias"},
        {"ffn.x_k", "channel_mix_lerp_k.weight"}, {"ffn.key.weight", "channel_mix_key.weight"}, {"ffn.value.weight", "channel_mix_value.weight"}};
    if (auto it = local.find(rest); it != local.end()) return {layer + it->second};
    static const std::string mixes = "rwkvag";
    if (rest.size() == 7 && rest.compare(0, 6, "att.x_") == 0 && mixes.find(rest[6]) != std::string::npos)
      return {layer + "time_mix_lerp_fused.weight", false, static_cast<int>(mixes.find(rest[6]))};
    if (rest.compare(0, 4, "att.") != 0) return {layer + rest};
    Located at{layer + "time_mix_" + rest.substr(4) + ".weight"};
    if (rest == "att.r_k") at.shape = heads_shape(t.find(at.file_name), t);
    return at;
  }

 private:
  // [C / N, N] for a flattened r_k, N being the file's rwkv7.wkv.head_size; empty (so the shape check names the
  // tensor) when the key is missing or does not divide the tensor.
  static Shape heads_shape(const TensorView* r_k, const TensorTable& t) {
    auto it = t.metadata.find("rwkv7.wkv.head_size");
    if (!r_k || r_k->shape.size() != 1 || it == t.metadata.end() || it->second.kind != MetaValue::Kind::integer) return {};
    const std::int64_t n = it->second.integer, c = r_k->shape[0];
    if (n < 1 || c % n != 0) return {};
    return {c / n, n};
  }
};

// rwkv.cpp's .bin (its convert_pytorch_to_ggml.py for v7): RWKV-LM's names, LoRA factors transposed to
// [out, in], and the six token-shift mixes concatenated into blocks.N.att.x_rwkvag [6, 1, C].
class RwkvCppNames final : public NamingScheme {
 public:
  static bool recognizes(const TensorTable& t) { return t.format() == "rwkv.cpp" && t.contains("emb.weight"); }
  const char* name() const override { return "rwkv.cpp"; }
  Located locate(const std::string& c, const TensorTable&) const override {
    static const std::string mixes = "rwkvag";
    const auto dot = c.find('.', 7);
    if (c.compare(0, 7, "blocks.") == 0 && dot != std::string::npos) {
      const std::string rest = c.substr(dot + 1);
      if (rest.size() == 7 && rest.compare(0, 6, "att.x_") == 0 && mixes.find(rest[6]) != std::string::npos)
        return {c.substr(0, dot + 1) + "att.x_rwkvag", false, static_cast<int>(mixes.find(rest[6]))};
    }
    return {c};
  }
};

// The scheme a table's names follow, or an error naming the file.
inline std::unique_ptr<NamingScheme> detect_naming(const TensorTable& t) {
  if (t.format() == "gguf") {
    auto arch = t.metadata.find("general.architecture");
    const std::string name = arch != t.metadata.end() && arch->second.kind == MetaValue::Kind::string ? arch->second.text : "(none)";
    if (name != "rwkv7") fail(Errc::config, t.file() + ": GGUF general.architecture is " + in_quotes(name) + "; only \"rwkv7\" is supported");
  }
  if (RwkvCppNames::recognizes(t)) return std::make_unique<RwkvCppNames>();
  if (RwkvLmNames::recognizes(t)) return std::make_unique<RwkvLmNames>();
  if (FlaNames::recognizes(t)) return std::make_unique<FlaNames>();
  if (GgufNames::recognizes(t)) return std::make_unique<GgufNames>();
  fail(Errc::missing_tensor, t.file() + ": not an RWKV-7 model: it has none of 'emb.weight' (RWKV-LM), 'model.embeddings.weight' (fla/HF) or 'token_embd.weight' (GGUF)");
}

}  // namespace rwkv7::detail
