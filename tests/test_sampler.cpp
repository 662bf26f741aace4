// Sampler: seeded sequences pinned by the independent reference (tools/sampler_ref.py), plus the behaviour of
// each option on hand-made logits.
#include <doctest/doctest.h>

#include <rwkv7/rwkv7.hpp>

#include <set>

#include "test_util.hpp"

namespace {

rwkv7::Sampler make_sampler(const nlohmann::json& o) {
  rwkv7::SamplerOptions so;
  so.temperature = o.value("temperature", 1.0f);
  so.top_k = o.value("top_k", 0);
  so.top_p = o.value("top_p", 1.0f);
  so.min_p = o.value("min_p", 0.0f);
  so.presence_penalty = o.value("presence", 0.0f);
  so.frequency_penalty = o.value("frequency", 0.0f);
  so.penalty_decay = o.value("decay", 0.996f);
  so.seed = o.value("seed", std::uint64_t{0});
  rwkv7::Sampler s(so);
  if (o.contains("allowed")) s.set_allowed(o["allowed"].get<std::vector<rwkv7::Token>>());
  if (o.contains("bias"))
    for (auto& item : o["bias"].items()) s.set_logit_bias(static_cast<rwkv7::Token>(std::stoul(item.key())), item.value().get<float>());
  return s;
}

}  // namespace

TEST_CASE("seeded sampling on a fixture reproduces the reference sampler's tokens") {
  auto cases = nlohmann::json::parse(test::read_bytes(test::data_dir() + "/sampled_sequences.json"));
  REQUIRE(cases.size() >= 5);
  for (const auto& c : cases) {
    CAPTURE(c["name"].get<std::string>());
    auto model = rwkv7::Model::load(test::fixtures_dir() + "/" + c["fixture"].get<std::string>() + ".pth");
    auto sampler = make_sampler(c["options"]);
    auto state = model.new_state();
    auto prompt = c["prompt"].get<std::vector<rwkv7::Token>>();
    auto logits = model.forward(prompt, state);
    std::vector<rwkv7::Token> got;
    for (std::size_t i = 0; i < c["tokens"].size(); ++i) {
      got.push_back(sampler.sample(logits));
      logits = model.forward(got.back(), state);
    }
    CHECK(got == c["tokens"].get<std::vector<rwkv7::Token>>());
  }
}

TEST_CASE("greedy sampling returns the argmax") {
  rwkv7::Sampler s({.temperature = 0.0f});
  std::vector<float> logits = {0.1f, 3.0f, -2.0f, 2.9f};
  CHECK(s.sample(logits) == 1u);
}

TEST_CASE("the same seed gives the same tokens, another seed other tokens") {
  std::vector<float> logits(50);
  for (std::size_t i = 0; i < logits.size(); ++i) logits[i] = static_cast<float>((i * 37) % 11) * 0.3f;
  auto draw = [&](std::uint64_t seed) {
    rwkv7::Sampler s({.temperature = 1.0f, .seed = seed});
    std::vector<rwkv7::Token> out;
    for (int i = 0; i < 64; ++i) out.push_back(s.sample(logits));
    return out;
  };
  CHECK(draw(7) == draw(7));
  CHECK(draw(7) != draw(8));
}

TEST_CASE("top-p keeps only the nucleus, top-k only the k best, min-p only the near-best") {
  std::vector<float> logits = {5.0f, 4.9f, 0.0f, -1.0f, -3.0f};  // the first two hold ~98% of the mass
  rwkv7::Sampler nucleus({.temperature = 1.0f, .top_p = 0.9f, .seed = 3});
  rwkv7::Sampler topk({.temperature = 1.0f, .top_k = 1, .seed = 3});
  rwkv7::Sampler minp({.temperature = 1.0f, .min_p = 0.5f, .seed = 3});
  std::set<rwkv7::Token> seen_nucleus, seen_minp;
  for (int i = 0; i < 500; ++i) {
    seen_nucleus.insert(nucleus.sample(logits));
    CHECK(topk.sample(logits) == 0u);
    seen_minp.insert(minp.sample(logits));
  }
  CHECK(seen_nucleus == std::set<rwkv7::Token>{0, 1});
  CHECK(seen_minp == std::set<rwkv7::Token>{0, 1});
}

TEST_CASE("sampled frequencies follow softmax(logits / T)") {
  std::vector<float> logits = {0.0f, std::log(3.0f)};  // probabilities 1/4, 3/4
  rwkv7::Sampler s({.temperature = 1.0f, .seed = 11});
  int ones = 0;
  const int n = 20000;
  for (int i = 0; i < n; ++i) ones += s.sample(logits) == 1u;
  CHECK(std::abs(ones / double(n) - 0.75) < 0.015);
  rwkv7::Sampler cold({.temperature = 0.5f, .seed = 11});  // p ∝ e^{2·logit}: 1/10, 9/10
  ones = 0;
  for (int i = 0; i < n; ++i) ones += cold.sample(logits) == 1u;
  CHECK(std::abs(ones / double(n) - 0.9) < 0.015);
}

TEST_CASE("allowed set, logit bias and penalties") {
  std::vector<float> logits = {3.0f, 2.0f, 1.0f, 0.0f};
  SUBCASE("only allowed tokens come out") {
    rwkv7::Sampler s({.temperature = 0.0f});
    s.set_allowed({2, 3});
    CHECK(s.sample(logits) == 2u);
  }
  SUBCASE("a -inf bias bans a token, a positive bias promotes one") {
    rwkv7::Sampler s({.temperature = 0.0f});
    s.set_logit_bias(0, -std::numeric_limits<float>::infinity());
    CHECK(s.sample(logits) == 1u);
    s.set_logit_bias(3, 10.0f);
    CHECK(s.sample(logits) == 3u);
  }
  SUBCASE("presence penalty makes greedy decoding move on, and decays") {
    rwkv7::Sampler s({.temperature = 0.0f, .presence_penalty = 1.5f, .penalty_decay = 0.5f});
    CHECK(s.sample(logits) == 0u);  // 0 now carries a penalty of 1.5: 3 − 1.5 < 2
    CHECK(s.sample(logits) == 1u);
    CHECK(s.occurrence().at(0) == doctest::Approx(0.5));
  }
  SUBCASE("digits and whitespace can be exempt from penalties") {
    rwkv7::ByteTokenizer tok;
    std::vector<float> bytes(256, 0.0f);
    bytes['7'] = 2.0f;
    bytes['x'] = 1.9f;
    bytes['y'] = 1.5f;
    rwkv7::Sampler s({.temperature = 0.0f, .presence_penalty = 1.0f});
    s.exempt_digits_and_whitespace(tok);
    CHECK(s.sample(bytes) == static_cast<rwkv7::Token>('7'));
    CHECK(s.sample(bytes) == static_cast<rwkv7::Token>('7'));  // no penalty accrued
    bytes['7'] = -5.0f;
    CHECK(s.sample(bytes) == static_cast<rwkv7::Token>('x'));
    CHECK(s.sample(bytes) == static_cast<rwkv7::Token>('y'));  // x was penalised: 1.9 − 1 < 1.5
  }
}
