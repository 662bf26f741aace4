// rwkv7/detail/huge_pages.hpp — memory that a decode step streams through, in 2 MiB pages where the OS has them.
#pragma once

#include <cstddef>
#include <cstdlib>
#include <memory>
#include <new>

#if defined(__unix__) || defined(__APPLE__)
#include <sys/mman.h>
#endif

namespace rwkv7::detail {

constexpr std::size_t kHugePage = std::size_t{2} << 20;

// `bytes` uninitialized bytes, 2 MiB-aligned, with the advice to back them by 2 MiB pages: the hardware
// prefetcher stops at every 4 KiB page boundary, so weights in 4 KiB pages decode slower (docs/performance.md,
// "Kernel evidence").
inline std::shared_ptr<std::byte[]> huge_page_bytes(std::size_t bytes) {
  // aligned_alloc wants a multiple of the alignment; at least one page, so that p is never null for 0 bytes.
  const std::size_t size = bytes == 0 ? kHugePage : (bytes + kHugePage - 1) / kHugePage * kHugePage;
  void* p = std::aligned_alloc(kHugePage, size);
  if (!p) throw std::bad_alloc();
#if defined(MADV_HUGEPAGE)
  ::madvise(p, size, MADV_HUGEPAGE);  // advice only: fine to fail
#endif
  return std::shared_ptr<std::byte[]>(static_cast<std::byte*>(p), [](std::byte* q) { std::free(q); });
}

}  // namespace rwkv7::detail
