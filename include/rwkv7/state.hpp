// rwkv7/state.hpp — the recurrent state of one sequence: everything the model remembers between tokens.
#pragma once

#include <algorithm>
#include <vector>

#include "detail/cache_aligned.hpp"
#include "model/config.hpp"

namespace rwkv7 {

// Per layer: the token-shift vectors [C] the variant keeps (x070: TimeMix then ChannelMix; none for variants
// without token shift) and the WKV matrices [H, N(value), N(key)], all fp32, in one contiguous host buffer (so
// copying is a plain copy and saving is one write). The CPU backend computes on it in place; other backends keep
// their own and convert (BasicModel::to_host / from_host).
// A State belongs to one sequence; many States can share one Model across threads.
class State {
 public:
  State() = default;
  explicit State(const ModelConfig& c)
      : n_layer_(c.n_layer), n_embd_(c.n_embd), n_head_(c.n_head), head_size_(c.head_size), n_shift_(c.arch.shift_vectors()),
        data_(static_cast<std::size_t>(c.n_layer * layer_floats()), 0.0f) {}

  void reset() { std::fill(data_.begin(), data_.end(), 0.0f); }

  float* att_shift(std::int64_t layer) { return layer_base(layer); }
  float* ffn_shift(std::int64_t layer) { return layer_base(layer) + n_embd_; }
  float* wkv(std::int64_t layer) { return layer_base(layer) + n_shift_ * n_embd_; }
  const float* att_shift(std::int64_t layer) const { return const_cast<State*>(this)->att_shift(layer); }
  const float* ffn_shift(std::int64_t layer) const { return const_cast<State*>(this)->ffn_shift(layer); }
  const float* wkv(std::int64_t layer) const { return const_cast<State*>(this)->wkv(layer); }

  std::int64_t n_layer() const { return n_layer_; }
  std::int64_t n_embd() const { return n_embd_; }
  std::int64_t n_head() const { return n_head_; }
  std::int64_t head_size() const { return head_size_; }
  const detail::CacheAlignedVector<float>& data() const { return data_; }
  detail::CacheAlignedVector<float>& data() { return data_; }

  bool matches(const ModelConfig& c) const {
    return n_layer_ == c.n_layer && n_embd_ == c.n_embd && n_head_ == c.n_head && head_size_ == c.head_size && n_shift_ == c.arch.shift_vectors();
  }

 private:
  std::int64_t layer_floats() const { return n_shift_ * n_embd_ + n_head_ * head_size_ * head_size_; }
  float* layer_base(std::int64_t layer) { return data_.data() + layer * layer_floats(); }

  std::int64_t n_layer_ = 0, n_embd_ = 0, n_head_ = 0, head_size_ = 0, n_shift_ = 2;
  detail::CacheAlignedVector<float> data_;
};

}  // namespace rwkv7
