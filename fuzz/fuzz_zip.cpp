// fuzz/fuzz_zip.cpp — the zip central-directory reader (.pth archives): every entry it returns must be a
// span inside the input.
#include <rwkv7/io/zip_archive.hpp>

#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return rwkv7_fuzz::guarded([&] {
    const auto bytes = rwkv7::FileBytes::view(data, size, "fuzz.zip");
    const auto entries = rwkv7::detail::read_zip_directory(bytes);
    for (const auto& e : entries) rwkv7_fuzz::check_inside(bytes, e.data, e.size, "zip entry '" + e.name + "'");
    rwkv7_fuzz::note("ok: " + std::to_string(entries.size()) + " entries");
  });
}
