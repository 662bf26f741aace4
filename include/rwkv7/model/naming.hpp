// rwkv7/model/naming.hpp — naming schemes: where a file keeps each tensor the binder asks for by its canonical
// (RWKV-LM) name. One type per scheme; a new file family (GGUF, rwkv.cpp) adds a scheme here and nothing else
// in the binder changes.
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

// The scheme a table's names follow, or an error naming the file.
inline std::unique_ptr<NamingScheme> detect_naming(const TensorTable& t) {
  if (RwkvLmNames::recognizes(t)) return std::make_unique<RwkvLmNames>();
  if (FlaNames::recognizes(t)) return std::make_unique<FlaNames>();
  fail(Errc::missing_tensor, t.file() + ": not an RWKV-7 model: it has neither 'emb.weight' (RWKV-LM) nor 'model.embeddings.weight' (fla/HF)");
}

}  // namespace rwkv7::detail
