// llama.cpp GGUF files: the reader, llama.cpp's rwkv7 names, and ggml's block encodings read as stored.
// Exactness against the float64 reference runs in test_forward.cpp over the gguf_* fixtures (written and
// dequantized independently by tools/gguf_io.py); here: what those fixtures hold, what int8 does to them, and
// hostile files.
#include <doctest/doctest.h>

#include <rwkv7/rwkv7.hpp>

#include <cstring>
#include <set>

#include "fixtures.hpp"
#include "test_util.hpp"

namespace {

// A GGUF file built from parts, so each test can break exactly one thing.
struct GgufBuilder {
  struct Tensor {
    std::string name;
    std::vector<std::uint64_t> ne;  // ggml order: fastest dimension first
    std::uint32_t type;
    std::string data;
    std::uint64_t offset_shift = 0;  // added to the offset the layout gives (to misplace a tensor)
  };
  std::uint32_t version = 3;
  std::string kvs;
  std::uint64_t kv_count = 0;
  std::vector<Tensor> tensors;

  static std::string str(const std::string& s) {
    std::string out(8, '\0');
    const std::uint64_t n = s.size();
    std::memcpy(out.data(), &n, 8);
    return out + s;
  }
  template <class T>
  static std::string pod(T v) {
    std::string out(sizeof v, '\0');
    std::memcpy(out.data(), &v, sizeof v);
    return out;
  }
  void key(const std::string& k, std::uint32_t type, const std::string& value) {
    kvs += str(k) + pod(type) + value;
    ++kv_count;
  }
  void u32(const std::string& k, std::uint32_t v) { key(k, 4, pod(v)); }
  void f32(const std::string& k, float v) { key(k, 6, pod(v)); }
  void text(const std::string& k, const std::string& v) { key(k, 8, str(v)); }

  std::string build() const {
    std::string out = "GGUF" + pod(version) + pod<std::uint64_t>(tensors.size()) + pod(kv_count) + kvs;
    std::uint64_t offset = 0;
    std::string data;
    for (const Tensor& t : tensors) {
      out += str(t.name) + pod<std::uint32_t>(static_cast<std::uint32_t>(t.ne.size()));
      for (auto d : t.ne) out += pod(d);
      out += pod(t.type) + pod(offset + t.offset_shift);
      data += t.data + std::string((32 - t.data.size() % 32) % 32, '\0');
      offset = data.size();
    }
    out += std::string((32 - out.size() % 32) % 32, '\0');
    return out + data;
  }
};

std::uint32_t ggml_type(rwkv7::DType t) {
  switch (t) {
    case rwkv7::DType::f32: return 0;
    case rwkv7::DType::f16: return 1;
    case rwkv7::DType::q4_0: return 2;
    case rwkv7::DType::q4_1: return 3;
    case rwkv7::DType::q5_0: return 6;
    case rwkv7::DType::q5_1: return 7;
    case rwkv7::DType::q8_0: return 8;
    case rwkv7::DType::bf16: return 30;
    default: FAIL("no ggml type for " << rwkv7::dtype_name(t));
  }
  return 0;
}

std::string fixture(const char* name) { return test::fixtures_dir() + "/" + name; }

// The q8_0 fixture re-emitted through the builder, with its metadata; edit() may change anything first.
template <class Edit>
std::string rebuilt(Edit edit) {
  const rwkv7::TensorTable table = rwkv7::load_tensors(fixture("gguf_q8_0.gguf"));
  GgufBuilder b;
  b.text("general.architecture", "rwkv7");
  b.u32("rwkv7.embedding_length", 64);
  b.u32("rwkv7.block_count", 2);
  b.u32("rwkv7.feed_forward_length", 128);
  b.f32("rwkv7.attention.layer_norm_epsilon", 1e-5f);
  b.u32("rwkv7.wkv.head_size", 32);
  for (const auto& t : table.tensors()) {
    GgufBuilder::Tensor out{t.name, {}, ggml_type(t.dtype), std::string(reinterpret_cast<const char*>(t.data), t.bytes())};
    for (auto d = t.shape.rbegin(); d != t.shape.rend(); ++d) out.ne.push_back(static_cast<std::uint64_t>(*d));
    b.tensors.push_back(std::move(out));
  }
  edit(b);
  return b.build();
}
GgufBuilder::Tensor& tensor(GgufBuilder& b, const std::string& name) {
  for (auto& t : b.tensors)
    if (t.name == name) return t;
  FAIL("no tensor " << name);
  return b.tensors.front();
}

void expect_error(const std::string& bytes, std::vector<std::string> fragments, const std::string& name = "crafted.gguf") {
  try {
    rwkv7::Model::from_bytes(bytes.data(), bytes.size(), name);
    FAIL("loaded without error");
  } catch (const rwkv7::Error& e) {
    const std::string what = e.what();
    CAPTURE(what);
    CHECK(what.find(name) != std::string::npos);
    for (const auto& f : fragments) CHECK(what.find(f) != std::string::npos);
  }
}

}  // namespace

