// Hostile files. Each crafted input must be refused with the rwkv7::Error code it deserves and a message naming
// the file and what was wrong, in a child process (a crash fails the case instead of ending the suite) whose peak
// memory grows by at most max(64 MB, 2 x the input's size).
#include <doctest/doctest.h>

#include <rwkv7/rwkv7.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>

#include "crafted.hpp"

namespace {

long status_kb(const std::string& field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(field, 0) == 0) return std::stol(line.substr(field.size()));
  return -1;
}

struct Outcome {
  std::string kind;  // loaded | error | other (exception not from rwkv7) | crashed
  int code = -1;
  std::string message;
  long peak_growth_kb = 0;
};

// Runs `load` in a forked child and reports how it ended. The child resets its peak-RSS mark first (clear_refs
// "5"), so the growth it reports is what `load` itself made resident.
Outcome isolated(const std::function<void()>& load) {
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::close(fds[0]);
    { std::ofstream("/proc/self/clear_refs") << "5"; }
    const long base = status_kb("VmRSS:");
    std::string report;
    try {
      load();
      report = "loaded\n-1\n";
    } catch (const rwkv7::Error& e) {
      report = "error\n" + std::to_string(static_cast<int>(e.code())) + "\n" + e.what();
    } catch (const std::exception& e) {
      report = "other\n-1\n" + std::string(e.what());
    }
    report = std::to_string(status_kb("VmHWM:") - base) + "\n" + report;
    for (std::size_t done = 0; done < report.size();) {
      const ssize_t n = ::write(fds[1], report.data() + done, report.size() - done);
      if (n <= 0) break;
      done += static_cast<std::size_t>(n);
    }
    ::_exit(0);
  }
  ::close(fds[1]);
  std::string text;
  char buf[4096];
  for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;) text.append(buf, static_cast<std::size_t>(n));
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  Outcome out;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || text.empty()) {
    out.kind = "crashed (status " + std::to_string(status) + ")";
    return out;
  }
  std::size_t a = text.find('\n'), b = text.find('\n', a + 1), c = text.find('\n', b + 1);
  out.peak_growth_kb = std::stol(text.substr(0, a));
  out.kind = text.substr(a + 1, b - a - 1);
  out.code = std::stoi(text.substr(b + 1, c - b - 1));
  out.message = c == std::string::npos ? "" : text.substr(c + 1);
  return out;
}

struct Hostile {
  std::string what;                    // the attack, as the test reports it
  std::string bytes;                   // the crafted input
  std::function<void(const std::string&)> load;
  rwkv7::Errc code;
  std::vector<std::string> fragments;  // the message must name the file and what was wrong
};

void expect_refused(const Hostile& h) {
  CAPTURE(h.what);
  const Outcome out = isolated([&] { h.load(h.bytes); });
  CAPTURE(out.message);
  REQUIRE(out.kind == "error");
  CHECK(std::string(rwkv7::errc_name(static_cast<rwkv7::Errc>(out.code))) == rwkv7::errc_name(h.code));
  for (const auto& f : h.fragments) CHECK_MESSAGE(out.message.find(f) != std::string::npos, "missing: " << f);
  const long bound_kb = std::max<long>(64 * 1024, static_cast<long>(2 * h.bytes.size() / 1024));
  CAPTURE(out.peak_growth_kb);
  CHECK(out.peak_growth_kb <= bound_kb);
}

// Loaders, each naming its input as a user's file would be named.
void as_model(const std::string& bytes) { rwkv7::Model::from_bytes(bytes.data(), bytes.size(), "hostile.pth"); }
void as_safetensors(const std::string& bytes) { rwkv7::Model::from_bytes(bytes.data(), bytes.size(), "hostile.safetensors"); }
// The safetensors reader alone: load_tensors() would not even take a header that does not start with '{'.
void as_safetensors_table(const std::string& bytes) { rwkv7::detail::read_safetensors(rwkv7::FileBytes::view(bytes.data(), bytes.size(), "hostile.safetensors")); }
void as_vocab(const std::string& bytes) { rwkv7::WorldTokenizer::parse(bytes, "hostile_vocab.txt"); }

