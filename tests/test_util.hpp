// Shared helpers for the tests: file reading and the fixture manifest written by tools/make_fixtures.py.
#pragma once

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

namespace test {

inline std::string data_dir() { return RWKV7_TEST_DATA; }
inline std::string fixtures_dir() { return data_dir() + "/fixtures"; }
// The World vocabulary is third-party data, never in the repository: RWKV7_WORLD_VOCAB names a copy, else the
// tests look in ../shared/data beside the checkout. Cases that need it sit in the doctest suite "world_vocab",
// which ctest runs as its own entry and reports as skipped when the file is absent.
inline std::string vocab_path() {
  const char* env = std::getenv("RWKV7_WORLD_VOCAB");
  return env && *env ? std::string(env) : std::string(RWKV7_SHARED_DATA) + "/rwkv_vocab_v20230424.txt";
}
inline bool have_vocab() { return std::ifstream(vocab_path()).good(); }

inline std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("test: cannot open " + path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

inline nlohmann::json manifest() { return nlohmann::json::parse(read_bytes(fixtures_dir() + "/manifest.json")); }

inline std::vector<float> read_f32(const std::string& path) {
  std::string b = read_bytes(path);
  std::vector<float> v(b.size() / 4);
  std::memcpy(v.data(), b.data(), v.size() * 4);
  return v;
}

// max|a − ref| / std(ref): the bound the exactness tests use (≤ 1e-4).
inline double relative_error(const float* a, const float* ref, std::size_t n) {
  double mean = 0, var = 0, worst = 0;
  for (std::size_t i = 0; i < n; ++i) mean += ref[i];
  mean /= static_cast<double>(n);
  for (std::size_t i = 0; i < n; ++i) var += (ref[i] - mean) * (ref[i] - mean);
  double sd = std::sqrt(var / static_cast<double>(n));
  for (std::size_t i = 0; i < n; ++i) worst = std::max(worst, std::abs(static_cast<double>(a[i]) - ref[i]));
  return worst / sd;
}

}  // namespace test
