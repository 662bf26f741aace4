// rwkv7/detail/cache_aligned.hpp — vectors that start on a cache line.
#pragma once

#include <cstddef>
#include <new>
#include <vector>

namespace rwkv7::detail {

constexpr std::size_t kCacheLine = 64;

// The WKV state and the activations are read and written a whole 64-byte vector at a time. malloc aligns to 16
// bytes (and large blocks, mmap'd, sit 16 bytes past a page start), so each such access spanned two cache lines.
template <class T>
struct CacheAlignedAllocator {
  using value_type = T;
  CacheAlignedAllocator() = default;
  template <class U>
  CacheAlignedAllocator(const CacheAlignedAllocator<U>&) {}
  T* allocate(std::size_t n) { return static_cast<T*>(::operator new(n * sizeof(T), std::align_val_t{kCacheLine})); }
  void deallocate(T* p, std::size_t) { ::operator delete(p, std::align_val_t{kCacheLine}); }
  template <class U>
  bool operator==(const CacheAlignedAllocator<U>&) const { return true; }
  template <class U>
  bool operator!=(const CacheAlignedAllocator<U>&) const { return false; }
};

template <class T>
using CacheAlignedVector = std::vector<T, CacheAlignedAllocator<T>>;

}  // namespace rwkv7::detail