std::string u16(std::uint16_t v) { std::string s; test::put_u16(s, v); return s; }
std::string u32(std::uint32_t v) { std::string s; test::put_u32(s, v); return s; }
std::string u64(std::uint64_t v) { std::string s; test::put_u64(s, v); return s; }

// Zip records, for archives the writer in crafted.hpp would never produce.
std::string local_header(const std::string& name, std::uint32_t size, std::uint16_t method = 0) {
  return u32(0x04034b50) + u16(20) + u16(0) + u16(method) + u16(0) + u16(0) + u32(0) + u32(size) + u32(size) +
         u16(static_cast<std::uint16_t>(name.size())) + u16(0) + name;
}
std::string central_header(const std::string& name, std::uint64_t size, std::uint64_t local, std::uint16_t method = 0) {
  const bool wide = size >= 0xffffffffu;
  std::string extra = wide ? u16(1) + u16(16) + u64(size) + u64(size) : "";
  const auto narrow = static_cast<std::uint32_t>(wide ? 0xffffffffu : size);
  return u32(0x02014b50) + u16(20) + u16(20) + u16(0) + u16(method) + u16(0) + u16(0) + u32(0) + u32(narrow) + u32(narrow) +
         u16(static_cast<std::uint16_t>(name.size())) + u16(static_cast<std::uint16_t>(extra.size())) + u16(0) + u16(0) + u16(0) +
         u32(0) + u32(static_cast<std::uint32_t>(local)) + name + extra;
}
std::string end_record(std::uint16_t count, std::uint32_t dir_size, std::uint32_t dir_offset) {
  return u32(0x06054b50) + u16(0) + u16(0) + u16(count) + u16(count) + u32(dir_size) + u32(dir_offset) + u16(0);
}

std::string pth_pickle(const std::string& body) { return test::archive("\x80\x02" + body, ""); }

std::string repeat(const std::string& s, std::size_t n) {
  std::string out;
  out.reserve(s.size() * n);
  for (std::size_t i = 0; i < n; ++i) out += s;
  return out;
}

std::string safetensors_header(const std::string& json, const std::string& data = "") { return u64(json.size()) + json + data; }

// A state file with its checksum recomputed after an edit, so the edit itself is what the reader must catch.
std::string with_checksum(std::string s) {
  s.resize(s.size() - 8);
  return s + u64(rwkv7::detail::fnv1a(s.data(), s.size()));
}

}  // namespace

TEST_CASE("the footprint measurement sees what a load makes resident") {
  const Outcome out = isolated([] {
    std::vector<char> big(96u << 20, 1);
    throw rwkv7::Error(rwkv7::Errc::format, "touched " + std::to_string(big[big.size() / 2] + big.size()));
  });
  CHECK(out.kind == "error");
  CHECK(out.peak_growth_kb >= 96 * 1024);
  CHECK(out.peak_growth_kb < 2 * 96 * 1024);
}