TEST_CASE("GGUF fixtures: llama.cpp names, the fixtures hold every block encoding, and a rebuilt file loads") {
  std::set<rwkv7::DType> seen;
  for (const char* name : {"gguf_q8_0.gguf", "gguf_q4_q5_mix.gguf", "gguf_k_quants.gguf", "gguf_bf16.gguf"}) {
    auto model = rwkv7::Model::load(fixture(name));
    CHECK(model.config().format == "gguf");
    CHECK(model.config().naming == "llama.cpp");
    for (const auto& t : model.weights().table.tensors()) seen.insert(t.dtype);
  }
  for (auto t : {rwkv7::DType::q8_0, rwkv7::DType::q4_0, rwkv7::DType::q4_1, rwkv7::DType::q5_0, rwkv7::DType::q5_1, rwkv7::DType::q4_k,
                 rwkv7::DType::q5_k, rwkv7::DType::q6_k, rwkv7::DType::bf16, rwkv7::DType::f16, rwkv7::DType::f32})
    CHECK_MESSAGE(seen.count(t) == 1, rwkv7::dtype_name(t));
  // The builder's copy gives the fixture's logits: the failures below come from the edits.
  const std::string bytes = rebuilt([](GgufBuilder&) {});
  auto copy = rwkv7::Model::from_bytes(bytes.data(), bytes.size(), "crafted.gguf");
  auto original = rwkv7::Model::load(fixture("gguf_q8_0.gguf"));
  auto s1 = copy.new_state(), s2 = original.new_state();
  const std::vector<rwkv7::Token> tokens = {1, 2, 3, 200};
  CHECK(copy.forward(tokens, s1) == original.forward(tokens, s2));
}

TEST_CASE("int8 quantization leaves block-encoded matrices as stored, and int8 activations do not reach them") {
  const rwkv7::ModelWeights plain = rwkv7::bind_weights(rwkv7::load_tensors(fixture("gguf_q4_q5_mix.gguf")));
  rwkv7::ModelWeights q = rwkv7::bind_weights(rwkv7::load_tensors(fixture("gguf_q4_q5_mix.gguf")));
  rwkv7::quantize_int8(q);
  CHECK(q.layers[0].att.key.w.dtype == rwkv7::DType::q4_1);
  CHECK(q.layers[0].att.key.w.data - q.table.bytes().data() == plain.layers[0].att.key.w.data - plain.table.bytes().data());
  CHECK(q.head.w.dtype == rwkv7::DType::q8_0);
  CHECK(q.config.dtype == plain.config.dtype);
  auto exact = rwkv7::Model::load(fixture("gguf_q4_q5_mix.gguf"));
  auto int8 = rwkv7::Model::load(fixture("gguf_q4_q5_mix.gguf"), {rwkv7::Quant::int8, rwkv7::Activations::int8});
  auto s1 = exact.new_state(), s2 = int8.new_state();
  const std::vector<rwkv7::Token> tokens = {5, 6, 7, 8, 9};
  CHECK(exact.forward(tokens, s1) == int8.forward(tokens, s2));
}

TEST_CASE("a partial head over block-encoded rows gives the full head's bits") {
  auto model = rwkv7::Model::load(fixture("gguf_q4_q5_mix.gguf"));
  const std::vector<rwkv7::Token> prefix = {3, 1, 4, 1, 5};
  auto state = model.new_state();
  const std::vector<float> all = model.forward(prefix, state);
  const std::vector<rwkv7::Token> rows = {0, 7, 31, 32, 255};
  std::vector<float> part(rows.size());
  auto fresh = model.new_state();
  model.forward_rows(prefix, fresh, rows, part);
  for (std::size_t j = 0; j < rows.size(); ++j) CHECK(part[j] == all[rows[j]]);
}

