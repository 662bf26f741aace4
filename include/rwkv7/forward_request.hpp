// rwkv7/forward_request.hpp — one sequence's share of a forward call, as every backend takes it.
#pragma once

#include <span>

#include "state.hpp"
#include "token.hpp"

namespace rwkv7 {

// Feed `tokens` to `state`, then write the logits of the last token (all vocabulary rows, or only `rows` when
// given) to `logits` (host memory); with every_position, the logits after each token, one row per token (what
// perplexity needs), each the bits the token alone would give. StateT is the backend's state type (rwkv7::State
// on the CPU).
template <class StateT>
struct ForwardRequestOf {
  StateT* state = nullptr;
  std::span<const Token> tokens;
  float* logits = nullptr;
  std::span<const Token> rows;  // empty = every row of the head
  bool every_position = false;
};

using ForwardRequest = ForwardRequestOf<State>;

}  // namespace rwkv7
