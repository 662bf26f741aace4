// rwkv7/generate/generator.hpp — turns a prompt into streamed text: prefill, sampling, UTF-8-safe pieces, stop
// strings matched across token boundaries, and a step(n) form that never does more than n tokens of work, so a
// game can spend a fixed budget per frame.
#pragma once

#include <algorithm>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "../model.hpp"
#include "../tokenizer/utf8_stream.hpp"
#include "sampler.hpp"

namespace rwkv7 {

enum class StopReason {
  none,         // still running (step() ran out of budget)
  max_tokens,   // produced GenerateOptions::max_tokens tokens
  end_of_text,  // sampled the tokenizer's end-of-text token
  stop_string,  // produced one of GenerateOptions::stop (not included in the text)
  stop_token,   // sampled one of GenerateOptions::stop_tokens (e.g. a chat template's end of turn)
};

inline const char* stop_reason_name(StopReason r) {
  switch (r) {
    case StopReason::none: return "none";
    case StopReason::max_tokens: return "max_tokens";
    case StopReason::end_of_text: return "end_of_text";
    case StopReason::stop_string: return "stop_string";
    case StopReason::stop_token: return "stop_token";
  }
  return "?";
}

struct GenerateOptions {
  std::size_t max_tokens = 256;
  std::vector<std::string> stop;  // e.g. "</answer>", "\n\n"
  std::vector<Token> stop_tokens;  // e.g. the id of "<|im_end|>"; never part of the text
};

struct GenerateResult {
  std::string text;          // generated text, without the stop string
  StopReason reason = StopReason::none;
  std::size_t tokens = 0;    // tokens generated (sampled), including those of a stop string
};

using TextCallback = std::function<void(std::string_view)>;

// One conversation: the model's State plus what is queued for it. Not thread-safe; the Model may be shared.
template <class ModelT>
class BasicGenerator {
 public:
  BasicGenerator(const ModelT& model, const Tokenizer& tok, Sampler sampler, GenerateOptions opts = {})
      : model_(&model), tok_(&tok), sampler_(std::move(sampler)), opts_(std::move(opts)), state_(model.new_state()) {}

  // Resume from a saved state, with the tokens that were sampled but not yet fed to it.
  void restore(State state, std::vector<Token> pending) {
    state_ = std::move(state);
    input_ = std::move(pending);
    have_logits_ = false;
  }

  // Queues text (the prompt, or the next user turn) and starts a new reply.
  void add_prompt(std::string_view text) { add_tokens(tok_->encode(text)); }
  void add_tokens(const std::vector<Token>& tokens) {
    input_.insert(input_.end(), tokens.begin(), tokens.end());
    have_logits_ = false;
    result_ = {};
    tail_.clear();
    utf8_ = {};
  }

  // Does at most `budget` tokens of model work (prompt tokens fed or tokens generated), then returns.
  // `on_text` receives each piece of text as soon as it is certain (never half a character, never part of a
  // possible stop string). Returns the reason generation ended, or StopReason::none if it has not.
  StopReason step(std::size_t budget, const TextCallback& on_text = {}) {
    while (result_.reason == StopReason::none && budget > 0) {
      if (!input_.empty()) {
        feed(std::min(budget, input_.size()));
        budget = budget > fed_ ? budget - fed_ : 0;
        continue;
      }
      if (!have_logits_) {  // nothing queued and nothing to sample from: an empty prompt starts a document
        const auto start = tok_->end_of_text();
        if (!start) detail::fail(Errc::argument, "generate: an empty prompt needs an end-of-text token to start from, and this tokenizer has none");
        input_.push_back(*start);
        continue;
      }
      if (result_.tokens >= opts_.max_tokens) {  // only reached with max_tokens == 0
        finish(StopReason::max_tokens, on_text);
        break;
      }
      Token next = sample();
      ++result_.tokens;
      if (next == tok_->end_of_text()) {
        finish(StopReason::end_of_text, on_text);
        break;
      }
      if (std::find(opts_.stop_tokens.begin(), opts_.stop_tokens.end(), next) != opts_.stop_tokens.end()) {
        finish(StopReason::stop_token, on_text);
        break;
      }
      input_.push_back(next);  // fed at the start of the next token's work
      have_logits_ = false;
      if (emit(tok_->piece(next), on_text)) break;
      if (result_.tokens >= opts_.max_tokens) finish(StopReason::max_tokens, on_text);
    }
    return result_.reason;
  }

