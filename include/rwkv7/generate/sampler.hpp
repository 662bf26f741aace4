// rwkv7/generate/sampler.hpp — picks the next token from logits. Uses its own RNG (PCG32) and no std::
// distributions, so one seed gives the same tokens with every compiler and standard library.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <span>
#include <unordered_map>
#include <vector>

#include "../error.hpp"
#include "../token.hpp"
#include "../tokenizer/tokenizer.hpp"

namespace rwkv7 {

// PCG32 (O'Neill, XSH-RR): small, fast, and specified bit for bit.
class Pcg32 {
 public:
  explicit Pcg32(std::uint64_t seed = 0) {
    next();
    state_ += seed;
    next();
  }
  std::uint32_t next() {
    std::uint64_t old = state_;
    state_ = old * 6364136223846793005ULL + kIncrement;
    auto xorshifted = static_cast<std::uint32_t>(((old >> 18u) ^ old) >> 27u);
    auto rot = static_cast<std::uint32_t>(old >> 59u);
    return (xorshifted >> rot) | (xorshifted << ((32u - rot) & 31u));
  }
  // Uniform in [0, 1) from 24 random bits: exact in float and double, identical everywhere.
  double uniform() { return static_cast<double>(next() >> 8) * (1.0 / 16777216.0); }

  std::uint64_t raw_state() const { return state_; }
  void set_raw_state(std::uint64_t s) { state_ = s; }

 private:
  static constexpr std::uint64_t kIncrement = 1442695040888963407ULL;
  std::uint64_t state_ = 0;
};

struct SamplerOptions {
  float temperature = 1.0f;  // 0 = greedy (argmax)
  int top_k = 0;             // keep the k most likely tokens; 0 = off
  float top_p = 1.0f;        // nucleus: the smallest set whose probability reaches top_p; 1 = off
  float min_p = 0.0f;        // drop tokens less likely than min_p × the most likely one; 0 = off
  // RWKV-style repetition penalties: logit[t] −= presence + frequency × occurrence[t], where each sampled token
  // adds 1 to its occurrence and all occurrences decay by `penalty_decay` per step.
  float presence_penalty = 0.0f;
  float frequency_penalty = 0.0f;
  float penalty_decay = 0.996f;
  std::uint64_t seed = 0;
};

// Stateful: keeps the RNG and the occurrence counts of a generation. Copy it to fork a generation.
class Sampler {
 public:
  explicit Sampler(SamplerOptions o = {}) : o_(o), rng_(o.seed) {}

  const SamplerOptions& options() const { return o_; }

  // Adds `bias` to a token's logit before sampling (−infinity bans it).
  void set_logit_bias(Token id, float bias) { bias_[id] = bias; }
  // Only these tokens may be sampled (empty = all).
  void set_allowed(std::vector<Token> ids) {
    allowed_ = std::move(ids);
    std::sort(allowed_.begin(), allowed_.end());
    allowed_.erase(std::unique(allowed_.begin(), allowed_.end()), allowed_.end());
  }
  const std::vector<Token>& allowed() const { return allowed_; }
  // Tokens whose text is only digits and whitespace do not count towards penalties (numbers and layout
  // repeat legitimately), as in RWKV's reference pipeline.
  void exempt_digits_and_whitespace(const Tokenizer& tok) {
    exempt_.assign(tok.size(), false);
    for (std::size_t id = 0; id < tok.size(); ++id) {
      auto p = tok.piece(static_cast<Token>(id));
      exempt_[id] = !p.empty() && std::all_of(p.begin(), p.end(), [](char ch) { return (ch >= '0' && ch <= '9') || ch == ' ' || ch == '\t' || ch == '\n'; });
    }
  }

