// Generation around forward(): stop strings across token boundaries, budgets, constrained choices with the
// partial head, batches and threads.
#include <doctest/doctest.h>

#include <rwkv7/rwkv7.hpp>
#include <thread>

#include "test_util.hpp"

namespace {

const rwkv7::Model& byte_model() {
  static const rwkv7::Model m = rwkv7::Model::load(test::fixtures_dir() + "/x070_bf16_h32.pth");
  return m;
}

// A byte tokenizer in which a few ids are multi-byte pieces, so stop strings and characters straddle tokens.
rwkv7::TrieTokenizer chunky_tokenizer() {
  std::vector<std::string> pieces(256);
  for (int b = 1; b < 256; ++b) pieces[static_cast<std::size_t>(b)] = std::string(1, static_cast<char>(b));
  pieces['A'] = "</an";
  pieces['B'] = "swer>";
  pieces['C'] = "x</";
  pieces['D'] = "answer>tail";
  pieces['E'] = "\xe4\xbd";  // first two bytes of 你
  pieces['F'] = "\xa0!";      // its last byte, then '!'
  return rwkv7::TrieTokenizer(pieces);
}

// Generates with a sampler that is forced to emit `script` (a bias of +1000 on the scripted token at each step).
rwkv7::GenerateResult scripted(const std::vector<rwkv7::Token>& script, rwkv7::GenerateOptions opts, std::vector<std::string>* pieces) {
  static const rwkv7::TrieTokenizer tok = chunky_tokenizer();
  rwkv7::Generator g(byte_model(), tok, rwkv7::Sampler({.temperature = 0.0f}), std::move(opts));
  g.add_prompt("q");
  std::size_t i = 0;
  while (!g.done()) {
    g.sampler() = rwkv7::Sampler({.temperature = 0.0f});
    g.sampler().set_allowed({i < script.size() ? script[i] : rwkv7::Token{0}});
    ++i;
    g.step(1, [&](std::string_view p) { pieces->push_back(std::string(p)); });
  }
  return g.result();
}

}  // namespace

TEST_CASE("stop strings are found across token boundaries and not emitted") {
  std::vector<std::string> pieces;
  // "12" + "x</" + "answer>tail": the stop string spans two tokens.
  auto r = scripted({'1', '2', 'C', 'D', '9'}, {.max_tokens = 50, .stop = {"</answer>"}}, &pieces);
  CHECK(r.reason == rwkv7::StopReason::stop_string);
  CHECK(r.text == "12x");
  CHECK(r.tokens == 4);
  std::string joined;
  for (auto& p : pieces) joined += p;
  CHECK(joined == "12x");
  for (auto& p : pieces) CHECK(p.find('<') == std::string::npos);  // a possible stop prefix is held back
}

TEST_CASE("a held-back prefix that does not complete the stop string is released") {
  std::vector<std::string> pieces;
  auto r = scripted({'A', '7'}, {.max_tokens = 2, .stop = {"</answer>"}}, &pieces);
  CHECK(r.reason == rwkv7::StopReason::max_tokens);
  CHECK(r.text == "</an7");
}

TEST_CASE("text pieces never split a UTF-8 character; end of text stops generation") {
  std::vector<std::string> pieces;
  auto r = scripted({'E', 'F', 0}, {.max_tokens = 10}, &pieces);
  CHECK(r.reason == rwkv7::StopReason::end_of_text);
  CHECK(r.text == "你!");
  CHECK(pieces == std::vector<std::string>{"你!"});
}

TEST_CASE("step(n) never does more than n tokens of work, and stepping equals one run") {
  rwkv7::ByteTokenizer tok;
  auto sampler = rwkv7::Sampler({.temperature = 0.8f, .seed = 5});
  rwkv7::GenerateOptions opts{.max_tokens = 30};
  auto whole = rwkv7::generate(byte_model(), tok, "The prompt is long enough to need several steps.", sampler, opts);

  rwkv7::Generator g(byte_model(), tok, sampler, opts);
  g.add_prompt("The prompt is long enough to need several steps.");
  int steps = 0;
  std::string streamed;
  while (g.step(3, [&](std::string_view p) { streamed += p; }) == rwkv7::StopReason::none) ++steps;
  CHECK(steps >= (48 + 30) / 3 - 1);
  CHECK(g.result().text == whole.text);
  CHECK(streamed == whole.text);
  CHECK(g.result().tokens == 30);
  CHECK(g.result().reason == rwkv7::StopReason::max_tokens);
}

TEST_CASE("partial head: logits of a subset of rows equal those rows of the full head") {
  const auto& m = byte_model();
  std::vector<rwkv7::Token> prompt = {10, 20, 30, 40};
  std::vector<rwkv7::Token> rows = {48, 57, 3, 255, 49};
  auto s1 = m.new_state(), s2 = m.new_state();
  auto full = m.forward(prompt, s1);
  std::vector<float> part(rows.size());
  m.forward_rows(prompt, s2, rows, part);
  for (std::size_t j = 0; j < rows.size(); ++j) CHECK(part[j] == full[rows[j]]);
  CHECK(s1.data() == s2.data());
}

