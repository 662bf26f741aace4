// rwkv7/model.hpp — BasicModel: a loaded checkpoint run by a backend (backend/contract.hpp). Immutable after
// construction. rwkv7::Model is the CPU backend built for the instruction set the compiler flags select;
// rwkv7::DispatchModel (rwkv7/dispatch.hpp, with the compiled target rwkv7::dispatch) picks one at run time.
#pragma once

#include <algorithm>
#include <span>
#include <string>
#include <vector>

#include "backend/contract.hpp"
#include "backend/cpu/cpu.hpp"
#include "io/load_tensors.hpp"
#include "model/bind.hpp"
#include "quant/check_finite.hpp"
#include "options.hpp"
#include "quant/quantize.hpp"

namespace rwkv7 {

// Loads the file (or takes the caller's bytes), binds and prepares the weight view as LoadOptions ask, and hands it
// to the backend, which owns it from then on.
// Thread-safety: a model is read-only after construction (set_threads aside); any number of threads may call its
// const methods at once, each with its own state(s). A state must not be used by two calls at the same time.
template <Backend B>
class BasicModel {
 public:
  using StateType = typename B::StateType;
  using BackendOptions = typename B::Options;
  using Request = ForwardRequestOf<StateType>;

  explicit BasicModel(ModelWeights weights, const LoadOptions& opts = {}, const BackendOptions& backend = {})
      : backend_(prepared(std::move(weights), opts), opts, backend) {}

  // A .pth, a .safetensors, or an HF folder holding model.safetensors (+ config.json).
  static BasicModel load(const std::string& path, const LoadOptions& opts = {}, const BackendOptions& backend = {}) {
    return BasicModel(bind_weights(load_tensors(path)), opts, backend);
  }

  // From bytes the caller keeps alive for the model's lifetime (e.g. linked into the binary). Zero-copy.
  static BasicModel from_bytes(const void* data, std::size_t size, const std::string& name = "<memory>", const LoadOptions& opts = {},
                               const BackendOptions& backend = {}) {
    return BasicModel(bind_weights(load_tensors(FileBytes::view(data, size, name))), opts, backend);
  }

  const ModelConfig& config() const { return backend_.config(); }
  std::size_t vocab_size() const { return static_cast<std::size_t>(config().vocab_size); }
  const B& backend() const { return backend_; }

  StateType new_state() const { return backend_.new_state(); }
  // An independent copy of `s` (a device copy on a GPU backend, hence a named call).
  StateType clone_state(const StateType& s) const { return backend_.clone_state(s); }
  void reset_state(StateType& s) const { backend_.reset_state(s); }
  // The state in host memory, for saving (state_io.hpp) or inspection, and back.
  State to_host(const StateType& s) const {
    State host;
    backend_.to_host(s, host);
    return host;
  }
  void from_host(const State& host, StateType& s) const { backend_.from_host(host, s); }

  // Feeds one token; returns the logits [vocab] for the next token.
  std::vector<float> forward(Token token, StateType& state) const { return forward(std::span<const Token>(&token, 1), state); }

  // Feeds a chunk of tokens (prefill); returns the logits after the last one. Same result as one by one.
  std::vector<float> forward(std::span<const Token> tokens, StateType& state) const {
    std::vector<float> logits(vocab_size());
    forward(tokens, state, logits);
    return logits;
  }

  // Allocation-free form: writes the logits into `logits` (size vocab).
  void forward(std::span<const Token> tokens, StateType& state, std::span<float> logits) const {
    if (logits.size() != vocab_size()) detail::fail(Errc::argument, "forward: logits buffer has " + std::to_string(logits.size()) + " entries, vocab is " + std::to_string(vocab_size()));
    Request req{&state, tokens, logits.data(), {}};
    run({&req, 1});
  }

