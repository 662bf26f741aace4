// rwkv7/io/zip_archive.hpp — the subset of ZIP that torch.save writes: stored (uncompressed) entries, ZIP64 sizes.
// Entries are returned as spans into the file, so tensor data is never copied.
#pragma once

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "file_bytes.hpp"

namespace rwkv7::detail {

struct ZipEntry {
  std::string name;
  const std::byte* data = nullptr;
  std::uint64_t size = 0;
  bool stored = true;  // compression method 0; anything else cannot be viewed in place
};

inline std::vector<ZipEntry> read_zip_directory(const FileBytes& bytes) {
  const std::string& file = bytes.name();
  const std::byte* base = bytes.data();
  const std::uint64_t size = bytes.size();
  auto bad = [&](const std::string& what) -> void { fail(Errc::format, file + ": " + what); };

  // End-of-central-directory record: 22 bytes + a comment of up to 64 KiB, at the very end.
  if (size < 22) bad("too small to be a .pth (zip) archive");
  std::uint64_t eocd = UINT64_MAX;
  std::uint64_t lowest = size > 22 + 65535 ? size - 22 - 65535 : 0;
  for (std::uint64_t p = size - 22 + 1; p-- > lowest;) {
    if (load_le<std::uint32_t>(base + p) == 0x06054b50u) {
      eocd = p;
      break;
    }
  }
  if (eocd == UINT64_MAX) bad("no zip end-of-central-directory record (not a torch.save archive, or truncated)");
  std::uint64_t count = load_le<std::uint16_t>(base + eocd + 10);
  std::uint64_t dir_size = load_le<std::uint32_t>(base + eocd + 12);
  std::uint64_t dir_offset = load_le<std::uint32_t>(base + eocd + 16);

  // ZIP64: the locator sits right before the EOCD and points at the 64-bit record.
  if (eocd >= 20 && load_le<std::uint32_t>(base + eocd - 20) == 0x07064b50u) {
    std::uint64_t rec = load_le<std::uint64_t>(base + eocd - 20 + 8);
    if (rec > size || size - rec < 56 || load_le<std::uint32_t>(base + rec) != 0x06064b50u)
      bad("broken zip64 end-of-central-directory record");
    count = load_le<std::uint64_t>(base + rec + 32);
    dir_size = load_le<std::uint64_t>(base + rec + 40);
    dir_offset = load_le<std::uint64_t>(base + rec + 48);
  }
  if (dir_offset > size || dir_size > size - dir_offset) bad("zip central directory lies outside the file");
  if (count > dir_size / 46) bad("zip central directory claims more entries than it can hold");

  struct Span {
    std::uint64_t begin, end;
    std::size_t entry;
    bool operator<(const Span& o) const { return begin < o.begin; }
  };
  std::vector<Span> spans;
  std::vector<ZipEntry> entries;
  entries.reserve(static_cast<std::size_t>(count));
  Cursor dir(base + dir_offset, static_cast<std::size_t>(dir_size), file);
  for (std::uint64_t i = 0; i < count; ++i) {
    const std::byte* h = dir.take(46, "a zip central directory entry");
    if (load_le<std::uint32_t>(h) != 0x02014b50u) bad("bad zip central directory entry signature");
    ZipEntry e;
    e.stored = load_le<std::uint16_t>(h + 10) == 0;
    std::uint64_t csize = load_le<std::uint32_t>(h + 20);
    std::uint64_t usize = load_le<std::uint32_t>(h + 24);
    std::uint16_t name_len = load_le<std::uint16_t>(h + 28);
    std::uint16_t extra_len = load_le<std::uint16_t>(h + 30);
    std::uint16_t comment_len = load_le<std::uint16_t>(h + 32);
    std::uint64_t local = load_le<std::uint32_t>(h + 42);
    e.name.assign(reinterpret_cast<const char*>(dir.take(name_len, "a zip entry name")), name_len);
    // ZIP64 extra field (id 1) holds, in order, only the fields whose 32-bit slot is saturated.
    Cursor extra(dir.take(extra_len, "a zip extra field"), extra_len, file);
    while (extra.remaining() >= 4) {
      auto id = extra.read<std::uint16_t>("a zip extra field id");
      auto len = extra.read<std::uint16_t>("a zip extra field size");
      Cursor field(extra.take(len, "a zip extra field"), len, file);
      if (id != 1) continue;
      if (usize == 0xffffffffu) usize = field.read<std::uint64_t>("a zip64 size");
      if (csize == 0xffffffffu) csize = field.read<std::uint64_t>("a zip64 size");
      if (local == 0xffffffffu) local = field.read<std::uint64_t>("a zip64 offset");
    }
    dir.take(comment_len, "a zip entry comment");
    if (local > size || size - local < 30 || load_le<std::uint32_t>(base + local) != 0x04034b50u)
      bad("zip entry " + in_quotes(e.name) + " has a bad local header");
    const std::uint16_t local_name_len = load_le<std::uint16_t>(base + local + 26);
    if (local_name_len != name_len || size - local - 30 < name_len ||
        std::memcmp(base + local + 30, e.name.data(), name_len) != 0)
      bad("zip entry " + in_quotes(e.name) + ": its local header names another entry");
    std::uint64_t start = local + 30 + local_name_len + load_le<std::uint16_t>(base + local + 28);
    if (start > size || csize > size - start)
      bad("zip entry " + in_quotes(e.name) + " needs " + std::to_string(csize) + " bytes past the end of the file (truncated?)");
    if (e.stored && csize != usize) bad("zip entry " + in_quotes(e.name) + " is stored but its sizes disagree");
    e.data = base + start;
    e.size = csize;
    if (start + csize > dir_offset) bad("zip entry " + in_quotes(e.name) + " overlaps the central directory");
    spans.push_back({local, start + csize, entries.size()});
    entries.push_back(std::move(e));
  }
  // Each entry's header and bytes are its own: two entries sharing bytes would let one file pose as
  // another model's weights.
  std::sort(spans.begin(), spans.end());
  for (std::size_t i = 1; i < spans.size(); ++i)
    if (spans[i].begin < spans[i - 1].end)
      bad("zip entries " + in_quotes(entries[spans[i - 1].entry].name) + " and " + in_quotes(entries[spans[i].entry].name) + " overlap");
  return entries;
}

}  // namespace rwkv7::detail
