// The committed fixtures (tools/make_fixtures.py): tiny models of each dtype, token streams, and the float64
// reference logits (tools/rwkv7_ref.py) the exactness tests compare with.
#pragma once

#include <doctest/doctest.h>

#include <rwkv7/rwkv7.hpp>

#include <string>
#include <vector>

#include "test_util.hpp"

namespace test {

constexpr double kBound = 1e-4;  // max|diff| / std(reference logits)

struct Fixture {
  std::string name, model_path, dtype, arch;
  std::vector<rwkv7::Token> tokens;
  std::vector<std::size_t> at;
  std::vector<float> ref;  // one row of vocab logits per entry of `at`
  nlohmann::json config;
  // Large matrices in a ggml block encoding (GGUF Q8_0, Q4_0, …): used as stored, so int8 quantization and int8
  // activations leave them alone (tests/test_gguf.cpp checks that).
  bool block_encoded() const { return dtype.rfind("q", 0) == 0; }
};

inline std::vector<Fixture> fixtures() {
  std::vector<Fixture> out;
  for (const auto& e : manifest()) {
    Fixture f;
    f.name = e["name"];
    f.model_path = fixtures_dir() + "/" + e["model"].get<std::string>();
    f.dtype = e["dtype"];
    f.arch = e["arch"];
    f.tokens = e["tokens"].get<std::vector<rwkv7::Token>>();
    f.at = e["at"].get<std::vector<std::size_t>>();
    f.ref = read_f32(fixtures_dir() + "/" + e["ref"].get<std::string>());
    f.config = e["config"];
    out.push_back(std::move(f));
  }
  return out;
}

inline void check_row(const Fixture& f, std::size_t k, const std::vector<float>& logits, const std::string& mode) {
  const std::size_t V = logits.size();
  REQUIRE(f.ref.size() == f.at.size() * V);
  double err = relative_error(logits.data(), f.ref.data() + k * V, V);
  INFO(f.name << " " << mode << " after " << f.at[k] + 1 << " tokens: max|diff|/std = " << err);
  CHECK(err <= kBound);
}

}  // namespace test