TEST_CASE("hostile pickles are refused with a bounded footprint") {
  using test::pkl_global;
  using test::pkl_int1;
  using test::pkl_str;
  std::string memo_flood;
  for (std::uint32_t i = 0; i < 300000; ++i) memo_flood += "r" + u32(i);
  const std::vector<Hostile> cases = {
      {"GLOBAL + REDUCE of os.system", pth_pickle(pkl_global("os", "system") + "(" + pkl_str("echo pwned") + "tR."), as_model,
       rwkv7::Errc::format, {"hostile.pth", "refusing global 'os.system'"}},
      {"STACK_GLOBAL of builtins.eval", pth_pickle(pkl_str("builtins") + pkl_str("eval") + "\x93."), as_model, rwkv7::Errc::format,
       {"hostile.pth", "refusing global 'builtins.eval'"}},
      {"REDUCE of an allowed storage class", pth_pickle(pkl_global("torch", "FloatStorage") + ")R."), as_model, rwkv7::Errc::format,
       {"hostile.pth", "REDUCE of 'torch.FloatStorage'"}},
      {"OrderedDict called with arguments", pth_pickle(pkl_global("collections", "OrderedDict") + "(" + pkl_int1(1) + "tR."), as_model,
       rwkv7::Errc::format, {"hostile.pth", "OrderedDict with constructor arguments"}},
      {"BUILD with nothing to build", pth_pickle("b."), as_model, rwkv7::Errc::format, {"hostile.pth", "BUILD on an empty stack"}},
      {"INST (calls a class by name)", pth_pickle("(iposix\nsystem\n."), as_model, rwkv7::Errc::format,
       {"hostile.pth", "unsupported pickle opcode 0x69"}},
      {"memo read before it was written", pth_pickle("h\x07."), as_model, rwkv7::Errc::format, {"hostile.pth", "memo index 7 was never stored"}},
      {"memo flooded with 300,000 entries", pth_pickle("N" + memo_flood + "."), as_model, rwkv7::Errc::format,
       {"hostile.pth", "memo holds more than 262144 entries"}},
      {"tuples nested 10^6 deep", pth_pickle(")" + std::string(1000000, '\x85') + "."), as_model, rwkv7::Errc::format,
       {"hostile.pth", "more than 262144 values"}},
      {"MARKs nested 10^6 deep", pth_pickle(std::string(1000000, '(') + "."), as_model, rwkv7::Errc::format,
       {"hostile.pth", "MARKs nested deeper than 256"}},
      {"a list growing toward 10^9 items", pth_pickle(std::string("]q\0", 3) + repeat("(" + repeat(std::string("h\0", 2), 60000) + "e", 40) + "."), as_model,
       rwkv7::Errc::format, {"hostile.pth", "containers hold more than 2097152 items"}},
      {"a list holding itself (a cycle)", pth_pickle("]2a."), as_model, rwkv7::Errc::format, {"hostile.pth", "does not hold a dict of tensors"}},
      {"STOP on an empty stack", pth_pickle("."), as_model, rwkv7::Errc::format, {"hostile.pth", "STOP on an empty stack"}},
      {"a string longer than the pickle", pth_pickle("X\xff\xff\xff\x7f"), as_model, rwkv7::Errc::format, {"hostile.pth", "runs past the end"}},
      {"a tensor view with a wrong stride", test::archive(test::tensor_dict_pickle("FloatStorage", 4, 0, {2, 2}, {2, 255}), test::floats({1, 2, 3, 4})),
       as_model, rwkv7::Errc::format, {"hostile.pth", "tensor 'w'", "is not contiguous"}},
  };
  for (const auto& h : cases) expect_refused(h);
}

TEST_CASE("a self-referencing pickle frees everything it built (the leak checker watches this one in-process)") {
  std::string bytes = pth_pickle(std::string("]2a2a}2q\0h\0s.", 13));
  CHECK_THROWS_AS(as_model(bytes), rwkv7::Error);
}

