// rwkv7/tokenizer/gguf_tokenizer.hpp — the World tokenizer a GGUF file carries (FORMATS.md §3.4): llama.cpp's
// "rwkv" token list, where each token is the text of its bytes' Python repr ("\xe6\x88", "\n", "\\"), id 0 is
// "<s>" and ids past the vocabulary are "[PAD…]" fillers (control and unused types: no text).
#pragma once

#include <memory>
#include <string>

#include "../io/tensor_table.hpp"
#include "world_tokenizer.hpp"

namespace rwkv7 {
namespace detail {

// llama.cpp's unescaping of an rwkv token: \t \n \r, \xHH (two hex digits), and a backslash before any other
// character stands for that character.
inline bool unescape_gguf_token(const std::string& in, std::string& out) {
  out.clear();
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '\\') {
      out += in[i];
      continue;
    }
    if (++i == in.size()) return false;
    const char c = in[i];
    if (c == 't') out += '\t';
    else if (c == 'n') out += '\n';
    else if (c == 'r') out += '\r';
    else if (c == 'x') {
      unsigned v = 0;
      for (int k = 1; k <= 2; ++k) {
        if (i + static_cast<std::size_t>(k) >= in.size()) return false;
        const char h = in[i + static_cast<std::size_t>(k)];
        const int d = h >= '0' && h <= '9' ? h - '0' : h >= 'a' && h <= 'f' ? h - 'a' + 10 : h >= 'A' && h <= 'F' ? h - 'A' + 10 : -1;
        if (d < 0) return false;
        v = v * 16 + static_cast<unsigned>(d);
      }
      out += static_cast<char>(v);
      i += 2;
    } else {
      out += c;
    }
  }
  return true;
}

}  // namespace detail

// The tokenizer a model file carries (a GGUF with tokenizer.ggml.model "rwkv"), or null when it carries none.
// A token list that is there but malformed is an Errc::vocab error naming the file and the token.
inline std::unique_ptr<Tokenizer> embedded_tokenizer(const TensorTable& table) {
  const Metadata& m = table.metadata;
  auto model = m.find("tokenizer.ggml.model");
  auto tokens = m.find("tokenizer.ggml.tokens");
  if (model == m.end() || tokens == m.end()) return nullptr;
  if (model->second.kind != MetaValue::Kind::string || model->second.text != "rwkv")
    detail::fail(Errc::vocab, table.file() + ": tokenizer.ggml.model is not \"rwkv\" (the World tokenizer); pass --tokenizer");
  auto types = m.find("tokenizer.ggml.token_type");
  const auto& list = tokens->second.items;
  std::vector<std::string> pieces(list.size());
  for (std::size_t id = 1; id < list.size(); ++id) {
    const MetaValue& t = list[id];
    if (t.kind != MetaValue::Kind::string) detail::fail(Errc::vocab, table.file() + ": tokenizer.ggml.tokens[" + std::to_string(id) + "] is not a string");
    const bool normal = types == m.end() || id >= types->second.items.size() || types->second.items[id].integer == 1;
    if (!normal) continue;
    if (!detail::unescape_gguf_token(t.text, pieces[id]) || pieces[id].empty())
      detail::fail(Errc::vocab, table.file() + ": tokenizer.ggml.tokens[" + std::to_string(id) + "] " + detail::in_quotes(t.text) + " is not an escaped byte string");
  }
  return std::make_unique<WorldTokenizer>(WorldTokenizer::from_pieces(std::move(pieces), table.file()));
}

}  // namespace rwkv7
