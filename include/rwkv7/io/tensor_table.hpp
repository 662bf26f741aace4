// rwkv7/io/tensor_table.hpp — what every format reader produces: named, typed, shaped views into file bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "../error.hpp"
#include "file_bytes.hpp"
#include "metadata.hpp"
#include "tensor.hpp"

namespace rwkv7 {

// All tensors of one file. Owns the bytes, so views stay valid as long as the table (or a copy) lives.
class TensorTable {
 public:
  TensorTable() = default;
  explicit TensorTable(FileBytes bytes, std::string format) : bytes_(std::move(bytes)), format_(std::move(format)) {}

  void add(TensorView t) {
    if (index_.count(t.name)) detail::fail(Errc::format, file() + ": tensor " + detail::in_quotes(t.name) + " appears twice");
    index_.emplace(t.name, tensors_.size());
    tensors_.push_back(std::move(t));
  }

  const TensorView* find(const std::string& name) const {
    auto it = index_.find(name);
    return it == index_.end() ? nullptr : &tensors_[it->second];
  }
  bool contains(const std::string& name) const { return index_.count(name) != 0; }
  const std::vector<TensorView>& tensors() const { return tensors_; }
  const std::string& file() const { return bytes_.name(); }
  const std::string& format() const { return format_; }
  const FileBytes& bytes() const { return bytes_; }

  // A checkpoint split over several files (sharded safetensors): another file's tensors join this table, which
  // then owns that file's bytes too.
  void merge(TensorTable&& part) {
    for (auto& t : part.tensors_) add(std::move(t));
    parts_.push_back(std::move(part.bytes_));
    for (auto& b : part.parts_) parts_.push_back(std::move(b));
  }
  // The other files merged in (empty for a single-file checkpoint).
  const std::vector<FileBytes>& parts() const { return parts_; }

  // The caller is done with [p, p + n) of one of the table's files for now (FileBytes::release).
  void release(const std::byte* p, std::size_t n) const {
    bytes_.release(p, n);
    for (const auto& b : parts_) b.release(p, n);
  }

  // What the file says beside its tensors (config.json fields for HF checkpoints).
  Metadata metadata;

 private:
  FileBytes bytes_;
  std::vector<FileBytes> parts_;
  std::string format_;
  std::vector<TensorView> tensors_;
  std::map<std::string, std::size_t> index_;
};

namespace detail {

// n*m with overflow and a hard ceiling, so hostile shapes cannot wrap around a bounds check.
inline bool checked_mul(std::uint64_t a, std::uint64_t b, std::uint64_t& out) {
  if (a != 0 && b > UINT64_MAX / a) return false;
  out = a * b;
  return true;
}

// Byte size of a shape, or fails naming the tensor. Dimensions must be non-negative and the product finite.
inline std::uint64_t tensor_bytes(const std::string& file, const std::string& name, const Shape& shape, std::size_t elem) {
  std::uint64_t n = elem;
  for (auto d : shape) {
    if (d < 0) fail(Errc::format, file + ": tensor " + in_quotes(name) + ": negative dimension in shape " + shape_str(shape));
    if (!checked_mul(n, static_cast<std::uint64_t>(d), n))
      fail(Errc::format, file + ": tensor " + in_quotes(name) + ": shape " + shape_str(shape) + " overflows");
  }
  return n;
}

}  // namespace detail
}  // namespace rwkv7