TEST_CASE("hostile zip archives are refused with a bounded footprint") {
  const std::string pkl = test::tensor_dict_pickle("FloatStorage", 4, 0, {4}, {1});
  std::vector<Hostile> cases;
  {  // An entry whose zip64 sizes claim 2^40 bytes.
    std::string body = local_header("archive/data.pkl", 3) + "abc";
    std::string dir = central_header("archive/data.pkl", std::uint64_t{1} << 40, 0);
    cases.push_back({"an entry of 2^40 bytes", body + dir + end_record(1, static_cast<std::uint32_t>(dir.size()), static_cast<std::uint32_t>(body.size())),
                     as_model, rwkv7::Errc::format, {"hostile.pth", "needs 1099511627776 bytes past the end"}});
  }
  {  // Two directory entries pointing at one local header: one file's bytes posing as another's.
    std::string body = local_header("archive/data.pkl", static_cast<std::uint32_t>(pkl.size())) + pkl;
    std::string dir = central_header("archive/data.pkl", pkl.size(), 0) + central_header("archive/data/0", pkl.size(), 0);
    cases.push_back({"two entries sharing one entry's bytes", body + dir + end_record(2, static_cast<std::uint32_t>(dir.size()), static_cast<std::uint32_t>(body.size())),
                     as_model, rwkv7::Errc::format, {"hostile.pth", "'archive/data/0': its local header names another entry"}});
  }
  {  // Entry b's header hides inside entry a's declared data.
    std::string b = local_header("b", 4) + "data";
    std::string a_data = "0123456789" + b + std::string(20, 'x');
    std::string body = local_header("a", static_cast<std::uint32_t>(a_data.size())) + a_data;
    std::string dir = central_header("a", a_data.size(), 0) + central_header("b", 4, 30 + 1 + 10);
    cases.push_back({"overlapping entries", body + dir + end_record(2, static_cast<std::uint32_t>(dir.size()), static_cast<std::uint32_t>(body.size())),
                     as_model, rwkv7::Errc::format, {"hostile.pth", "'a' and 'b' overlap"}});
  }
  {
    std::string good = test::archive(pkl, test::floats({1, 2, 3, 4}));
    std::string outside = good.substr(0, good.size() - 22) + end_record(3, 100, 0x7fffffff);
    cases.push_back({"a central directory outside the file", outside, as_model, rwkv7::Errc::format, {"hostile.pth", "central directory lies outside the file"}});
    std::string crowded = good.substr(0, good.size() - 22) + end_record(60000, 46, 0);
    cases.push_back({"more entries than the directory holds", crowded, as_model, rwkv7::Errc::format, {"hostile.pth", "claims more entries than it can hold"}});
    // A zip64 locator whose record lies past the end of the file.
    std::string locator = u32(0x07064b50) + u32(0) + u64(std::uint64_t{1} << 62) + u32(1);
    std::string zip64 = good.substr(0, good.size() - 22) + locator + good.substr(good.size() - 22);
    cases.push_back({"a zip64 record outside the file", zip64, as_model, rwkv7::Errc::format, {"hostile.pth", "broken zip64 end-of-central-directory record"}});
  }
  {
    std::string body = local_header("archive/data.pkl", static_cast<std::uint32_t>(pkl.size()), 8) + pkl;
    std::string dir = central_header("archive/data.pkl", pkl.size(), 0, 8);
    cases.push_back({"a deflated data.pkl", body + dir + end_record(1, static_cast<std::uint32_t>(dir.size()), static_cast<std::uint32_t>(body.size())),
                     as_model, rwkv7::Errc::format, {"hostile.pth", "data.pkl is compressed"}});
  }
  for (const auto& h : cases) expect_refused(h);
}

TEST_CASE("a .pth truncated at 16 points is refused every time") {
  const std::string file = test::read_bytes(test::fixtures_dir() + "/x070_bf16_h32.pth");
  for (std::size_t k = 0; k < 16; ++k) {
    const std::size_t len = k == 15 ? file.size() - 1 : file.size() * k / 15;
    expect_refused({"truncated to " + std::to_string(len) + " bytes", file.substr(0, len), as_model, rwkv7::Errc::format, {"hostile.pth"}});
  }
}

