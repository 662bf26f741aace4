// Sampler: greedy picks the argmax; seeded sampling is reproducible and follows the distribution.
#include <doctest/doctest.h>

#include <rwkv7/rwkv7.hpp>

TEST_CASE("greedy sampling returns the argmax") {
  rwkv7::Sampler s({.temperature = 0.0f});
  CHECK(s.sample({0.1f, 3.0f, -2.0f, 2.9f}) == 1u);
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

TEST_CASE("top-p keeps only the nucleus and top-k only the k best") {
  std::vector<float> logits = {5.0f, 4.9f, 0.0f, -1.0f, -3.0f};  // the first two hold ~98% of the mass
  rwkv7::Sampler nucleus({.temperature = 1.0f, .top_p = 0.9f, .seed = 3});
  rwkv7::Sampler topk({.temperature = 1.0f, .top_k = 1, .seed = 3});
  for (int i = 0; i < 500; ++i) {
    CHECK(nucleus.sample(logits) <= 1u);
    CHECK(topk.sample(logits) == 0u);
  }
}

TEST_CASE("sampled frequencies follow softmax(logits / T)") {
  std::vector<float> logits = {0.0f, std::log(3.0f)};  // probabilities 1/4, 3/4
  rwkv7::Sampler s({.temperature = 1.0f, .seed = 11});
  int ones = 0;
  const int n = 20000;
  for (int i = 0; i < n; ++i) ones += s.sample(logits) == 1u;
  CHECK(std::abs(ones / double(n) - 0.75) < 0.015);
}
