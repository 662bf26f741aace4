// Model files are untrusted input: corrupted, truncated and mislabelled files must give a typed rwkv7::Error
// naming the file and the tensor — never a crash, never a huge allocation.
#include <doctest/doctest.h>

#include <rwkv7/rwkv7.hpp>

#include <filesystem>
#include <fstream>
#include <random>

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
  expect_error(write_safetensors(es), rwkv7::Errc::dtype, {"'blocks.0.ffn.key.weight'", "I32", "expected fp32, fp16, bf16 or"});
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

// Sharded safetensors (an HF folder with model.safetensors.index.json): the fixture's tensors split over three
// files in a folder of their own.
namespace {
struct ShardedFolder {
  std::filesystem::path dir;
  explicit ShardedFolder(const std::string& tag) {
    dir = std::filesystem::temp_directory_path() / ("rwkv7_sharded_" + tag + "_" + std::to_string(std::random_device{}()));
    std::filesystem::create_directories(dir);
  }
  ~ShardedFolder() {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  void write(const std::string& name, const std::string& bytes) const { std::ofstream(dir / name, std::ios::binary) << bytes; }
  // Entry i goes to shard i % 3; the index lists each tensor under `listed(name, shard)`.
  template <class Listed>
  void shard(const std::vector<Entry>& entries, Listed listed) const {
    std::vector<Entry> parts[3];
    nlohmann::json map = nlohmann::json::object();
    for (std::size_t i = 0; i < entries.size(); ++i) {
      const std::string shard = "model-0000" + std::to_string(i % 3 + 1) + "-of-00003.safetensors";
      parts[i % 3].push_back(entries[i]);
      map[entries[i].name] = listed(entries[i].name, shard);
    }
    for (std::size_t s = 0; s < 3; ++s) write("model-0000" + std::to_string(s + 1) + "-of-00003.safetensors", write_safetensors(parts[s]));
    write("model.safetensors.index.json", nlohmann::json{{"metadata", {{"total_size", 0}}}, {"weight_map", map}}.dump());
  }
  std::string path() const { return dir.string(); }
};
auto as_listed = [](const std::string&, const std::string& shard) { return shard; };

void expect_folder_error(const std::string& path, std::vector<std::string> fragments) {
  try {
    rwkv7::Model::load(path);
    FAIL("loaded without error");
  } catch (const rwkv7::Error& e) {
    CAPTURE(std::string(e.what()));
    for (const auto& f : fragments) CHECK(std::string(e.what()).find(f) != std::string::npos);
  }
}
}  // namespace

TEST_CASE("sharded safetensors: a folder with model.safetensors.index.json loads every shard, giving the single file's logits") {
  ShardedFolder folder("ok");
  folder.shard(fixture_entries(), as_listed);
  auto single = rwkv7::Model::load(test::fixtures_dir() + "/x070_fp32_rwkvlm.safetensors");
  for (const std::string& path : {folder.path(), folder.path() + "/model.safetensors.index.json"}) {
    auto sharded = rwkv7::Model::load(path);
    auto s1 = single.new_state(), s2 = sharded.new_state();
    const std::vector<rwkv7::Token> tokens = {1, 7, 3, 200, 42};
    CHECK(sharded.forward(tokens, s2) == single.forward(tokens, s1));
    CHECK(sharded.weights().table.parts().size() == 3);  // the index's bytes and three shards, all mapped
  }
  // The table gives back pages of any of its files (a no-op for bytes outside them).
  const rwkv7::TensorTable table = rwkv7::load_tensors(folder.path());
  for (const auto& t : table.tensors()) table.release(t.data, 4);
}

TEST_CASE("sharded safetensors: missing, misplaced and split tensors, hostile shard names and bad indexes are named errors") {
  const std::vector<Entry> entries = fixture_entries();
  const std::string moved = entries[1].name;
  {
    ShardedFolder folder("misplaced");  // the index lists a tensor under another shard than the one holding it
    folder.shard(entries, [&](const std::string& name, const std::string& shard) {
      return name == moved ? std::string("model-00003-of-00003.safetensors") : shard;
    });
    expect_folder_error(folder.path(), {"model-00002-of-00003.safetensors", "tensor '" + moved + "'", "is listed in", "not this shard"});
  }
  {
    ShardedFolder folder("split");  // one tensor stored in two shards
    folder.shard(entries, as_listed);
    std::vector<Entry> second;
    for (std::size_t i = 1; i < entries.size(); i += 3) second.push_back(entries[i]);
    second.push_back(entries[0]);  // listed under the first shard
    folder.write("model-00002-of-00003.safetensors", write_safetensors(second));
    expect_folder_error(folder.path(), {"model-00002-of-00003.safetensors", "tensor '" + entries[0].name + "'", "split across shards"});
  }
  {
    ShardedFolder folder("missing");  // the index lists a tensor no shard holds
    std::vector<Entry> fewer(entries.begin() + 1, entries.end());
    folder.shard(fewer, as_listed);
    auto index = nlohmann::json::parse(test::read_bytes(folder.path() + "/model.safetensors.index.json"));
    index["weight_map"][entries[0].name] = "model-00001-of-00003.safetensors";
    folder.write("model.safetensors.index.json", index.dump());
    expect_folder_error(folder.path(), {"model.safetensors.index.json", "tensor '" + entries[0].name + "'", "does not hold it"});
  }
  {
    ShardedFolder folder("unlisted");  // a shard holds a tensor the index does not list
    folder.shard(entries, as_listed);
    auto index = nlohmann::json::parse(test::read_bytes(folder.path() + "/model.safetensors.index.json"));
    index["weight_map"].erase(moved);
    folder.write("model.safetensors.index.json", index.dump());
    expect_folder_error(folder.path(), {"tensor '" + moved + "'", "is not listed in"});
  }
  for (const std::string shard : {"../model.safetensors", "/etc/passwd", "", ".."}) {
    ShardedFolder folder("escape");
    folder.shard(entries, [&](const std::string& name, const std::string& listed) { return name == moved ? shard : listed; });
    expect_folder_error(folder.path(), {"tensor '" + moved + "'", "is not a file name in the index's folder"});
  }
  {
    ShardedFolder folder("absent");  // a shard file that is not there
    folder.shard(entries, as_listed);
    std::filesystem::remove(folder.dir / "model-00002-of-00003.safetensors");
    expect_folder_error(folder.path(), {"model-00002-of-00003.safetensors", "cannot open"});
  }
  for (const std::string index : {"[]", "{}", "{\"weight_map\": []}", "{\"weight_map\": {}}", "{\"weight_map\": {\"a\": 3}}", "{\"weight_map\": {"}) {
    ShardedFolder folder("index");
    folder.write("model.safetensors.index.json", index);
    CAPTURE(index);
    expect_folder_error(folder.path(), {"model.safetensors.index.json"});
  }
}