  // The logits after every token of the chunk: tokens.size() rows of vocab logits, row i predicting the token
  // after tokens[i] (perplexity over a text); each row the bits feeding the tokens one by one would give.
  std::vector<float> forward_every_position(std::span<const Token> tokens, StateType& state) const {
    std::vector<float> logits(tokens.size() * vocab_size());
    Request req{&state, tokens, logits.data(), {}, true};
    run({&req, 1});
    return logits;
  }

  // Partial head: logits for `rows` only (e.g. the tokens a constrained answer may use), equal to those entries
  // of the full logits, at a fraction of the head's cost. out[j] = logits[rows[j]].
  void forward_rows(std::span<const Token> tokens, StateType& state, std::span<const Token> rows, std::span<float> out) const {
    if (rows.empty() || out.size() != rows.size()) detail::fail(Errc::argument, "forward_rows: need one output per row, and at least one row");
    for (Token r : rows)
      if (r >= vocab_size()) detail::fail(Errc::argument, "forward_rows: row " + std::to_string(r) + " is outside the vocabulary");
    Request req{&state, tokens, out.data(), rows};
    run({&req, 1});
  }

  // Batch: one token for each of B independent states in one call (weights are read once for all of them).
  // Returns B rows of vocab logits, row b for states[b]; equal to B single calls.
  std::vector<float> forward_batch(std::span<const Token> tokens, std::span<StateType* const> states) const {
    if (tokens.size() != states.size()) detail::fail(Errc::argument, "forward_batch: one token per state");
    std::vector<float> logits(tokens.size() * vocab_size());
    std::vector<Request> reqs;
    for (std::size_t b = 0; b < tokens.size(); ++b) reqs.push_back({states[b], tokens.subspan(b, 1), logits.data() + b * vocab_size(), {}});
    run(reqs);
    return logits;
  }

  // The general form: several sequences, each with its own chunk of tokens, in one call.
  void run(std::span<const Request> requests) const {
    const ModelConfig& c = config();
    std::vector<const StateType*> seen;
    for (const auto& r : requests) {
      if (!r.state || r.tokens.empty()) detail::fail(Errc::argument, "forward: every request needs a state and at least one token");
      if (!r.state->matches(c)) detail::fail(Errc::state, "forward: the state was made for a different model shape");
      if (std::find(seen.begin(), seen.end(), r.state) != seen.end()) detail::fail(Errc::argument, "forward: the same state appears twice in one call");
      seen.push_back(r.state);
      for (Token t : r.tokens)
        if (t >= vocab_size()) detail::fail(Errc::argument, "forward: token " + std::to_string(t) + " is outside the vocabulary of " + std::to_string(vocab_size()));
    }
    backend_.forward(requests);
  }

  // What only some backends have (the CPU's: the weight view it computes from, its threads and instruction set).
  const ModelWeights& weights() const
    requires requires(const B& b) { b.weights(); }
  { return backend_.weights(); }
  // Threads each forward call may use (default 1: the caller's thread). Not thread-safe with concurrent calls;
  // set it once after loading. Concurrent calls sharing a multi-threaded model take turns on its threads.
  void set_threads(unsigned n)
    requires requires(B& b) { b.set_threads(n); }
  { backend_.set_threads(n); }
  unsigned threads() const
    requires requires(const B& b) { b.threads(); }
  { return backend_.threads(); }
  // The instruction set the kernels run with (fixed at load).
  Isa isa() const
    requires requires(const B& b) { b.isa(); }
  { return backend_.isa(); }

 private:
  static ModelWeights prepared(ModelWeights w, const LoadOptions& opts) {
    if (opts.check_finite) check_finite(w);
    if (opts.quant == Quant::int8) quantize_int8(w);
    return w;
  }

  B backend_;
};

// The kernels of the ISA the compiler flags select, header-only.
using Model = BasicModel<backend::Cpu>;
// Plain C++ kernels in a fixed order: the exact path the SIMD kernels are tested against.
using ReferenceModel = BasicModel<backend::CpuReference>;

}  // namespace rwkv7
