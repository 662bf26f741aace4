// rwkv7/generate/prefix_cache.hpp — remembers the state after prompts already seen, so a new prompt that
// shares a prefix (a tutor's fixed preamble, a chat's history) pays only for its new tokens.
#pragma once

#include <list>
#include <mutex>
#include <span>
#include <vector>

#include "../model.hpp"

namespace rwkv7 {

// Thread-safe; entries hold a State and the logits after their last token. Least recently used entries are
// dropped beyond `capacity`.
class PrefixCache {
 public:
  explicit PrefixCache(std::size_t capacity = 8) : capacity_(capacity) {}

  // Fills `state` and `logits` for `tokens`: starts from the longest cached prefix, runs the rest, and caches
  // the result. Returns how many tokens came from the cache.
  template <class ModelT>
  std::size_t prefill(const ModelT& model, std::span<const Token> tokens, State& state, std::vector<float>& logits) {
    std::size_t reused = lookup(tokens, state, logits);
    if (reused == 0) state = model.new_state();
    if (reused < tokens.size()) {
      logits.resize(model.vocab_size());
      model.forward(tokens.subspan(reused), state, logits);
      insert(tokens, state, logits);
    }
    return reused;
  }

  // The longest cached prefix of `tokens` (copied into state/logits); 0 if none.
  std::size_t lookup(std::span<const Token> tokens, State& state, std::vector<float>& logits) {
    std::lock_guard<std::mutex> lock(mu_);
    auto best = entries_.end();
    for (auto it = entries_.begin(); it != entries_.end(); ++it)
      if (it->tokens.size() <= tokens.size() && (best == entries_.end() || it->tokens.size() > best->tokens.size()) &&
          std::equal(it->tokens.begin(), it->tokens.end(), tokens.begin()))
        best = it;
    if (best == entries_.end()) return 0;
    entries_.splice(entries_.begin(), entries_, best);  // most recently used first
    state = best->state;
    logits = best->logits;
    return best->tokens.size();
  }

  void insert(std::span<const Token> tokens, const State& state, std::span<const float> logits) {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto it = entries_.begin(); it != entries_.end(); ++it)
      if (it->tokens.size() == tokens.size() && std::equal(it->tokens.begin(), it->tokens.end(), tokens.begin())) {
        entries_.erase(it);
        break;
      }
    entries_.push_front({std::vector<Token>(tokens.begin(), tokens.end()), state, std::vector<float>(logits.begin(), logits.end())});
    while (entries_.size() > capacity_) entries_.pop_back();
  }

  std::size_t size() const {
    std::lock_guard<std::mutex> lock(mu_);
    return entries_.size();
  }

 private:
  struct Entry {
    std::vector<Token> tokens;
    State state;
    std::vector<float> logits;
  };
  std::size_t capacity_;
  mutable std::mutex mu_;
  std::list<Entry> entries_;
};

}  // namespace rwkv7
