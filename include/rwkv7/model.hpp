// rwkv7/model.hpp — Model: a loaded checkpoint plus a backend. Immutable after construction.
#pragma once

#include <algorithm>
#include <span>
#include <string>
#include <vector>

#include "backend/cpu.hpp"
#if defined(RWKV7_EXTERN_KERNELS)
#include "backend/cpu_dispatch.hpp"
#endif
#include "io/load_tensors.hpp"
#include "model/weights.hpp"
#include "options.hpp"

namespace rwkv7 {

// Owns the file mapping (or references caller-owned bytes) and the backend-prepared weights.
// Thread-safety: a Model is read-only after construction; any number of threads may call its const methods at
// once, each with its own State(s). A State must not be used by two calls at the same time.
template <class Backend>
class BasicModel {
 public:
  // opts.check_finite and opts.quant are applied to `weights` here; opts.isa must name kernels this program holds (see Isa).
  explicit BasicModel(ModelWeights weights, const LoadOptions& opts = {}) : weights_(prepared(std::move(weights), opts)), backend_(weights_, opts) {}

  // A .pth, a .safetensors, or an HF folder holding model.safetensors (+ config.json).
  static BasicModel load(const std::string& path, const LoadOptions& opts = {}) { return BasicModel(bind_weights(load_tensors(path)), opts); }

  // From bytes the caller keeps alive for the model's lifetime (e.g. linked into the binary). Zero-copy.
  static BasicModel from_bytes(const void* data, std::size_t size, const std::string& name = "<memory>", const LoadOptions& opts = {}) {
    return BasicModel(bind_weights(load_tensors(FileBytes::view(data, size, name))), opts);
  }

  const ModelConfig& config() const { return weights_.config; }

  // Threads each forward call may use (default 1: the caller's thread). Not thread-safe with concurrent calls;
  // set it once after loading. Concurrent calls sharing a multi-threaded model take turns on its threads.
  void set_threads(unsigned n) { backend_.set_threads(n); }
  unsigned threads() const { return backend_.threads(); }
  // The instruction set the kernels run with (fixed at load).
  Isa isa() const { return backend_.isa(); }
  const ModelWeights& weights() const { return weights_; }
  State new_state() const { return State(weights_.config); }
  std::size_t vocab_size() const { return static_cast<std::size_t>(weights_.config.vocab_size); }

  // Feeds one token; returns the logits [vocab] for the next token.
  std::vector<float> forward(Token token, State& state) const { return forward(std::span<const Token>(&token, 1), state); }

  // Feeds a chunk of tokens (prefill); returns the logits after the last one. Same result as one by one.
  std::vector<float> forward(std::span<const Token> tokens, State& state) const {
    std::vector<float> logits(vocab_size());
    forward(tokens, state, logits);
    return logits;
  }

  // Allocation-free form: writes the logits into `logits` (size vocab).
  void forward(std::span<const Token> tokens, State& state, std::span<float> logits) const {
    if (logits.size() != vocab_size()) detail::fail(Errc::argument, "forward: logits buffer has " + std::to_string(logits.size()) + " entries, vocab is " + std::to_string(vocab_size()));
    ForwardRequest req{&state, tokens, logits.data(), {}};
    run({&req, 1});
  }

  // Partial head: logits for `rows` only (e.g. the tokens a constrained answer may use), equal to those entries
  // of the full logits, at a fraction of the head's cost. out[j] = logits[rows[j]].
  void forward_rows(std::span<const Token> tokens, State& state, std::span<const Token> rows, std::span<float> out) const {
    if (rows.empty() || out.size() != rows.size()) detail::fail(Errc::argument, "forward_rows: need one output per row, and at least one row");
    for (Token r : rows)
      if (r >= vocab_size()) detail::fail(Errc::argument, "forward_rows: row " + std::to_string(r) + " is outside the vocabulary");
    ForwardRequest req{&state, tokens, out.data(), rows};
    run({&req, 1});
  }

  // Batch: one token for each of B independent states in one call (weights are read once for all of them).
  // Returns B rows of vocab logits, row b for states[b]; equal to B single calls.
  std::vector<float> forward_batch(std::span<const Token> tokens, std::span<State* const> states) const {
    if (tokens.size() != states.size()) detail::fail(Errc::argument, "forward_batch: one token per state");
    std::vector<float> logits(tokens.size() * vocab_size());
    std::vector<ForwardRequest> reqs;
    for (std::size_t b = 0; b < tokens.size(); ++b) reqs.push_back({states[b], tokens.subspan(b, 1), logits.data() + b * vocab_size(), {}});
    run(reqs);
    return logits;
  }

  // The general form: several sequences, each with its own chunk of tokens, in one call.
  void run(std::span<const ForwardRequest> requests) const {
    const ModelConfig& c = weights_.config;
    std::vector<const State*> seen;
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

 private:
  static ModelWeights prepared(ModelWeights w, const LoadOptions& opts) {
    if (opts.check_finite) check_finite(w);
    if (opts.quant == Quant::int8) quantize_int8(w);
    return w;
  }

  ModelWeights weights_;
  Backend backend_;
};

#if defined(RWKV7_EXTERN_KERNELS)
// Linked with rwkv7::dispatch: kernels for every ISA level, the widest this CPU runs picked at load.
inline constexpr bool kRuntimeDispatch = true;
using Model = BasicModel<backend::CpuDispatch>;
#else
// Header-only: the kernels of the ISA the compiler flags select.
inline constexpr bool kRuntimeDispatch = false;
using Model = BasicModel<backend::Cpu>;
// The ISAs this program holds kernels for that this CPU can run: here only the compiled one.
inline std::vector<Isa> available_isas() { return {backend::Cpu::isa()}; }
#endif
// Plain C++ kernels in a fixed order: the exact path the SIMD kernels are tested against.
using ReferenceModel = BasicModel<backend::CpuReference>;

}  // namespace rwkv7