  // Runs until a stop condition.
  const GenerateResult& run(const TextCallback& on_text = {}) {
    while (step(SIZE_MAX, on_text) == StopReason::none) {
    }
    return result_;
  }

  const GenerateResult& result() const { return result_; }
  bool done() const { return result_.reason != StopReason::none; }
  // The state after every token fed so far; `pending()` lists the sampled tokens not yet fed to it.
  const State& state() const { return state_; }
  const std::vector<Token>& pending() const { return input_; }
  Sampler& sampler() { return sampler_; }
  const Sampler& sampler() const { return sampler_; }
  GenerateOptions& options() { return opts_; }

 private:
  void feed(std::size_t n) {
    std::span<const Token> chunk(input_.data(), n);
    const auto& allowed = sampler_.allowed();
    if (n == input_.size() && !allowed.empty()) {
      // Constrained choice: compute only the allowed rows of the head.
      logits_.resize(allowed.size());
      model_->forward_rows(chunk, state_, allowed, logits_);
      logit_ids_ = allowed;
    } else {
      logits_.resize(model_->vocab_size());
      model_->forward(chunk, state_, logits_);
      logit_ids_.clear();
    }
    input_.erase(input_.begin(), input_.begin() + static_cast<std::ptrdiff_t>(n));
    have_logits_ = input_.empty();
    fed_ = n;
  }

  Token sample() { return sampler_.sample(logits_, logit_ids_); }

  // Adds a token's bytes; emits what can no longer be part of a stop string. True when a stop string ended.
  bool emit(std::string_view bytes, const TextCallback& on_text) {
    tail_.append(bytes);
    std::size_t hit = std::string::npos;
    for (const auto& s : opts_.stop)
      if (!s.empty()) hit = std::min(hit, tail_.find(s));
    if (hit != std::string::npos) {
      tail_.resize(hit);
      finish(StopReason::stop_string, on_text);
      return true;
    }
    // Hold back the longest suffix that could still grow into a stop string.
    std::size_t hold = 0;
    for (const auto& s : opts_.stop)
      for (std::size_t k = std::min(s.size() - 1, tail_.size()); k > hold; --k)
        if (tail_.compare(tail_.size() - k, k, s, 0, k) == 0) {
          hold = k;
          break;
        }
    out(utf8_.push(std::string_view(tail_).substr(0, tail_.size() - hold)), on_text);
    tail_.erase(0, tail_.size() - hold);
    return false;
  }

  void finish(StopReason why, const TextCallback& on_text) {
    out(utf8_.push(tail_), on_text);
    out(utf8_.finish(), on_text);
    tail_.clear();
    result_.reason = why;
  }

  void out(const std::string& piece, const TextCallback& on_text) {
    if (piece.empty()) return;
    result_.text += piece;
    if (on_text) on_text(piece);
  }

  const ModelT* model_;
  const Tokenizer* tok_;
  Sampler sampler_;
  GenerateOptions opts_;
  State state_;
  std::vector<Token> input_;  // queued tokens: prompt, then each sampled token until it is fed
  std::vector<float> logits_;
  std::vector<Token> logit_ids_;  // rows of a partial head, or empty for the full vocabulary
  bool have_logits_ = false;
  std::size_t fed_ = 0;
  GenerateResult result_;
  std::string tail_;  // generated bytes not yet emitted (a possible stop-string prefix)
  Utf8StreamDecoder utf8_;
};

using Generator = BasicGenerator<Model>;

// One call: prompt in, text out (streamed to `on_text` if given).
template <class ModelT>
GenerateResult generate(const ModelT& model, const Tokenizer& tok, std::string_view prompt, Sampler sampler,
                        GenerateOptions opts = {}, const TextCallback& on_text = {}) {
  BasicGenerator<ModelT> g(model, tok, std::move(sampler), std::move(opts));
  g.add_prompt(prompt);
  return g.run(on_text);
}

}  // namespace rwkv7
