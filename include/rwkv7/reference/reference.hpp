// rwkv7/reference/reference.hpp — the plain float64 reference forward of whichever variant a model is.
#pragma once

#include <utility>

#include "forward.hpp"
#include "forward_cxa076.hpp"

namespace rwkv7::reference {

// f(reference) with the reference forward of the model's variant (Forward for x070, ForwardCxa076 for cxa076);
// both have new_state() and forward(token, state) -> Vector.
template <class F>
decltype(auto) with_reference(const ModelWeights& w, F&& f) {
  if (w.config.arch.variant == Variant::cxa076) return std::forward<F>(f)(ForwardCxa076(w));
  return std::forward<F>(f)(Forward(w));
}

}  // namespace rwkv7::reference