TEST_CASE("hostile safetensors files are refused with a bounded footprint") {
  using test::Entry;
  auto fixture = test::fixture_entries;
  std::vector<Hostile> cases = {
      {"a header length of 2^63", u64(std::uint64_t{1} << 63) + "{}", as_safetensors, rwkv7::Errc::format,
       {"hostile.safetensors", "safetensors header claims 9223372036854775808 bytes"}},
      {"a header that is a JSON array", safetensors_header("[1,2,3]"), as_safetensors_table, rwkv7::Errc::format,
       {"hostile.safetensors", "not a JSON object"}},
      {"a header nested 100,000 deep", safetensors_header("{\"a\":" + std::string(100000, '[') + std::string(100000, ']') + "}"),
       as_safetensors, rwkv7::Errc::format, {"hostile.safetensors", "nests deeper than 4 levels"}},
      {"a header of a million numbers", safetensors_header("{\"a\":{\"dtype\":\"F32\",\"shape\":[" + repeat("1,", 1000000) + "1],\"data_offsets\":[0,4]}}",
                                                           std::string(4, '\0')),
       as_safetensors, rwkv7::Errc::format, {"hostile.safetensors", "holds more than 262144 JSON values"}},
      {"two tensors over the same bytes",
       safetensors_header(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})",
                          std::string(8, '\0')),
       as_safetensors, rwkv7::Errc::format, {"hostile.safetensors", "data ranges overlap"}},
      {"bytes that belong to no tensor", safetensors_header(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", std::string(8, '\0')),
       as_safetensors, rwkv7::Errc::format, {"hostile.safetensors", "bytes 0..4 belong to no tensor"}},
      {"offsets past the end of the file", safetensors_header(R"({"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})", std::string(8, '\0')),
       as_safetensors, rwkv7::Errc::format, {"hostile.safetensors", "tensor 'a'", "lie outside"}},
      {"a shape whose size overflows 64 bits",
       safetensors_header(R"({"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,4]}})", std::string(4, '\0')),
       as_safetensors, rwkv7::Errc::format, {"hostile.safetensors", "tensor 'a'", "overflows"}},
      {"an unknown dtype", safetensors_header(R"({"a":{"dtype":"Q9","shape":[1],"data_offsets":[0,4]}})", std::string(4, '\0')),
       as_safetensors, rwkv7::Errc::format, {"hostile.safetensors", "tensor 'a'", "unknown dtype 'Q9'"}},
  };
  {  // A model of width 0: every shape check holds, and the forward pass would divide by it.
    std::vector<Entry> es = fixture();
    for (auto& e : es) {
      for (auto& d : e.shape)
        if (d == 32) d = 0;
      std::size_t numel = 1;
      for (auto d : e.shape) numel *= static_cast<std::size_t>(d);
      e.bytes.resize(numel * 4);
    }
    cases.push_back({"a model of width 0", test::write_safetensors(es), as_safetensors, rwkv7::Errc::config,
                     {"hostile.safetensors", "the width (columns of emb.weight) is 0"}});
  }
  {  // A LoRA of rank 0: shapes [32,0] and [0,32] hold no bytes and would pass as consistent.
    std::vector<Entry> es = fixture();
    for (const char* name : {"blocks.0.att.w1", "blocks.1.att.w1"}) {
      test::find_entry(es, name).shape = {32, 0};
      test::find_entry(es, name).bytes.clear();
    }
    for (const char* name : {"blocks.0.att.w2", "blocks.1.att.w2"}) {
      test::find_entry(es, name).shape = {0, 32};
      test::find_entry(es, name).bytes.clear();
    }
    cases.push_back({"a LoRA of rank 0", test::write_safetensors(es), as_safetensors, rwkv7::Errc::config,
                     {"hostile.safetensors", "the decay LoRA rank (blocks.0.att.w1) is 0"}});
  }
  {
    std::vector<Entry> es = fixture();
    test::find_entry(es, "blocks.0.att.value.weight").shape = {16, 64};
    cases.push_back({"tensors of inconsistent shapes", test::write_safetensors(es), as_safetensors, rwkv7::Errc::shape,
                     {"hostile.safetensors", "'blocks.0.att.value.weight'", "expected [32,32], got [16,64]"}});
  }
  for (const auto& h : cases) expect_refused(h);
}

