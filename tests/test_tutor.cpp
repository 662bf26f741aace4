// The tutor library on the bundled model: answers are checked and rendered, step() respects its budget, and
// tutors sharing one Model on several threads answer exactly as one tutor does serially.
#include <doctest/doctest.h>

#include <thread>

#include "../examples/multiplication_tutor/tutor.hpp"

namespace {
const rwkv7::Model& bundled() {
  static const rwkv7::Model m = rwkv7::Model::load(RWKV7_BUNDLED_MODEL);
  return m;
}
}  // namespace

TEST_CASE("the tutor answers with checked, readable steps") {
  rwkv7::ByteTokenizer tok;
  tutor::Tutor t(bundled(), tok, tutor::Style::reversed);
  const tutor::Answer& a = t.ask(123, 456);
  CHECK(a.correct);
  CHECK(a.steps_ok);
  REQUIRE(a.steps.size() == 5);
  CHECK(a.steps[1].shown == "123 \xc3\x97 50 = 6150");
  CHECK(a.answer->to_string() == "56088");
}

TEST_CASE("step(n) spends at most n tokens per call and ends with the same answer as ask()") {
  rwkv7::ByteTokenizer tok;
  tutor::Tutor whole(bundled(), tok, tutor::Style::reversed), stepped(bundled(), tok, tutor::Style::reversed);
  const std::string expected = whole.ask(987, 654).text;
  stepped.start(987, 654);
  int calls = 0;
  while (!stepped.step(4)) ++calls;
  CHECK(stepped.answer().text == expected);
  CHECK(calls >= static_cast<int>(stepped.answer().tokens) / 4 - 1);
}

TEST_CASE("tutors sharing one model on several threads answer as one tutor does serially") {
  rwkv7::ByteTokenizer tok;
  std::vector<std::pair<long long, long long>> questions = {{12, 34}, {999, 999}, {305, 7}, {640, 128}, {77, 801}, {5, 5}};
  std::vector<std::string> serial, parallel(questions.size());
  tutor::Tutor one(bundled(), tok, tutor::Style::reversed);
  for (auto [a, b] : questions) serial.push_back(one.ask(a, b).text);
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < questions.size(); ++i)
    threads.emplace_back([&, i] {
      tutor::Tutor own(bundled(), tok, tutor::Style::reversed);
      for (int rep = 0; rep < 5; ++rep) parallel[i] = own.ask(questions[i].first, questions[i].second).text;
    });
  for (auto& t : threads) t.join();
  CHECK(parallel == serial);
}
