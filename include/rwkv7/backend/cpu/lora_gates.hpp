// rwkv7/backend/cpu/lora_gates.hpp — the four low-rank gates every RWKV-7 TimeMix computes before the recurrence
// (decay, in-context learning rate, output gate, value residual), shared by the variants: x070 feeds each its own
// token-shifted input, cxa076 feeds them all the normed input. Their elementwise finish is the variant's own.
#pragma once

#include <algorithm>
#include <cstddef>

#include "../../detail/isa.hpp"
#include "../../kernels/matmul.hpp"
#include "../../model/weights.hpp"
#include "columns.hpp"

namespace rwkv7::detail {
inline namespace RWKV7_ISA_NAMESPACE {

// x ← f(lanes, x) over n columns of `width`. Column by column, so whether an element takes the vector or the
// scalar path (the same bits either way only for the exact kernels) depends on its place in its column, not on
// how many columns came with it.
template <class K, class F>
void apply_columns(const MatMul<K>& matmul, float* x, std::size_t n, std::int64_t width, F f) {
  const auto W = static_cast<std::size_t>(width);
  matmul.exec.parallel(n, 20 * W, [&](std::size_t c0, std::size_t c1) {
    for (std::size_t c = c0; c < c1; ++c) {
      float* column = x + c * W;
      K::elementwise(W, [&](auto lanes, std::size_t i) { lanes.store(column, i, f(lanes, lanes.load(column, i))); });
    }
  });
}

template <class K>
struct LoraGates {
  static constexpr std::size_t kCount = 4;
  struct Scratch {
    ColumnBuffer hidden[kCount];
  };
  struct Io {
    const float* in;  // n columns × C
    float* out;       // n columns × A
  };

  // Gate `which` over n columns (0: tanh(x·w1)·w2, the raw decay; 1: x·a1·a2; 2: σ(x·g1)·g2, the output gate;
  // 3: x·v1·v2, the raw value residual, none in layer 0). Each gate is a chain of two small products (under a
  // megabyte of weights a layer for the four), too small to split: one thread takes a whole gate, in fp32 on its
  // own buffer, so the four run as items of the parallel job that holds the r, k and v products.
  static void run(std::size_t which, const TimeMixWeights& w, std::int64_t layer, const Io (&io)[kCount], std::size_t n, Scratch& s) {
    const MatMul<K> serial{};
    auto lora = [&](const Linear& down, const Linear& up, auto squash) {
      float* h = s.hidden[which].get(n, down.out);
      serial(down, io[which].in, n, h);
      squash(h, down.out);
      serial(up, h, n, io[which].out);
    };
    auto tanh_of = [&](float* h, std::int64_t width) { apply_columns(serial, h, n, width, [](auto lanes, auto z) { return lanes.tanh(z); }); };
    auto sigmoid_of = [&](float* h, std::int64_t width) { apply_columns(serial, h, n, width, [](auto lanes, auto z) { return lanes.sigmoid(z); }); };
    auto linear = [](float*, std::int64_t) {};
    switch (which) {
      case 0: lora(w.w1, w.w2, tanh_of); break;
      case 1: lora(w.a1, w.a2, linear); break;
      case 2: lora(w.g1, w.g2, sigmoid_of); break;
      default:
        if (layer > 0) lora(w.v1, w.v2, linear);
    }
  }

  // The value residual over one head's n channels of one column: layer 0 defines v_first; later layers lerp v
  // towards it by σ(v0 + raw), raw being gate 3's output.
  static void value_residual(std::int64_t layer, std::size_t n, float* v, float* v_first, const float* v0, const float* raw) {
    if (layer == 0) {
      std::copy(v, v + n, v_first);
      return;
    }
    K::elementwise(n, [&](auto lanes, std::size_t i) {
      const auto vi = lanes.load(v, i);
      lanes.store(v, i, vi + (lanes.load(v_first, i) - vi) * lanes.sigmoid(lanes.load(v0, i) + lanes.load(raw, i)));
    });
  }

  // Multiply-adds of one gate over n columns (the scheduling weight of an item).
  static std::size_t work(const TimeMixWeights& w, std::size_t n) {
    return 2 * static_cast<std::size_t>(w.w1.out) * static_cast<std::size_t>(w.w1.in) * n;
  }
};

}  // namespace RWKV7_ISA_NAMESPACE
}  // namespace rwkv7::detail