TEST_CASE("config.json with absurd numbers is refused, never cast") {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("rwkv7_hostile_config_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  {
    std::ofstream(dir / "model.safetensors", std::ios::binary) << test::write_safetensors(test::fixture_entries());
  }
  auto as_config = [dir](const std::string& json) {
    std::ofstream(dir / "config.json", std::ios::binary) << json;
    rwkv7::Model::load(dir.string());
  };
  const std::vector<Hostile> cases = {
      {"hidden_size = 1e300", R"({"hidden_size": 1e300})", as_config, rwkv7::Errc::config, {"model.safetensors", "config.json: hidden_size must be a whole number"}},
      {"num_hidden_layers = -5", R"({"num_hidden_layers": -5})", as_config, rwkv7::Errc::config, {"config.json: num_hidden_layers must be a whole number"}},
      {"vocab_size = 2.5", R"({"vocab_size": 2.5})", as_config, rwkv7::Errc::config, {"config.json: vocab_size must be a whole number"}},
      {"vocab_size disagreeing with the tensors", R"({"vocab_size": 7})", as_config, rwkv7::Errc::config, {"config.json says vocab_size = 7"}},
      {"v_low_rank_dim = -3", R"({"v_low_rank_dim": -3})", as_config, rwkv7::Errc::config, {"config.json: v_low_rank_dim must be a whole number"}},
      {"norm_eps = 0", R"({"norm_eps": 0})", as_config, rwkv7::Errc::config, {"config.json: norm_eps must lie in (0, 1)"}},
      {"norm_eps = -1e-5", R"({"norm_eps": -1e-5})", as_config, rwkv7::Errc::config, {"norm_eps must lie in (0, 1)"}},
      {"config.json nested 10,000 deep", "{\"a\":" + std::string(10000, '[') + std::string(10000, ']') + "}", as_config, rwkv7::Errc::format,
       {"config.json", "nests deeper than 16 levels"}},
  };
  for (const auto& h : cases) expect_refused(h);
  fs::remove_all(dir);
}

TEST_CASE("hostile vocabularies are refused, naming the line") {
  std::string singles;
  for (int b = 1; b <= 300; ++b) singles += std::to_string(b) + " 'a" + std::to_string(b) + "' " + std::to_string(1 + std::to_string(b).size()) + "\n";
  const std::vector<Hostile> cases = {
      {"a line without a literal", "1 a 1\n", as_vocab, rwkv7::Errc::vocab, {"hostile_vocab.txt:1", "malformed token literal"}},
      {"an invalid escape", "1 '\\q' 1\n", as_vocab, rwkv7::Errc::vocab, {"hostile_vocab.txt:1", "malformed token literal"}},
      {"a truncated \\x escape", "1 '\\x4' 1\n", as_vocab, rwkv7::Errc::vocab, {"hostile_vocab.txt:1", "malformed token literal"}},
      {"a duplicate id", singles + "7 'zz' 2\n", as_vocab, rwkv7::Errc::vocab, {"hostile_vocab.txt:301", "token id 7 appears twice"}},
      {"an id of 2^24 in a short file", "16777216 'a' 1\n", as_vocab, rwkv7::Errc::vocab, {"hostile_vocab.txt:1", "token id 16777216 exceeds 2"}},
      {"a byte length that disagrees", "1 'abc' 7\n", as_vocab, rwkv7::Errc::vocab, {"hostile_vocab.txt:1", "token has 3 bytes but the line says 7"}},
  };
  for (const auto& h : cases) expect_refused(h);
}