  // Picks a token. `logits[j]` is the logit of token `ids[j]`, or of token j when `ids` is empty (full head).
  // Records the pick for the penalties.
  Token sample(std::span<const float> logits, std::span<const Token> ids = {}) {
    candidates_.clear();
    const bool biased = !bias_.empty(), penalised = !occurrence_.empty();
    auto consider = [&](Token id, float logit) {
      if (biased)
        if (auto it = bias_.find(id); it != bias_.end()) logit += it->second;
      if (penalised)
        if (auto it = occurrence_.find(id); it != occurrence_.end()) logit -= o_.presence_penalty + o_.frequency_penalty * it->second;
      if (logit > -std::numeric_limits<float>::infinity()) candidates_.push_back({id, logit});
    };
    if (!allowed_.empty()) {
      for (std::size_t j = 0; j < logits.size(); ++j) {
        Token id = ids.empty() ? static_cast<Token>(j) : ids[j];
        if (std::binary_search(allowed_.begin(), allowed_.end(), id)) consider(id, logits[j]);
      }
    } else {
      for (std::size_t j = 0; j < logits.size(); ++j) consider(ids.empty() ? static_cast<Token>(j) : ids[j], logits[j]);
    }
    if (candidates_.empty()) candidates_.push_back({ids.empty() ? Token{0} : ids[0], 0.0f});  // everything banned
    Token pick = choose();
    accept(pick);
    return pick;
  }

  // The RNG and penalty state, so a saved generation can continue bit-identically.
  std::uint64_t rng_state() const { return rng_.raw_state(); }
  void set_rng_state(std::uint64_t s) { rng_.set_raw_state(s); }
  const std::unordered_map<Token, float>& occurrence() const { return occurrence_; }
  void set_occurrence(std::unordered_map<Token, float> occ) { occurrence_ = std::move(occ); }

 private:
  struct Candidate {
    Token id;
    float logit;
  };

  Token choose() {
    if (o_.temperature <= 0.0f) {  // greedy: the most likely candidate, lowest id on ties; no sort needed
      const Candidate* best = &candidates_[0];
      for (const Candidate& c : candidates_)
        if (c.logit > best->logit || (c.logit == best->logit && c.id < best->id)) best = &c;
      return best->id;
    }
    // Most likely first; ties by id so the order never depends on the sort implementation.
    std::sort(candidates_.begin(), candidates_.end(),
              [](const Candidate& a, const Candidate& b) { return a.logit > b.logit || (a.logit == b.logit && a.id < b.id); });
    std::size_t keep = candidates_.size();
    if (o_.top_k > 0) keep = std::min(keep, static_cast<std::size_t>(o_.top_k));
    probs_.resize(keep);
    const double top = candidates_[0].logit, temp = o_.temperature;
    double total = 0.0;
    for (std::size_t i = 0; i < keep; ++i) total += probs_[i] = std::exp((candidates_[i].logit - top) / temp);
    if (o_.min_p > 0.0f) {  // probs_[0] is the maximum (= 1 before normalisation)
      std::size_t n = 1;
      while (n < keep && probs_[n] >= o_.min_p * probs_[0]) ++n;
      for (std::size_t i = n; i < keep; ++i) total -= probs_[i];
      keep = n;
    }
    if (o_.top_p < 1.0f) {
      double cum = 0.0;
      std::size_t n = 0;
      while (n < keep && cum < o_.top_p * total) cum += probs_[n++];
      keep = std::max<std::size_t>(n, 1);
      total = cum > 0.0 ? cum : probs_[0];
    }
    const double target = rng_.uniform() * total;
    double cum = 0.0;
    for (std::size_t i = 0; i < keep; ++i) {
      cum += probs_[i];
      if (target < cum) return candidates_[i].id;
    }
    return candidates_[keep - 1].id;
  }

  void accept(Token id) {
    if (o_.presence_penalty == 0.0f && o_.frequency_penalty == 0.0f) return;
    for (auto& [t, n] : occurrence_) n *= o_.penalty_decay;
    bool exempt = id < exempt_.size() && exempt_[id];
    if (!exempt) occurrence_[id] += 1.0f;
  }

  SamplerOptions o_;
  Pcg32 rng_;
  std::unordered_map<Token, float> bias_;
  std::vector<Token> allowed_;
  std::vector<bool> exempt_;
  std::unordered_map<Token, float> occurrence_;
  std::vector<Candidate> candidates_;
  std::vector<double> probs_;
};

}  // namespace rwkv7
