// PRWKV cxa076 beyond the logits (which test_forward/test_reference check on the cxa076 fixtures): what the
// loader detects and refuses, the state it keeps and how a saved one records the variant, the prefix cache.
#include <doctest/doctest.h>

#include <rwkv7/rwkv7.hpp>

#include <algorithm>
#include <cstring>

#include "crafted.hpp"
#include "test_util.hpp"

namespace {

const std::string kFp32 = "cxa076_fp32_kv_half.pth";  // 2 layers, width 64, 4 heads of 32, 2 kv heads, biases

std::string fixture(const std::string& name) { return test::fixtures_dir() + "/" + name; }

// The fp32 cxa076 fixture as editable safetensors entries.
std::vector<test::Entry> entries() {
  auto table = rwkv7::load_tensors(fixture(kFp32));
  std::vector<test::Entry> out;
  for (const auto& t : table.tensors())
    out.push_back({t.name, "F32", t.shape, std::string(reinterpret_cast<const char*>(t.data), static_cast<std::size_t>(t.numel()) * 4)});
  return out;
}

void expect_error(const std::vector<test::Entry>& es, rwkv7::Errc code, const std::vector<std::string>& fragments) {
  const std::string bytes = test::write_safetensors(es);
  try {
    rwkv7::Model::from_bytes(bytes.data(), bytes.size(), "prwkv.safetensors");
    FAIL("loaded without error");
  } catch (const rwkv7::Error& e) {
    const std::string what = e.what();
    CAPTURE(what);
    CHECK(e.code() == code);
    for (const auto& f : fragments) CHECK(what.find(f) != std::string::npos);
  }
}

// Adds a tensor of `rows` × `cols` zeros (fp32).
void add(std::vector<test::Entry>& es, const std::string& name, rwkv7::Shape shape) {
  std::int64_t n = 1;
  for (auto d : shape) n *= d;
  es.push_back({name, "F32", shape, std::string(static_cast<std::size_t>(n) * 4, '\0')});
}

// Sets the key/value weights (and biases) of every layer to `rows` rows.
void set_kv_rows(std::vector<test::Entry>& es, std::int64_t rows) {
  for (auto& e : es) {
    const bool weight = e.name.find("att.key.weight") != std::string::npos || e.name.find("att.value.weight") != std::string::npos;
    const bool bias = e.name.find("att.key.bias") != std::string::npos || e.name.find("att.value.bias") != std::string::npos;
    if (weight) e.shape = {rows, 64};
    if (bias) e.shape = {rows};
    if (weight || bias) e.bytes.assign(static_cast<std::size_t>(rows * (weight ? 64 : 1)) * 4, '\0');
  }
}

}  // namespace

TEST_CASE("cxa076: the loader reads the variant, the grouped heads and the optional parts from the tensors") {
  const auto es = entries();
  // The fixture keeps RWKVInside's scalar att.layer_architecture keys; they are not weights and are ignored.
  CHECK(std::any_of(es.begin(), es.end(), [](const test::Entry& e) { return e.name == "blocks.0.att.layer_architecture" && e.shape.empty(); }));
  const std::string bytes = test::write_safetensors(es);
  auto m = rwkv7::Model::from_bytes(bytes.data(), bytes.size(), "prwkv.safetensors");
  const auto& c = m.config();
  CHECK(rwkv7::architecture_name(c.arch) == "cxa076");
  CHECK(c.n_head == 4);
  CHECK(c.n_kv_head == 2);
  CHECK(c.attention_width() == 128);  // not the model width: A and C are independent
  CHECK(c.n_embd == 64);
  CHECK(c.arch.projection_bias);
  CHECK_FALSE(c.arch.token_shift);
  CHECK(c.layer_norm_eps == 1e-6);

  auto r = rwkv7::Model::load(fixture("cxa076r_bf16_h128.pth"));
  CHECK(rwkv7::architecture_name(r.config().arch) == "cxa076r");
  CHECK_FALSE(r.config().arch.projection_bias);
  auto tied = rwkv7::Model::load(fixture("cxa076_vocab151936_tied.pth"));
  CHECK(tied.weights().head.w.data == tied.weights().emb.data);
  CHECK(tied.config().vocab_size == 151936);
}

