// rwkv7/tokenizer/trie_tokenizer.hpp — greedy longest-match tokenizer over a byte-string vocabulary.
// The World vocabulary and the byte vocabulary are both this algorithm over different token tables.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "../error.hpp"
#include "tokenizer.hpp"

namespace rwkv7 {

class TrieTokenizer : public Tokenizer {
 public:
  // Token bytes by id; an empty string marks an id with no text (id 0 = end-of-text, unused ids).
  explicit TrieTokenizer(std::vector<std::string> pieces) : pieces_(std::move(pieces)) {
    edges_.reserve(pieces_.size() * 2);
    for (std::size_t id = 0; id < pieces_.size(); ++id) {
      const std::string& p = pieces_[id];
      if (p.empty()) continue;
      std::uint32_t node = 0;
      for (unsigned char byte : p) node = child_or_add(node, byte);
      token_at_[node] = static_cast<std::int32_t>(id);
      max_len_ = std::max(max_len_, p.size());
    }
  }

  // Greedy longest match from left to right: exactly the reference TRIE_TOKENIZER of RWKV-LM.
  std::vector<Token> encode(std::string_view text) const override {
    std::vector<Token> out;
    out.reserve(text.size() / 3 + 1);
    std::size_t i = 0;
    while (i < text.size()) {
      std::uint32_t node = root_child_[static_cast<unsigned char>(text[i])];
      std::int32_t best = node ? token_at_[node] : -1;
      std::size_t best_len = 1;
      for (std::size_t j = i + 1; node && j < text.size() && j - i < max_len_; ++j) {
        auto it = edges_.find(edge_key(node, static_cast<unsigned char>(text[j])));
        if (it == edges_.end()) break;
        node = it->second;
        if (token_at_[node] >= 0) {
          best = token_at_[node];
          best_len = j - i + 1;
        }
      }
      if (best < 0)  // World and byte vocabularies hold every single byte; a custom one may not
        detail::fail(Errc::argument, "encode: the vocabulary has no token for byte " + std::to_string(static_cast<unsigned char>(text[i])) +
                                         " at offset " + std::to_string(i));
      out.push_back(static_cast<Token>(best));
      i += best_len;
    }
    return out;
  }

  // Bytes of one token: empty for end-of-text and for ids without text (so sampling them is harmless).
  std::string_view piece(Token id) const override { return id < pieces_.size() ? std::string_view(pieces_[id]) : std::string_view(); }

  std::size_t size() const override { return pieces_.size(); }
  std::optional<Token> end_of_text() const override { return Token{0}; }

 private:
  static std::uint64_t edge_key(std::uint32_t node, unsigned char byte) { return (static_cast<std::uint64_t>(node) << 8) | byte; }

  std::uint32_t new_node() {
    token_at_.push_back(-1);
    return static_cast<std::uint32_t>(token_at_.size() - 1);
  }

  // The root's 256 children sit in an array (every encode step starts there); deeper edges in a hash map.
  std::uint32_t child_or_add(std::uint32_t node, unsigned char byte) {
    if (token_at_.empty()) new_node();  // node 0 = root
    if (node == 0) {
      if (root_child_[byte] == 0) root_child_[byte] = new_node();
      return root_child_[byte];
    }
    auto [it, inserted] = edges_.emplace(edge_key(node, byte), 0);
    if (inserted) it->second = new_node();
    return it->second;
  }

  std::vector<std::string> pieces_;
  std::vector<std::int32_t> token_at_{-1};  // node -> token id ending there, or -1
  std::uint32_t root_child_[256] = {};
  std::unordered_map<std::uint64_t, std::uint32_t> edges_;
  std::size_t max_len_ = 1;
};

// For vocab-256 models: token id = byte value.
class ByteTokenizer : public TrieTokenizer {
 public:
  ByteTokenizer() : TrieTokenizer(all_bytes()) {}

 private:
  static std::vector<std::string> all_bytes() {
    std::vector<std::string> p(256);
    for (unsigned b = 0; b < 256; ++b) p[b] = std::string(1, static_cast<char>(b));
    return p;
  }
};

}  // namespace rwkv7
