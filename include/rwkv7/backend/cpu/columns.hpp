// rwkv7/backend/cpu/columns.hpp — how a chunk of work is laid out: n columns (one token each), grouped into
// segments that each continue one sequence's State. A prefill chunk is one segment of many columns; a batch
// step is many segments of one column each.
#pragma once

#include <algorithm>
#include <cstddef>
#include <vector>

#include "../../detail/cache_aligned.hpp"
#include "../../detail/isa.hpp"
#include "../../state.hpp"

namespace rwkv7::detail {
inline namespace RWKV7_ISA_NAMESPACE {

struct Segment {
  State* state;
  std::size_t first, count;  // columns [first, first + count), in sequence order
};

// Scratch vectors of n columns × width, reused across layers and calls (sized on first use).
struct ColumnBuffer {
  CacheAlignedVector<float> data;
  float* get(std::size_t n, std::int64_t width) {
    if (data.size() < n * static_cast<std::size_t>(width)) data.resize(n * static_cast<std::size_t>(width));
    return data.data();
  }
};

// Token shift over a chunk. inputs(): each column's previous input, i.e. the column before it in its segment,
// or for a segment's first column the vector its State kept from the previous call. keep_last(), once the mix
// has read them: each State keeps its segment's last input. `kept(state)` names that vector (the TimeMix or
// ChannelMix shift of one layer). The pointer array is reused across layers and calls.
struct TokenShift {
  std::vector<const float*> prev;

  template <class Kept>
  const float* const* inputs(const float* columns, std::size_t width, const std::vector<Segment>& segments, std::size_t n, Kept kept) {
    if (prev.size() < n) prev.resize(n);
    for (const Segment& s : segments)
      for (std::size_t c = s.first; c < s.first + s.count; ++c) prev[c] = c == s.first ? kept(*s.state) : columns + (c - 1) * width;
    return prev.data();
  }

  template <class Kept>
  static void keep_last(const float* columns, std::size_t width, const std::vector<Segment>& segments, Kept kept) {
    for (const Segment& s : segments) std::copy(columns + (s.first + s.count - 1) * width, columns + (s.first + s.count) * width, kept(*s.state));
  }
};

}  // namespace RWKV7_ISA_NAMESPACE
}  // namespace rwkv7::detail
