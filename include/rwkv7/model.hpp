// rwkv7/model.hpp — Model: a loaded checkpoint plus a backend. Immutable after construction.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "backend/cpu.hpp"
#include "io/load_tensors.hpp"
#include "model/weights.hpp"

namespace rwkv7 {

// Owns the file mapping (or references caller-owned bytes) and the backend-prepared weights.
// Thread-safety: every const method may be called concurrently, as long as each thread uses its own State.
template <class Backend>
class BasicModel {
 public:
  explicit BasicModel(ModelWeights weights) : weights_(std::move(weights)), backend_(weights_) {}

  // A .pth, a .safetensors, or an HF folder holding model.safetensors (+ config.json).
  static BasicModel load(const std::string& path) { return BasicModel(bind_weights(load_tensors(path))); }

  // From bytes the caller keeps alive for the model's lifetime (e.g. linked into the binary). Zero-copy.
  static BasicModel from_bytes(const void* data, std::size_t size, const std::string& name = "<memory>") {
    return BasicModel(bind_weights(load_tensors(FileBytes::view(data, size, name))));
  }

  const ModelConfig& config() const { return weights_.config; }
  const ModelWeights& weights() const { return weights_; }
  State new_state() const { return State(weights_.config); }

  // Feeds one token; returns the logits [vocab] for the next token.
  std::vector<float> forward(Token token, State& state) const { return forward(std::span<const Token>(&token, 1), state); }

  // Feeds a chunk of tokens (prefill); returns the logits after the last one. Same result as one by one.
  std::vector<float> forward(std::span<const Token> tokens, State& state) const {
    std::vector<float> logits(static_cast<std::size_t>(weights_.config.vocab_size));
    forward(tokens, state, logits);
    return logits;
  }

  // Allocation-free form: writes the logits into `logits` (size vocab).
  void forward(std::span<const Token> tokens, State& state, std::span<float> logits) const {
    const ModelConfig& c = weights_.config;
    if (tokens.empty()) detail::fail(Errc::argument, "forward: no tokens given");
    if (logits.size() != static_cast<std::size_t>(c.vocab_size))
      detail::fail(Errc::argument, "forward: logits buffer has " + std::to_string(logits.size()) + " entries, vocab is " +
                                       std::to_string(c.vocab_size));
    if (!state.matches(c)) detail::fail(Errc::state, "forward: the state was made for a different model shape");
    for (Token t : tokens)
      if (t >= static_cast<Token>(c.vocab_size))
        detail::fail(Errc::argument, "forward: token " + std::to_string(t) + " is outside the vocabulary of " + std::to_string(c.vocab_size));
    backend_.forward(tokens.data(), tokens.size(), state, logits.data());
  }

 private:
  ModelWeights weights_;
  Backend backend_;
};

using Model = BasicModel<backend::Cpu>;

}  // namespace rwkv7