TEST_CASE("hostile GGUF files fail naming the file, the tensor or key, and what was expected") {
  const std::string good = rebuilt([](GgufBuilder&) {});
  expect_error(good.substr(0, good.size() / 2), {"bytes at offset", "outside"});
  expect_error(good.substr(0, 40), {"6 key/values", "can hold"});
  expect_error(good.substr(0, 1700), {"truncated while reading"});
  expect_error(rebuilt([](GgufBuilder& b) { b.version = 4; }), {"GGUF version 4"});
  expect_error(rebuilt([](GgufBuilder& b) { tensor(b, "blk.0.time_mix_key.weight").offset_shift = 8; }),
               {"blk.0.time_mix_key.weight", "alignment"});
  expect_error(rebuilt([](GgufBuilder& b) { tensor(b, "output.weight").offset_shift = 1u << 30; }), {"output.weight", "outside"});
  expect_error(rebuilt([](GgufBuilder& b) { tensor(b, "blk.1.channel_mix_value.weight").ne[0] = 112; }),
               {"blk.1.channel_mix_value.weight", "whole blocks of 32"});
  expect_error(rebuilt([](GgufBuilder& b) { tensor(b, "blk.0.time_mix_value.weight").ne = {64, 64, 1, 1, 1}; }),
               {"blk.0.time_mix_value.weight", "5 dimensions"});
  expect_error(rebuilt([](GgufBuilder& b) { tensor(b, "blk.0.time_mix_receptance.weight").type = 16; }),
               {"blk.0.time_mix_receptance.weight", "GGUF IQ2_XXS", "not supported"});
  expect_error(rebuilt([](GgufBuilder& b) { b.text("general.architecture", "arwkv7"); }), {"arwkv7", "rwkv7"});
  expect_error(rebuilt([](GgufBuilder& b) { b.u32("rwkv7.block_count", 3); }), {"num_hidden_layers = 3", "layers = 2"});
  expect_error(rebuilt([](GgufBuilder& b) { b.key("bad", 13, ""); }), {"bad", "unknown GGUF value type 13"});
  expect_error(rebuilt([](GgufBuilder& b) { b.key("tokenizer.ggml.tokens", 9, GgufBuilder::pod<std::uint32_t>(8) + GgufBuilder::pod<std::uint64_t>(1ull << 60)); }),
               {"tokenizer.ggml.tokens", "longer than the file"});
  // A head size that does not divide r_k leaves it flattened, and the shape check names it.
  expect_error(rebuilt([](GgufBuilder& b) { b.u32("rwkv7.wkv.head_size", 48); }), {"blk.0.time_mix_r_k.weight"});
  std::string counts = good;
  const std::uint64_t huge = 1ull << 40;
  std::memcpy(counts.data() + 8, &huge, 8);
  expect_error(counts, {"more than its"});
}