TEST_CASE("cxa076: impossible head layouts and the PRWKV relatives we do not run are refused, naming the reason") {
  auto es = entries();
  set_kv_rows(es, 3 * 32);  // 3 kv heads for 4 heads
  expect_error(es, rwkv7::Errc::config, {"prwkv.safetensors", "4 heads", "3 key/value heads"});
  es = entries();
  set_kv_rows(es, 48);  // not a whole number of heads
  expect_error(es, rwkv7::Errc::config, {"blocks.0.att.key.weight has 48 rows", "multiple of the head size 32"});
  es = entries();
  add(es, "blocks.0.att.ln_x.weight", {128});
  expect_error(es, rwkv7::Errc::config, {"cxa073"});
  es = entries();
  add(es, "blocks.0.att.k_k", {1, 1, 128});
  expect_error(es, rwkv7::Errc::config, {"cxa075"});
  es = entries();
  add(es, "blocks.0.att.x_a", {1, 1, 64});
  expect_error(es, rwkv7::Errc::config, {"ARWKV"});
  es = entries();
  add(es, "blocks.0.ffn.gate_up.weight", {256, 64});
  expect_error(es, rwkv7::Errc::config, {"gate_up"});
  es = entries();
  es.erase(std::remove_if(es.begin(), es.end(), [](const test::Entry& e) { return e.name == "blocks.1.ffn.up.weight"; }), es.end());
  expect_error(es, rwkv7::Errc::missing_tensor, {"'blocks.1.ffn.up.weight' is missing"});
  es = entries();
  es.erase(std::remove_if(es.begin(), es.end(), [](const test::Entry& e) { return e.name == "blocks.1.att.value.bias"; }), es.end());
  expect_error(es, rwkv7::Errc::missing_tensor, {"'blocks.1.att.value.bias' is missing"});
  es = entries();
  test::find_entry(es, "blocks.1.att.output.weight").shape = {128, 64};  // [C, A] stored the wrong way round
  expect_error(es, rwkv7::Errc::shape, {"'blocks.1.att.output.weight'", "expected [64,128], got [128,64]"});
}

TEST_CASE("cxa076: the state is the WKV matrices alone, and a saved one records the variant and its key/value heads") {
  auto m = rwkv7::Model::load(fixture(kFp32));
  auto s = m.new_state();
  CHECK(s.data().size() == static_cast<std::size_t>(2 * 4 * 32 * 32));  // no token-shift vectors
  const std::vector<rwkv7::Token> prompt = {1, 2, 3, 4, 5};
  m.forward(prompt, s);
  const std::string bytes = rwkv7::serialize_state(s, m.config(), "app");
  std::uint32_t version;
  std::memcpy(&version, bytes.data() + 8, 4);
  CHECK(version == 2);
  CHECK(bytes.substr(52, 8) == std::string("cxa076\0\0", 8));
  std::int64_t kv;
  std::memcpy(&kv, bytes.data() + 60, 8);
  CHECK(kv == 2);
  rwkv7::State back = rwkv7::deserialize_state(bytes, m.config(), "s.bin");
  CHECK(back.data() == s.data());
  CHECK(m.forward(rwkv7::Token(9), back) == m.forward(rwkv7::Token(9), s));

  // x070 states keep the version-1 layout byte for byte.
  auto x = rwkv7::Model::load(fixture("x070_bf16_h32.pth"));
  const std::string x_bytes = rwkv7::serialize_state(x.new_state(), x.config());
  std::memcpy(&version, x_bytes.data() + 8, 4);
  CHECK(version == 1);

  auto refused = [](auto&& fn, const std::string& fragment) {
    try {
      fn();
      FAIL("accepted");
    } catch (const rwkv7::Error& e) {
      const std::string what = e.what();
      CAPTURE(what);
      CHECK(e.code() == rwkv7::Errc::state);
      CHECK(what.find(fragment) != std::string::npos);
    }
  };
  refused([&] { rwkv7::deserialize_state(bytes, x.config(), "s.bin"); }, "s.bin: saved for an architecture 'cxa076' with 2 key/value heads; this model is x070");
  refused([&] { rwkv7::deserialize_state(x_bytes, m.config(), "x.bin"); }, "x.bin: saved for an architecture 'x070'");
  // The same file with another kv-head count (checksum recomputed) is refused before any number is read.
  std::string other_kv = bytes.substr(0, bytes.size() - 8);
  const std::int64_t four = 4;
  std::memcpy(other_kv.data() + 60, &four, 8);
  const std::uint64_t sum = rwkv7::detail::fnv1a(other_kv.data(), other_kv.size());
  other_kv.append(reinterpret_cast<const char*>(&sum), 8);
  refused([&] { rwkv7::deserialize_state(other_kv, m.config(), "kv.bin"); }, "with 4 key/value heads; this model is cxa076 with 2");
}

TEST_CASE("cxa076: the prefix cache resumes a shared prefix exactly as a fresh run computes it") {
  auto m = rwkv7::Model::load(fixture("cxa076_fp16_kv_quarter.pth"));
  rwkv7::PrefixCache cache(4);
  const std::vector<rwkv7::Token> preamble = {7, 8, 9, 10, 11, 12}, longer = {7, 8, 9, 10, 11, 12, 40, 41};
  rwkv7::State s;
  std::vector<float> logits;
  CHECK(cache.prefill(m, preamble, s, logits) == 0);
  CHECK(cache.prefill(m, longer, s, logits) == preamble.size());
  auto fresh = m.new_state();
  CHECK(m.forward(longer, fresh) == logits);
}
