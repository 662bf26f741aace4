// fuzz/fuzz_pickle.cpp — the restricted unpickler that reads a .pth archive's data.pkl.
#include <rwkv7/io/restricted_pickle.hpp>

#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return rwkv7_fuzz::guarded([&] {
    const std::string name = "fuzz.pkl";  // the unpickler keeps a reference to it
    rwkv7::detail::RestrictedUnpickler unpickler(reinterpret_cast<const std::byte*>(data), size, name);
    [[maybe_unused]] const auto root = unpickler.run();
    rwkv7_fuzz::note("ok: unpickled");
  });
}
