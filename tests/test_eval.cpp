// Evaluation (rwkv7/eval/score.hpp): LAMBADA and text perplexity against the independent float64 reference
// (tools/eval_ref.py wrote tests/data/eval/expected.json from rwkv7_ref.py), and every-position logits.
#include <doctest/doctest.h>

#include <rwkv7/rwkv7.hpp>

#include <sstream>

#include "fixtures.hpp"
#include "test_util.hpp"

namespace {

std::vector<std::string> lambada_texts() {
  std::vector<std::string> texts;
  std::istringstream in(test::read_bytes(test::data_dir() + "/eval/lambada_small.jsonl"));
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) texts.push_back(nlohmann::json::parse(line)["text"].get<std::string>());
  return texts;
}

}  // namespace

TEST_CASE("LAMBADA and text perplexity match the float64 reference") {
  const auto expected = nlohmann::json::parse(test::read_bytes(test::data_dir() + "/eval/expected.json"));
  const std::vector<std::string> texts = lambada_texts();
  const std::string text = test::read_bytes(test::data_dir() + "/eval/text_small.txt");
  const rwkv7::ByteTokenizer bytes;
  double accuracies = 0.0;
  for (const auto& [name, want] : expected.items()) {
    CAPTURE(name);
    auto model = rwkv7::Model::load(test::fixtures_dir() + "/" + name);
    std::size_t calls = 0;
    const rwkv7::EvalResult l = rwkv7::evaluate_lambada(model, bytes, texts, [&](std::size_t done, const rwkv7::EvalResult&) { calls += done > calls; });
    CHECK(calls == texts.size());
    CHECK(l.count == want["lambada"]["examples"].get<std::size_t>());
    CHECK(l.perplexity() == doctest::Approx(want["lambada"]["perplexity"].get<double>()).epsilon(1e-5));
    CHECK(l.accuracy() == want["lambada"]["accuracy"].get<double>());
    accuracies += l.accuracy();
    const rwkv7::EvalResult p = rwkv7::evaluate_text(model, bytes, text);
    CHECK(p.count == want["ppl"]["tokens"].get<std::size_t>());
    CHECK(p.perplexity() == doctest::Approx(want["ppl"]["perplexity"].get<double>()).epsilon(1e-5));
  }
  CHECK(accuracies > 0.0);  // the file holds lines some model gets right (tools/eval_ref.py greedy_lines)
}

TEST_CASE("every-position logits are the rows feeding the tokens one by one gives, full head or partial") {
  for (const char* name : {"x070_bf16_h32.pth", "gguf_q4_q5_mix.gguf"}) {
    auto model = rwkv7::Model::load(test::fixtures_dir() + "/" + name);
    const std::vector<rwkv7::Token> tokens = {7, 200, 31, 99, 4};
    auto chunk = model.new_state(), single = model.new_state();
    const std::vector<float> rows = model.forward_every_position(tokens, chunk);
    REQUIRE(rows.size() == tokens.size() * model.vocab_size());
    for (std::size_t i = 0; i < tokens.size(); ++i) {
      const std::vector<float> one = model.forward(tokens[i], single);
      CHECK(std::equal(one.begin(), one.end(), rows.begin() + static_cast<std::ptrdiff_t>(i * model.vocab_size())));
    }
    CHECK(chunk.data() == single.data());
  }
}