TEST_CASE("the World tokenizer a GGUF carries: llama.cpp's escaped token bytes, control and unused ids without text") {
  GgufBuilder b;
  b.text("general.architecture", "rwkv7");
  b.text("tokenizer.ggml.model", "rwkv");
  std::string tokens, types;
  std::uint64_t count = 0;
  auto add = [&](const std::string& escaped, std::int32_t type) {
    tokens += GgufBuilder::str(escaped);
    types += GgufBuilder::pod(type);
    ++count;
  };
  add("<s>", 3);
  for (int byte = 0; byte < 256; ++byte) {
    const char hex[] = "0123456789abcdef";
    std::string e = byte == '\n' ? "\\n" : byte == '\t' ? "\\t" : byte == '\r' ? "\\r" : byte == '\\' ? "\\\\" : byte == '\'' ? "\\'" : "";
    if (e.empty()) e = byte >= 32 && byte < 127 ? std::string(1, static_cast<char>(byte)) : std::string("\\x") + hex[byte >> 4] + hex[byte & 15];
    add(e, 1);
  }
  add("\\n\\n", 1);        // id 257
  add("ab\\'\\xe4\\xb8", 1);  // id 258: "ab'" and two bytes of a UTF-8 character
  add("[PAD259]", 5);
  b.key("tokenizer.ggml.tokens", 9, GgufBuilder::pod<std::uint32_t>(8) + GgufBuilder::pod(count) + tokens);
  b.key("tokenizer.ggml.token_type", 9, GgufBuilder::pod<std::uint32_t>(5) + GgufBuilder::pod(count) + types);
  b.tensors.push_back({"token_embd.weight", {32, 1}, 0, std::string(128, '\0')});
  const std::string bytes = b.build();
  const rwkv7::TensorTable table = rwkv7::load_tensors(rwkv7::FileBytes::view(bytes.data(), bytes.size(), "tokens.gguf"));
  auto tok = rwkv7::embedded_tokenizer(table);
  REQUIRE(tok);
  CHECK(tok->size() == 260);
  const std::string text = "x ab'\xe4\xb8\x96\n\n\t";
  const std::vector<rwkv7::Token> ids = tok->encode(text);
  CHECK(ids == std::vector<rwkv7::Token>{1 + 'x', 1 + ' ', 258, 1 + 0x96, 257, 1 + '\t'});
  CHECK(tok->decode(ids) == text);
  CHECK(tok->decode(std::vector<rwkv7::Token>{0, 259}).empty());  // "<s>" and "[PAD259]" have no text

  // A file without a token list has no tokenizer; a malformed escape is named.
  CHECK_FALSE(rwkv7::embedded_tokenizer(rwkv7::load_tensors(fixture("gguf_q8_0.gguf"))));
  GgufBuilder broken = b;
  broken.kvs.clear();
  broken.kv_count = 0;
  broken.text("tokenizer.ggml.model", "rwkv");
  broken.key("tokenizer.ggml.tokens", 9, GgufBuilder::pod<std::uint32_t>(8) + GgufBuilder::pod<std::uint64_t>(2) + GgufBuilder::str("<s>") + GgufBuilder::str("\\xZ1"));
  const std::string bad = broken.build();
  try {
    rwkv7::embedded_tokenizer(rwkv7::load_tensors(rwkv7::FileBytes::view(bad.data(), bad.size(), "tokens.gguf")));
    FAIL("accepted a malformed token");
  } catch (const rwkv7::Error& e) {
    CHECK(std::string(e.what()).find("tokens.gguf: tokenizer.ggml.tokens[1]") != std::string::npos);
  }
}

// rwkv.cpp .bin files: the fixture rwkvcpp_q5_1.bin (tools/rwkv_cpp_io.py) passes the float64 reference in
// test_forward.cpp; here its names and hostile edits of its header and first tensor.
TEST_CASE("rwkv.cpp files: names, and hostile headers fail naming the file and what was expected") {
  const std::string path = fixture("rwkvcpp_q5_1.bin");
  auto model = rwkv7::Model::load(path);
  CHECK(model.config().format == "rwkv.cpp");
  CHECK(model.config().naming == "rwkv.cpp");
  CHECK(model.config().dtype == "Q5_1");
  const std::string good = test::read_bytes(path);
  auto edited = [&](std::size_t at, std::uint32_t v) {
    std::string b = good;
    std::memcpy(b.data() + at, &v, 4);
    return b;
  };
  auto expect = [](const std::string& bytes, std::vector<std::string> fragments) { expect_error(bytes, std::move(fragments), "crafted.bin"); };
  expect(edited(4, 102), {"version 102"});
  expect(edited(16, 3), {"rwkv.cpp header says num_hidden_layers = 3", "layers = 2"});
  expect(edited(8, 300), {"vocab_size = 300"});
  expect(edited(24, 4), {"4 dimensions"});
  expect(edited(32, 10), {"emb.weight", "rwkv.cpp Q8_1", "not supported"});
  expect(edited(28, 1u << 30), {"truncated while reading a tensor name"});
  expect(good.substr(0, good.size() - 10), {"head.weight", "truncated"});
  // A version 100 file may hold fp16 and fp32 tensors but not the old quantized layouts.
  expect(edited(4, 100), {"version 100", "old layout"});
}