TEST_CASE("constrained generation uses the partial head and gives what the full head gives") {
  rwkv7::ByteTokenizer tok;
  std::vector<rwkv7::Token> digits;
  for (char c = '0'; c <= '9'; ++c) digits.push_back(static_cast<rwkv7::Token>(c));
  rwkv7::Sampler constrained({.temperature = 0.0f});
  constrained.set_allowed(digits);
  auto r = rwkv7::generate(byte_model(), tok, "12*34=", constrained, {.max_tokens = 12});
  CHECK(r.text.size() == 12);
  CHECK(r.text.find_first_not_of("0123456789") == std::string::npos);
  // The same answer by hand with full logits and an argmax over digits.
  auto state = byte_model().new_state();
  auto logits = byte_model().forward(tok.encode("12*34="), state);
  std::string expect;
  for (int i = 0; i < 12; ++i) {
    rwkv7::Token best = digits[0];
    for (auto d : digits)
      if (logits[d] > logits[best]) best = d;
    expect += static_cast<char>(best);
    logits = byte_model().forward(best, state);
  }
  CHECK(r.text == expect);
}

TEST_CASE("a batch of independent states equals one call per state") {
  const auto& m = byte_model();
  const std::size_t B = 5;
  std::vector<rwkv7::State> batched, single;
  for (std::size_t b = 0; b < B; ++b) {
    batched.push_back(m.new_state());
    std::vector<rwkv7::Token> warmup(b + 1, static_cast<rwkv7::Token>(60 + b));  // different histories
    m.forward(warmup, batched.back());
    single.push_back(batched.back());
  }
  std::vector<rwkv7::State*> ptrs;
  for (auto& s : batched) ptrs.push_back(&s);
  for (int step = 0; step < 3; ++step) {
    std::vector<rwkv7::Token> tokens;
    for (std::size_t b = 0; b < B; ++b) tokens.push_back(static_cast<rwkv7::Token>(100 + 7 * b + step));
    auto logits = m.forward_batch(tokens, ptrs);
    for (std::size_t b = 0; b < B; ++b) {
      auto one = m.forward(tokens[b], single[b]);
      CHECK(std::equal(one.begin(), one.end(), logits.begin() + static_cast<std::ptrdiff_t>(b * m.vocab_size())));
      CHECK(batched[b].data() == single[b].data());
    }
  }
  CHECK_THROWS_AS(m.forward_batch(std::vector<rwkv7::Token>{1, 2}, std::vector<rwkv7::State*>{ptrs[0], ptrs[0]}), rwkv7::Error);
}

TEST_CASE("one Model shared by 8 threads, each with its own State, gives the serial results") {
  // Run under ThreadSanitizer in CI. The second model runs each call on two threads of its own, so concurrent
  // callers also take turns on its pool.
  auto pooled = rwkv7::Model::load(test::fixtures_dir() + "/x070_bf16_h32.pth");
  pooled.set_threads(2);
  for (const rwkv7::Model* m : {&byte_model(), static_cast<const rwkv7::Model*>(&pooled)}) {
    CAPTURE(m->threads());
    rwkv7::ByteTokenizer tok;
    const int T = 8;
    std::vector<std::string> prompts = {"alpha", "bravo charlie", "delta echo foxtrot", "golf", "hotel", "india juliett", "kilo", "lima mike"};
    std::vector<std::string> serial, parallel(T);
    for (int i = 0; i < T; ++i)
      serial.push_back(rwkv7::generate(*m, tok, prompts[i], rwkv7::Sampler({.temperature = 1.0f, .seed = std::uint64_t(i)}), {.max_tokens = 40}).text);
    std::vector<std::thread> threads;
    for (int i = 0; i < T; ++i)
      threads.emplace_back([&, i] {
        for (int rep = 0; rep < 3; ++rep)
          parallel[i] = rwkv7::generate(*m, tok, prompts[i], rwkv7::Sampler({.temperature = 1.0f, .seed = std::uint64_t(i)}), {.max_tokens = 40}).text;
      });
    for (auto& t : threads) t.join();
    CHECK(parallel == serial);
  }
}

TEST_CASE("the prefix cache pays only for new tokens and changes nothing") {
  const auto& m = byte_model();
  rwkv7::ByteTokenizer tok;
  rwkv7::PrefixCache cache(4);
  auto preamble = tok.encode("You are a multiplication tutor. ");
  auto question = tok.encode("12*34=");
  std::vector<rwkv7::Token> full = preamble;
  full.insert(full.end(), question.begin(), question.end());

  rwkv7::State s;
  std::vector<float> logits;
  CHECK(cache.prefill(m, preamble, s, logits) == 0);
  CHECK(cache.prefill(m, full, s, logits) == preamble.size());
  auto fresh = m.new_state();
  auto direct = m.forward(full, fresh);
  CHECK(logits == direct);
  CHECK(s.data() == fresh.data());
  CHECK(cache.prefill(m, full, s, logits) == full.size());  // exact hit
  CHECK(logits == direct);
}
