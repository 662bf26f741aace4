// Model files are untrusted input: corrupted, truncated and mislabelled files must give a typed rwkv7::Error
// naming the file and the tensor — never a crash, never a huge allocation.
#include <doctest/doctest.h>

#include <rwkv7/rwkv7.hpp>

#include "crafted.hpp"

namespace {

using test::Entry;
using test::fixture_entries;
using test::write_safetensors;
Entry& find(std::vector<Entry>& es, const std::string& name) { return test::find_entry(es, name); }

rwkv7::Model load_bytes(const std::string& bytes, const std::string& name = "broken.safetensors") {
  return rwkv7::Model::from_bytes(bytes.data(), bytes.size(), name);
}

// Loads and expects an rwkv7::Error with this code whose message contains every fragment.
void expect_error(const std::string& bytes, rwkv7::Errc code, std::vector<std::string> fragments) {
  try {
    load_bytes(bytes);
    FAIL("loaded without error; expected " << rwkv7::errc_name(code));
  } catch (const rwkv7::Error& e) {
    std::string what = e.what();
    CAPTURE(what);
    CHECK(e.code() == code);
    for (const auto& f : fragments) CHECK(std::string(e.what()).find(f) != std::string::npos);
  }
}

}  // namespace

TEST_CASE("the unmodified entries load, so the failures below are caused by the edits") {
  auto m = load_bytes(write_safetensors(fixture_entries()));
  CHECK(m.config().n_layer == 2);
}

TEST_CASE("a missing tensor is named") {
  auto es = fixture_entries();
  es.erase(std::remove_if(es.begin(), es.end(), [](const Entry& e) { return e.name == "blocks.1.att.key.weight"; }), es.end());
  expect_error(write_safetensors(es), rwkv7::Errc::missing_tensor, {"broken.safetensors", "'blocks.1.att.key.weight' is missing"});
}

TEST_CASE("a wrong shape names the tensor, the expected and the found shape") {
  auto es = fixture_entries();
  find(es, "blocks.0.att.value.weight").shape = {16, 64};
  expect_error(write_safetensors(es), rwkv7::Errc::shape, {"'blocks.0.att.value.weight'", "expected [32,32], got [16,64]"});
  es = fixture_entries();
  find(es, "blocks.1.att.k_k").shape = {1, 2, 16};
  expect_error(write_safetensors(es), rwkv7::Errc::shape, {"'blocks.1.att.k_k'", "got [1,2,16]"});
}

TEST_CASE("an unsupported dtype is named") {
  auto es = fixture_entries();
  find(es, "blocks.0.ffn.key.weight").dtype = "I32";
  expect_error(write_safetensors(es), rwkv7::Errc::dtype, {"'blocks.0.ffn.key.weight'", "I32", "expected fp32, fp16 or bf16"});
}

TEST_CASE("inconsistent heads are a config error") {
  auto es = fixture_entries();
  for (auto& e : es)
    if (e.name.find("att.r_k") != std::string::npos) e.shape = {2, 8};  // 16 floats instead of 32
  for (auto& e : es)
    if (e.name.find("att.r_k") != std::string::npos) e.bytes.resize(16 * 4);
  expect_error(write_safetensors(es), rwkv7::Errc::config, {"heads × head size must equal the width 32"});
}

TEST_CASE("offsets past the end, overflowing shapes and bad headers are format errors") {
  auto es = fixture_entries();
  std::string good = write_safetensors(es);
  SUBCASE("data_offsets beyond the data") {
    std::string bad = good.substr(0, good.size() - 100);
    expect_error(bad, rwkv7::Errc::format, {"broken.safetensors", "lie outside"});
  }
  SUBCASE("a shape whose byte size overflows never allocates") {
    nlohmann::json h = {{"emb.weight", {{"dtype", "F32"}, {"shape", {1ull << 40, 1ull << 40}}, {"data_offsets", {0, 16}}}}};
    std::string hs = h.dump();
    std::uint64_t n = hs.size();
    expect_error(std::string(reinterpret_cast<const char*>(&n), 8) + hs + std::string(16, '\0'), rwkv7::Errc::format, {"'emb.weight'"});
  }
  SUBCASE("a header length larger than the file") {
    std::string bad = good;
    std::uint64_t huge = 1ull << 50;
    std::memcpy(bad.data(), &huge, 8);
    expect_error(bad, rwkv7::Errc::format, {"safetensors header claims"});
  }
  SUBCASE("header that is not JSON") {
    std::string bad = good;
    bad[9] = '#';
    expect_error(bad, rwkv7::Errc::format, {"not valid JSON"});
  }
}

TEST_CASE("files that are not models at all") {
  expect_error("", rwkv7::Errc::format, {"not a model file"});
  expect_error("hello, this is a text file, not a checkpoint", rwkv7::Errc::format, {"not a model file"});
  std::vector<Entry> unrelated = {{"weight", "F32", {2}, std::string(8, '\0')}};
  expect_error(write_safetensors(unrelated), rwkv7::Errc::missing_tensor, {"not an RWKV-7 model"});
  CHECK_THROWS_AS(rwkv7::Model::load(test::data_dir() + "/does-not-exist.pth"), rwkv7::Error);
}

TEST_CASE("every truncation of a .pth and a .safetensors fails cleanly") {
  for (std::string name : {"x070_bf16_h32.pth", "x070_fp32_rwkvlm.safetensors"}) {
    std::string bytes = test::read_bytes(test::fixtures_dir() + "/" + name);
    std::size_t step = bytes.size() / 211 + 1;
    for (std::size_t len = 0; len < bytes.size(); len += (len + 64 >= bytes.size() ? 1 : step)) {
      CAPTURE(name);
      CAPTURE(len);
      CHECK_THROWS_AS(load_bytes(bytes.substr(0, len), name), rwkv7::Error);
    }
  }
}

TEST_CASE("random corruption of a .pth never crashes") {
  std::string bytes = test::read_bytes(test::fixtures_dir() + "/x070_bf16_h32.pth");
  rwkv7::Pcg32 rng(42);
  int errors = 0, loaded = 0;
  for (int trial = 0; trial < 300; ++trial) {
    std::string bad = bytes;
    // Corrupt the metadata areas (pickle near the start, zip directory at the end), where parsing happens.
    for (int k = 0; k < 4; ++k) {
      std::size_t region = rng.next() % 2 ? rng.next() % 1200 : bad.size() - 1 - rng.next() % 1500;
      bad[region] = static_cast<char>(rng.next());
    }
    try {
      load_bytes(bad, "corrupt.pth");
      ++loaded;
    } catch (const rwkv7::Error&) {
      ++errors;
    }
  }
  CHECK(errors + loaded == 300);
  CHECK(errors > 0);
}
