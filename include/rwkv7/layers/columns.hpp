// rwkv7/layers/columns.hpp — how a chunk of work is laid out: n columns (one token each), grouped into
// segments that each continue one sequence's State. A prefill chunk is one segment of many columns; a batch
// step is many segments of one column each.
#pragma once

#include <cstddef>
#include <vector>

#include "../state.hpp"
#include "../detail/isa.hpp"

namespace rwkv7::detail {
inline namespace RWKV7_ISA_NAMESPACE {

struct Segment {
  State* state;
  std::size_t first, count;  // columns [first, first + count), in sequence order
};

// The input a token-shift mix sees for column c: the previous column of the same segment, or for the first
// column the vector the State kept from the previous call.
inline const float* previous_column(const float* columns, std::size_t width, const Segment& s, std::size_t c, const float* kept) {
  return c == s.first ? kept : columns + (c - 1) * width;
}

// Scratch vectors of n columns × width, reused across layers and calls (sized on first use).
struct ColumnBuffer {
  std::vector<float> data;
  float* get(std::size_t n, std::int64_t width) {
    if (data.size() < n * static_cast<std::size_t>(width)) data.resize(n * static_cast<std::size_t>(width));
    return data.data();
  }
};

// Per-column pointers (e.g. each column's token-shift input), reused like ColumnBuffer.
struct ColumnPointers {
  std::vector<const float*> data;
  const float** get(std::size_t n) {
    if (data.size() < n) data.resize(n);
    return data.data();
  }
};

}  // namespace RWKV7_ISA_NAMESPACE
}  // namespace rwkv7::detail