TEST_CASE("hostile state files are refused") {
  static const auto model = rwkv7::Model::load(test::fixtures_dir() + "/x070_bf16_h32.pth");
  static const auto other = rwkv7::Model::load(test::fixtures_dir() + "/x070_fp16_h64.pth");
  auto as_state = [](const std::string& bytes) { rwkv7::deserialize_state(bytes, model.config(), "hostile.state"); };
  const std::string good = rwkv7::serialize_state(model.new_state(), model.config(), "resume");
  std::string flipped = good;
  flipped[good.size() / 2] ^= 0x10;
  std::string huge_count = good;
  const std::uint64_t count = std::uint64_t{1} << 60;
  std::memcpy(huge_count.data() + 52, &count, 8);  // after magic, version, fingerprint and four dims
  std::string huge_extra = good;
  const std::uint64_t extra = std::uint64_t{1} << 62;
  std::memcpy(huge_extra.data() + good.size() - 8 - 6 - 8, &extra, 8);  // the extra size before "resume"
  const std::vector<Hostile> cases = {
      {"a truncated state", good.substr(0, good.size() / 3), as_state, rwkv7::Errc::state, {"hostile.state", "checksum mismatch"}},
      {"a state with one bit flipped", flipped, as_state, rwkv7::Errc::state, {"hostile.state", "checksum mismatch"}},
      {"a state from another model", rwkv7::serialize_state(other.new_state(), other.config()), as_state, rwkv7::Errc::state,
       {"hostile.state", "saved for a model with 2 layers, width 128"}},
      {"a declared size of 2^60 floats", with_checksum(huge_count), as_state, rwkv7::Errc::state,
       {"hostile.state", "holds 1152921504606846976 numbers, expected"}},
      {"extra data of 2^62 bytes", with_checksum(huge_extra), as_state, rwkv7::Errc::state,
       {"hostile.state", "declares 4611686018427387904 extra bytes but holds 6"}},
      {"not a state at all", "RWKV7ST", as_state, rwkv7::Errc::state, {"hostile.state", "not an rwkv7 state file"}},
  };
  for (const auto& h : cases) expect_refused(h);
}

TEST_CASE("non-finite weights are refused by check_finite, and by int8 quantization") {
  auto es = test::fixture_entries();
  auto& key = test::find_entry(es, "blocks.0.att.key.weight");
  const float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
  std::memcpy(key.bytes.data() + 5 * 4, &nan, 4);
  const std::string with_nan = test::write_safetensors(es);
  std::memcpy(key.bytes.data() + 5 * 4, &inf, 4);
  const std::string with_inf = test::write_safetensors(es);
  auto checked = [](const std::string& b) { rwkv7::Model::from_bytes(b.data(), b.size(), "hostile.safetensors", {.check_finite = true}); };
  auto quantized = [](const std::string& b) { rwkv7::Model::from_bytes(b.data(), b.size(), "hostile.safetensors", {.quant = rwkv7::Quant::int8}); };
  expect_refused({"a NaN weight, checked", with_nan, checked, rwkv7::Errc::format,
                  {"hostile.safetensors", "'blocks.0.att.key.weight': element 5 is not finite"}});
  expect_refused({"an infinite weight, checked", with_inf, checked, rwkv7::Errc::format, {"'blocks.0.att.key.weight': element 5 is not finite"}});
  expect_refused({"a NaN weight, quantized", with_nan, quantized, rwkv7::Errc::format,
                  {"hostile.safetensors", "'blocks.0.att.key.weight': row 0 holds a NaN or an infinity"}});
  // Unchecked, the file loads: the check is what refuses it.
  CHECK_NOTHROW(rwkv7::Model::from_bytes(with_nan.data(), with_nan.size(), "hostile.safetensors"));
}

TEST_CASE("the pickle ceilings leave room: a real state dict spends ~20 values per tensor") {
  const auto bytes = rwkv7::FileBytes::open(test::fixtures_dir() + "/x070_fp16_h64.pth");
  for (const auto& e : rwkv7::detail::read_zip_directory(bytes)) {
    if (e.name.size() < 8 || e.name.compare(e.name.size() - 8, 8, "data.pkl") != 0) continue;
    rwkv7::detail::RestrictedUnpickler pickle(e.data, static_cast<std::size_t>(e.size), bytes.name());
    const auto tensors = pickle.items(pickle.run()).size() / 2;
    const double per_tensor = static_cast<double>(pickle.value_count()) / static_cast<double>(tensors);
    CAPTURE(tensors);
    CAPTURE(per_tensor);
    CHECK(per_tensor < 25);
    CHECK(rwkv7::detail::PickleLimits::values > 5 * 2500 * per_tensor);  // 5x a 14B model's ~2,500 tensors
  }
}
