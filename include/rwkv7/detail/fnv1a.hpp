// rwkv7/detail/fnv1a.hpp — FNV-1a 64: a stable, dependency-free hash for model fingerprints and state checksums.
#pragma once

#include <cstddef>
#include <cstdint>

namespace rwkv7::detail {

inline std::uint64_t fnv1a(const void* data, std::size_t n, std::uint64_t h = 14695981039346656037ULL) {
  const auto* p = static_cast<const unsigned char*>(data);
  for (std::size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 1099511628211ULL;
  return h;
}

}  // namespace rwkv7::detail
