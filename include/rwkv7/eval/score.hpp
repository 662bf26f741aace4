// rwkv7/eval/score.hpp — how well a model predicts given tokens: the log-likelihood of a continuation after a
// context (LAMBADA's last word) and of every token of a text (perplexity), as RWKV's own evaluation computes
// them: log-softmax of each row of logits in double precision, greedy = the row's first largest logit.
#pragma once

#include <algorithm>
#include <cmath>
#include <string>
#include <span>
#include <vector>

#include "../error.hpp"
#include "../token.hpp"
#include "../tokenizer/tokenizer.hpp"

namespace rwkv7 {

// ln p(target | logits): the log-softmax of one row, summed in double.
inline double log_probability(std::span<const float> logits, Token target) {
  if (target >= logits.size()) detail::fail(Errc::argument, "log_probability: token " + std::to_string(target) + " is outside the vocabulary");
  double peak = logits[0];
  for (float v : logits) peak = std::max(peak, static_cast<double>(v));
  double sum = 0.0;
  for (float v : logits) sum += std::exp(static_cast<double>(v) - peak);
  return static_cast<double>(logits[target]) - peak - std::log(sum);
}

inline bool is_greedy(std::span<const float> logits, Token target) {
  std::size_t best = 0;
  for (std::size_t i = 1; i < logits.size(); ++i)
    if (logits[i] > logits[best]) best = i;
  return best == target;
}

struct ContinuationScore {
  double log_likelihood = 0.0;  // Σ ln p(target_i | context, target_<i)
  bool greedy = true;           // every target token is the argmax of its row
};

// The score of `target` following `context` (both non-empty), from a fresh state: the context in one chunk, the
// target's tokens but the last in another with every position's logits.
template <class ModelT>
ContinuationScore score_continuation(const ModelT& model, std::span<const Token> context, std::span<const Token> target) {
  if (context.empty() || target.empty()) detail::fail(Errc::argument, "score_continuation: the context and the target need at least one token each");
  auto state = model.new_state();
  const std::size_t V = model.vocab_size();
  ContinuationScore s;
  auto take = [&](std::span<const float> row, Token t) {
    s.log_likelihood += log_probability(row, t);
    s.greedy = s.greedy && is_greedy(row, t);
  };
  const std::vector<float> first = model.forward(context, state);
  take(first, target[0]);
  if (target.size() > 1) {
    const std::vector<float> rows = model.forward_every_position(target.first(target.size() - 1), state);
    for (std::size_t i = 1; i < target.size(); ++i) take(std::span<const float>(rows).subspan((i - 1) * V, V), target[i]);
  }
  return s;
}

// Σ −ln p(tokens[i] | tokens[<i]) over i ≥ 1 (the first token is only context), in chunks of `chunk` tokens.
template <class ModelT>
double text_negative_log_likelihood(const ModelT& model, std::span<const Token> tokens, std::size_t chunk = 256) {
  if (tokens.size() < 2) detail::fail(Errc::argument, "text_negative_log_likelihood: need at least two tokens");
  auto state = model.new_state();
  const std::size_t V = model.vocab_size();
  double nll = 0.0;
  for (std::size_t at = 0; at + 1 < tokens.size(); at += chunk) {
    const std::size_t n = std::min(chunk, tokens.size() - 1 - at);
    const std::vector<float> rows = model.forward_every_position(tokens.subspan(at, n), state);
    for (std::size_t i = 0; i < n; ++i) nll -= log_probability(std::span<const float>(rows).subspan(i * V, V), tokens[at + i + 1]);
  }
  return nll;
}

struct EvalResult {
  std::size_t count = 0;     // examples (LAMBADA) or predicted tokens (a text)
  double negative_log_likelihood = 0.0;  // summed
  std::size_t correct = 0;   // LAMBADA: examples whose every target token was the argmax
  double perplexity() const { return std::exp(negative_log_likelihood / static_cast<double>(count)); }
  double accuracy() const { return static_cast<double>(correct) / static_cast<double>(count); }
};

// A LAMBADA text split as RWKV's evaluation splits it: the context before the last space, the target " " + the
// last word. False when there is no non-empty last word after a space.
inline bool lambada_split(const std::string& text, std::string& context, std::string& target) {
  const auto space = text.rfind(' ');
  if (space == std::string::npos || space + 1 == text.size()) return false;
  context = text.substr(0, space);
  target = text.substr(space);
  return true;
}

// LAMBADA over `texts` (each split by lambada_split; the context starts with token 0, the document start, as
// in RWKV's evaluation): perplexity = exp of the mean negative log-likelihood per example. progress(done, so_far)
// is called after each example.
template <class ModelT, class Progress>
EvalResult evaluate_lambada(const ModelT& model, const Tokenizer& tokenizer, const std::vector<std::string>& texts, Progress&& progress) {
  EvalResult r;
  std::string context, target;
  for (const std::string& text : texts) {
    if (!lambada_split(text, context, target)) detail::fail(Errc::argument, "evaluate_lambada: a text has no last word after a space");
    std::vector<Token> src = {0};
    for (Token t : tokenizer.encode(context)) src.push_back(t);
    const ContinuationScore s = score_continuation(model, src, tokenizer.encode(target));
    r.negative_log_likelihood -= s.log_likelihood;
    r.correct += s.greedy;
    ++r.count;
    progress(r.count, r);
  }
  return r;
}

// Perplexity of a text: token 0 (the document start) then its tokens, each token after the first predicted.
template <class ModelT>
EvalResult evaluate_text(const ModelT& model, const Tokenizer& tokenizer, std::string_view text) {
  std::vector<Token> tokens = {0};
  for (Token t : tokenizer.encode(text)) tokens.push_back(t);
  if (tokens.size() < 2) detail::fail(Errc::argument, "evaluate_text: no text to predict");
  EvalResult r;
  r.count = tokens.size() - 1;
  r.negative_log_likelihood = text_negative_log_likelihood(model, tokens);
  return r;
}

}  // namespace rwkv7
