// rwkv7/tokenizer/tokenizer.hpp — what generation needs from a tokenizer: text to ids, ids to bytes. The World
// vocabulary (a greedy trie) and Hugging Face byte-level BPE (Qwen) are two implementations; the Generator, the
// sampler and the chat templates only see this interface.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "../token.hpp"

namespace rwkv7 {

class Tokenizer {
 public:
  virtual ~Tokenizer() = default;

  virtual std::vector<Token> encode(std::string_view text) const = 0;
  // Bytes of one token (possibly part of a UTF-8 character); empty for ids that have no text.
  virtual std::string_view piece(Token id) const = 0;
  // One past the largest id.
  virtual std::size_t size() const = 0;
  // The token that separates documents: sampling it ends a generation and an empty prompt starts with it.
  virtual std::optional<Token> end_of_text() const = 0;
  // The id of a special token written as text (e.g. "<|im_end|>"), when the vocabulary has it as one token.
  virtual std::optional<Token> special_token(std::string_view) const { return std::nullopt; }

  std::string decode(const std::vector<Token>& ids) const {
    std::string out;
    for (Token id : ids) out += piece(id);
    return out;
  }

 protected:
  // Copied and moved only as the concrete tokenizer, never sliced through this base.
  Tokenizer() = default;
  Tokenizer(const Tokenizer&) = default;
  Tokenizer(Tokenizer&&) = default;
  Tokenizer& operator=(const Tokenizer&) = default;
  Tokenizer& operator=(Tokenizer&&) = default;
};

}  // namespace rwkv7
