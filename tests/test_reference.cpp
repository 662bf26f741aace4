// The plain Eigen float64 forwards (reference/forward.hpp, reference/forward_cxa076.hpp): first checked against the independent numpy reference
// (the committed fixture logits), then used as the yardstick for the CPU backend in every mode it has.
#include <doctest/doctest.h>

#include <rwkv7/reference/reference.hpp>
#include <rwkv7/rwkv7.hpp>

#include <vector>

#include "fixtures.hpp"
#include "test_util.hpp"

using test::fixtures;
using test::kBound;

namespace {

std::vector<float> as_floats(const rwkv7::reference::Vector& v) {
  std::vector<float> out(static_cast<std::size_t>(v.size()));
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = static_cast<float>(v[static_cast<Eigen::Index>(i)]);
  return out;
}

// The Eigen reference's logits after each position of f.at.
template <class Reference>
std::vector<std::vector<float>> reference_rows(const Reference& ref, const test::Fixture& f) {
  auto s = ref.new_state();
  std::vector<std::vector<float>> rows;
  for (std::size_t t = 0; t <= f.at.back(); ++t) {
    auto logits = ref.forward(f.tokens[t], s);
    for (std::size_t k = 0; k < f.at.size(); ++k)
      if (f.at[k] == t) rows.push_back(as_floats(logits));
  }
  return rows;
}

// The reference rows for the model's weights, from the reference of its variant.
std::vector<std::vector<float>> reference_rows(const rwkv7::ModelWeights& w, const test::Fixture& f) {
  return rwkv7::reference::with_reference(w, [&](const auto& ref) { return reference_rows(ref, f); });
}

}  // namespace

TEST_CASE("the Eigen float64 forward agrees with the numpy float64 reference on every fixture") {
  for (const auto& f : fixtures()) {
    CAPTURE(f.name);
    auto model = rwkv7::Model::load(f.model_path);
    const auto rows = reference_rows(model.weights(), f);
    REQUIRE(rows.size() == f.at.size());
    // Both are float64 over the same weights; what is left is the fixtures' rounding to fp32 and the order of sums.
    for (std::size_t k = 0; k < rows.size(); ++k) {
      const std::size_t V = rows[k].size();
      const double err = test::relative_error(rows[k].data(), f.ref.data() + k * V, V);
      INFO("after " << f.at[k] + 1 << " tokens: max|diff|/std = " << err);
      CHECK(err <= 1e-6);
    }
  }
}

TEST_CASE("the CPU backend stays within the exactness bound of the Eigen reference: tokens, chunks, batches, threads, both kernel sets") {
  for (const auto& f : fixtures()) {
    CAPTURE(f.name);
    auto model = rwkv7::Model::load(f.model_path);
    const auto rows = reference_rows(model.weights(), f);
    auto exact = rwkv7::ReferenceModel::load(f.model_path);
    for (unsigned threads : {1u, 2u}) {
      model.set_threads(threads);
      CAPTURE(threads);
      auto by_token = model.new_state(), by_chunk = model.new_state(), exact_state = exact.new_state();
      std::size_t done = 0;
      for (std::size_t k = 0; k < f.at.size(); ++k) {
        std::vector<float> token_logits;
        for (std::size_t t = done; t <= f.at[k]; ++t) token_logits = model.forward(f.tokens[t], by_token);
        const std::span<const rwkv7::Token> chunk(f.tokens.data() + done, f.at[k] + 1 - done);
        const auto chunk_logits = model.forward(chunk, by_chunk);
        const auto exact_logits = exact.forward(chunk, exact_state);
        done = f.at[k] + 1;
        CHECK(test::relative_error(token_logits.data(), rows[k].data(), rows[k].size()) <= kBound);
        CHECK(test::relative_error(chunk_logits.data(), rows[k].data(), rows[k].size()) <= kBound);
        CHECK(test::relative_error(exact_logits.data(), rows[k].data(), rows[k].size()) <= kBound);
      }
    }
    // A batch step: two sequences at different points, one token each, against the reference run the same way.
    rwkv7::reference::with_reference(model.weights(), [&](const auto& ref) {
      auto r0 = ref.new_state(), r1 = ref.new_state();
      auto s0 = model.new_state(), s1 = model.new_state();
      model.forward(std::span<const rwkv7::Token>(f.tokens.data(), 5), s0);
      for (std::size_t t = 0; t < 5; ++t) ref.forward(f.tokens[t], r0);
      const rwkv7::Token step[] = {f.tokens[5], f.tokens[0]};
      rwkv7::State* states[] = {&s0, &s1};
      const auto batch = model.forward_batch(step, states);
      const auto want0 = as_floats(ref.forward(step[0], r0)), want1 = as_floats(ref.forward(step[1], r1));
      CHECK(test::relative_error(batch.data(), want0.data(), want0.size()) <= kBound);
      CHECK(test::relative_error(batch.data() + want1.size(), want1.data(), want1.size()) <= kBound);
    });
  }
}

TEST_CASE("int8 weights: the CPU backend computes what the Eigen reference computes over the same quantized weights") {
  for (const auto& f : fixtures()) {
    if (f.block_encoded()) continue;  // nothing to quantize: test_gguf.cpp
    CAPTURE(f.name);
    auto model = rwkv7::Model::load(f.model_path, {.quant = rwkv7::Quant::int8});
    REQUIRE(model.config().dtype == "int8");
    const auto rows = reference_rows(model.weights(), f);
    auto state = model.new_state();
    const auto logits = model.forward(std::span<const rwkv7::Token>(f.tokens.data(), f.at.back() + 1), state);
    CHECK(test::relative_error(logits.data(), rows.back().data(), rows.back().size()) <= kBound);
  }
}
