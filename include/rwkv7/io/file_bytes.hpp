// rwkv7/io/file_bytes.hpp — the bytes of a model file: memory-mapped, or a span the caller owns
// (a model linked into the executable). Every tensor view points into these bytes; nothing is copied.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "../error.hpp"

#if defined(__unix__) || defined(__APPLE__)
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#define RWKV7_HAVE_MMAP 1
#endif

namespace rwkv7 {

// Read-only bytes plus a name for error messages. Move-only; views into data() stay valid while it lives.
class FileBytes {
 public:
  FileBytes() = default;

  // Maps the file (falls back to reading it where mmap does not exist).
  static FileBytes open(const std::string& path) {
    FileBytes f;
    f.name_ = path;
#if defined(RWKV7_HAVE_MMAP)
    int fd = ::open(path.c_str(), O_RDONLY);
    if (fd < 0) detail::fail(Errc::io, path + ": cannot open file: " + std::strerror(errno));
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
      ::close(fd);
      detail::fail(Errc::io, path + ": not a regular file");
    }
    f.size_ = static_cast<std::size_t>(st.st_size);
    if (f.size_ > 0) {
      // The first token reads every weight anyway; faulting the pages in up front, in one kernel call, is
      // faster than taking one page fault per 4 KiB during that first token. Asking for huge pages first lets
      // a file that is not yet cached be read into 2 MiB page-cache folios, each then mapped by one entry, so
      // populating takes far fewer steps than in 4 KiB pages (docs/performance.md, "Kernel evidence").
#if defined(MADV_HUGEPAGE) && defined(MADV_POPULATE_READ)
      void* p = ::mmap(nullptr, f.size_, PROT_READ, MAP_PRIVATE, fd, 0);
      if (p != MAP_FAILED) {
        ::madvise(p, f.size_, MADV_HUGEPAGE);       // advice only: fine to fail
        ::madvise(p, f.size_, MADV_POPULATE_READ);  // older kernels: the first token faults the pages in instead
      }
#else
#if defined(MAP_POPULATE)
      const int flags = MAP_PRIVATE | MAP_POPULATE;
#else
      const int flags = MAP_PRIVATE;
#endif
      void* p = ::mmap(nullptr, f.size_, PROT_READ, flags, fd, 0);
#endif
      if (p == MAP_FAILED) {
        ::close(fd);
        detail::fail(Errc::io, path + ": mmap failed: " + std::strerror(errno));
      }
      f.mapping_ = std::shared_ptr<void>(p, [size = f.size_](void* q) { ::munmap(q, size); });
      f.data_ = static_cast<const std::byte*>(p);
      f.mapped_ = true;
    }
    ::close(fd);
#else
    std::FILE* fp = std::fopen(path.c_str(), "rb");
    if (!fp) detail::fail(Errc::io, path + ": cannot open file");
    auto owned = std::make_shared<std::vector<std::byte>>();
    std::byte chunk[1 << 16];
    std::size_t n;
    while ((n = std::fread(chunk, 1, sizeof chunk, fp)) > 0) owned->insert(owned->end(), chunk, chunk + n);
    std::fclose(fp);
    f.size_ = owned->size();
    f.data_ = owned->data();
    f.mapping_ = owned;
#endif
    return f;
  }

  // Wraps bytes the caller keeps alive (e.g. a model embedded in the binary). Zero-copy.
  static FileBytes view(const void* data, std::size_t size, std::string name) {
    FileBytes f;
    f.name_ = std::move(name);
    f.data_ = static_cast<const std::byte*>(data);
    f.size_ = size;
    return f;
  }

  const std::byte* data() const { return data_; }
  std::size_t size() const { return size_; }
  std::string_view text() const { return {reinterpret_cast<const char*>(data_), size_}; }
  const std::string& name() const { return name_; }

  // The caller is done with [p, p + n) for now (e.g. a matrix it has just quantized): a mapped file drops the
  // whole pages inside it from this process's memory, and touching them again reads them back from the file.
  // Bytes the caller owns, or read into memory, are left alone.
  void release(const std::byte* p, std::size_t n) const {
#if defined(RWKV7_HAVE_MMAP) && defined(MADV_DONTNEED)
    if (!mapped_ || p < data_ || n > size_ || static_cast<std::size_t>(p - data_) > size_ - n) return;
    const auto page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
    const std::uintptr_t first = (reinterpret_cast<std::uintptr_t>(p) + page - 1) / page * page;
    const std::uintptr_t last = (reinterpret_cast<std::uintptr_t>(p) + n) / page * page;
    if (last > first) ::madvise(reinterpret_cast<void*>(first), last - first, MADV_DONTNEED);
#else
    (void)p, (void)n;
#endif
  }

 private:
  std::shared_ptr<void> mapping_;  // owner (munmap / vector); empty for caller-owned views
  bool mapped_ = false;            // data_ is this object's own read-only file mapping
  const std::byte* data_ = nullptr;
  std::size_t size_ = 0;
  std::string name_;
};

namespace detail {

// Little-endian readers that never assume alignment (zip and pickle fields are unaligned).
template <class T>
inline T load_le(const std::byte* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;  // every supported target is little-endian; checked once in the format readers' tests
}

// Bounds-checked cursor: every read states what it was reading, so a truncated file names the field.
class Cursor {
 public:
  Cursor(const std::byte* begin, std::size_t size, const std::string& file) : p_(begin), end_(begin + size), file_(file) {}
  std::size_t remaining() const { return static_cast<std::size_t>(end_ - p_); }
  bool empty() const { return p_ == end_; }
  const std::byte* take(std::size_t n, const char* what) {
    if (n > remaining()) fail(Errc::format, file_ + ": truncated while reading " + what);
    const std::byte* q = p_;
    p_ += n;
    return q;
  }
  template <class T>
  T read(const char* what) {
    return load_le<T>(take(sizeof(T), what));
  }

 private:
  const std::byte* p_;
  const std::byte* end_;
  const std::string& file_;
};

}  // namespace detail
}  // namespace rwkv7
