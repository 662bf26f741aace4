// Saving and loading State: round trip, continuation, refusal of foreign and corrupted files.
#include <doctest/doctest.h>

#include <rwkv7/rwkv7.hpp>

#include "test_util.hpp"

TEST_CASE("a saved state loads back identically and continues identically") {
  auto m = rwkv7::Model::load(test::fixtures_dir() + "/x070_bf16_h32.pth");
  auto s = m.new_state();
  m.forward(std::vector<rwkv7::Token>{1, 2, 3, 4, 5}, s);
  std::string bytes = rwkv7::serialize_state(s, m.config(), "app data");
  std::string extra;
  rwkv7::State back = rwkv7::deserialize_state(bytes, m.config(), "mem", &extra);
  CHECK(back.data() == s.data());
  CHECK(extra == "app data");
  CHECK(m.forward(rwkv7::Token(9), back) == m.forward(rwkv7::Token(9), s));
}

TEST_CASE("a state from another model, or a corrupted one, is refused with a clear error") {
  auto m = rwkv7::Model::load(test::fixtures_dir() + "/x070_bf16_h32.pth");
  auto other_shape = rwkv7::Model::load(test::fixtures_dir() + "/x070_fp16_h64.pth");
  auto s = m.new_state();
  std::string bytes = rwkv7::serialize_state(s, m.config());
  auto expect = [](auto&& fn, const std::string& fragment) {
    try {
      fn();
      FAIL("accepted");
    } catch (const rwkv7::Error& e) {
      std::string what = e.what();
      CAPTURE(what);
      CHECK(e.code() == rwkv7::Errc::state);
      CHECK(what.find(fragment) != std::string::npos);
    }
  };
  expect([&] { rwkv7::deserialize_state(bytes, other_shape.config(), "s.bin"); }, "s.bin: saved for a model with 3 layers, width 64");
  // Same shape, different weights: the fingerprint tells them apart.
  std::string file = test::read_bytes(test::fixtures_dir() + "/x070_bf16_h32.pth");
  auto table = rwkv7::load_tensors(test::fixtures_dir() + "/x070_bf16_h32.pth");
  auto head_at = static_cast<std::size_t>(reinterpret_cast<const char*>(table.find("head.weight")->data) -
                                          reinterpret_cast<const char*>(table.bytes().data()));
  file[head_at + 1] ^= 0x40;
  auto tweaked = rwkv7::Model::from_bytes(file.data(), file.size(), "tweaked");
  expect([&] { rwkv7::deserialize_state(bytes, tweaked.config(), "s.bin"); }, "different model");
  std::string flipped = bytes;
  flipped[100] ^= 1;
  expect([&] { rwkv7::deserialize_state(flipped, m.config(), "s.bin"); }, "checksum mismatch");
  expect([&] { rwkv7::deserialize_state(bytes.substr(0, bytes.size() - 9), m.config(), "s.bin"); }, "s.bin");
  expect([&] { rwkv7::deserialize_state("hello", m.config(), "s.bin"); }, "not an rwkv7 state file");
}

TEST_CASE("every layer's WKV matrices start on a cache line, as the vector kernels read them") {
  auto m = rwkv7::Model::load(test::fixtures_dir() + "/x070_fp16_h64.pth");  // width 64: layers of 128 + 64·64 floats
  auto s = m.new_state();
  for (std::int64_t layer = 0; layer < s.n_layer(); ++layer) {
    CAPTURE(layer);
    CHECK(reinterpret_cast<std::uintptr_t>(s.wkv(layer)) % rwkv7::detail::kCacheLine == 0);
    CHECK(reinterpret_cast<std::uintptr_t>(s.att_shift(layer)) % rwkv7::detail::kCacheLine == 0);
  }
  rwkv7::State copy = s;
  CHECK(reinterpret_cast<std::uintptr_t>(copy.data().data()) % rwkv7::detail::kCacheLine == 0);
}
