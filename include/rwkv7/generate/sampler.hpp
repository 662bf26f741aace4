// rwkv7/generate/sampler.hpp — picks the next token from logits. Uses its own RNG (PCG32) and its own
// arithmetic instead of std:: distributions, so one seed gives the same tokens with every compiler and library.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <vector>

#include "../backend/cpu.hpp"

namespace rwkv7 {

// PCG32 (O'Neill): small, fast, and specified bit for bit.
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
  // Uniform in [0, 1) with 24 random bits: exact in float, identical everywhere.
  float uniform() { return static_cast<float>(next() >> 8) * (1.0f / 16777216.0f); }

 private:
  static constexpr std::uint64_t kIncrement = 1442695040888963407ULL;
  std::uint64_t state_ = 0;
};

struct SamplerOptions {
  float temperature = 1.0f;  // 0 = greedy
  float top_p = 1.0f;        // nucleus: keep the smallest set of tokens whose probability reaches top_p
  int top_k = 0;             // 0 = off
  std::uint64_t seed = 0;
};

class Sampler {
 public:
  explicit Sampler(SamplerOptions o = {}) : o_(o), rng_(o.seed) {}

  Token sample(const std::vector<float>& logits) {
    const std::size_t V = logits.size();
    if (o_.temperature <= 0.0f) return static_cast<Token>(std::max_element(logits.begin(), logits.end()) - logits.begin());
    // Order by logit (ties by id) so the cut-offs and the cumulative walk do not depend on sort stability.
    order_.resize(V);
    std::iota(order_.begin(), order_.end(), Token{0});
    std::sort(order_.begin(), order_.end(), [&](Token a, Token b) { return logits[a] > logits[b] || (logits[a] == logits[b] && a < b); });
    std::size_t keep = o_.top_k > 0 ? std::min<std::size_t>(V, static_cast<std::size_t>(o_.top_k)) : V;
    probs_.resize(keep);
    const float top = logits[order_[0]];
    double total = 0.0;
    for (std::size_t i = 0; i < keep; ++i) {
      probs_[i] = std::exp((logits[order_[i]] - top) / o_.temperature);
      total += probs_[i];
    }
    if (o_.top_p < 1.0f) {
      double cum = 0.0;
      std::size_t n = 0;
      while (n < keep && cum < o_.top_p * total) cum += probs_[n++];
      keep = std::max<std::size_t>(n, 1);
      total = cum > 0 ? cum : probs_[0];
    }
    double target = static_cast<double>(rng_.uniform()) * total, cum = 0.0;
    for (std::size_t i = 0; i < keep; ++i) {
      cum += probs_[i];
      if (target < cum) return order_[i];
    }
    return order_[keep - 1];
  }

 private:
  SamplerOptions o_;
  Pcg32 rng_;
  std::vector<Token> order_;
  std::vector<float> probs_;
};

}  // namespace rwkv7
