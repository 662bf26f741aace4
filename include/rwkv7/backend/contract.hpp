// rwkv7/backend/contract.hpp — what a backend is: the one contract between rwkv7::BasicModel and the code that
// runs a model on some device. The CPU backend (backend/cpu/) satisfies it; a GPU backend satisfies it with its
// own weights, states and scratch in device memory, without touching model/ or the layers of another backend.
//
// A backend B
// - is built from the bound weight view (already checked and quantized as LoadOptions asked) and owns whatever it
//   prepares from it: B(ModelWeights&&, const LoadOptions&, const B::Options&). Device-specific choices (CPU
//   instruction set and threads, a GPU's device index and streams) live in B::Options, never in LoadOptions;
// - reports the model's config();
// - owns the memory of its states: B::StateType is what callers hold for one sequence (rwkv7::State on the CPU;
//   a handle to device memory elsewhere), made by new_state(), copied by clone_state() (an explicit call, since
//   it may cost a device copy), zeroed by reset_state(), and checked against a config by StateType::matches;
// - moves a state to and from a host rwkv7::State (to_host / from_host) so states can be saved, inspected and
//   restored in one format whatever the device;
// - runs forward(requests): for each request, feeds its tokens to its state in order and writes the logits of its
//   last token (or, with every_position, of each token), every head row or only the requested `rows`, to host memory. Requests are independent sequences
//   (one call may mix a long prefill with single-token decode steps); results must not depend on how the calls
//   are batched. forward is const and may be called from several threads at once with distinct states: the
//   backend keeps per-call scratch itself (no thread_local).
//
// Argument checks common to every backend (token ranges, state shapes, duplicate states) are done by
// BasicModel before forward is called.
#pragma once

#include <concepts>
#include <span>

#include "../forward_request.hpp"
#include "../model/weights.hpp"
#include "../options.hpp"
#include "../state.hpp"

namespace rwkv7 {

template <class B>
concept Backend = requires(const B& cb, typename B::StateType& s, const typename B::StateType& cs, State& host, const State& chost,
                           std::span<const ForwardRequestOf<typename B::StateType>> requests, ModelWeights&& w, const LoadOptions& load,
                           const typename B::Options& options, const ModelConfig& c) {
  requires std::constructible_from<B, ModelWeights&&, const LoadOptions&, const typename B::Options&>;
  requires std::movable<B>;
  requires std::movable<typename B::StateType>;
  { cb.config() } -> std::same_as<const ModelConfig&>;
  { cb.new_state() } -> std::same_as<typename B::StateType>;
  { cb.clone_state(cs) } -> std::same_as<typename B::StateType>;
  cb.reset_state(s);
  { cs.matches(c) } -> std::same_as<bool>;
  cb.to_host(cs, host);
  cb.from_host(chost, s);
  cb.forward(requests);
};

}  // namespace rwkv7
