// The tutor library on the bundled model: answers are checked and rendered, step() respects its budget, and
// tutors sharing one Model on several threads answer exactly as one tutor does serially.
#include <doctest/doctest.h>

#include <fstream>
#include <sstream>
#include <thread>

#include "test_util.hpp"

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

TEST_CASE("int8 weights leave every greedy tutor answer of the held-out sets unchanged") {
  rwkv7::ByteTokenizer tok;
  static const rwkv7::Model int8 = rwkv7::Model::load(RWKV7_BUNDLED_MODEL, {rwkv7::Quant::int8});
  REQUIRE(int8.config().dtype == "int8");
  tutor::Tutor exact(bundled(), tok, tutor::Style::reversed), quantized(int8, tok, tutor::Style::reversed);
  for (const char* file : {"heldout_3x3.txt", "heldout_small.txt"}) {
    std::ifstream in(test::data_dir() + "/" + file);
    REQUIRE(in);
    std::size_t pairs = 0, same = 0;
    for (std::string line; std::getline(in, line);) {
      long long a = 0, b = 0;
      if (line.empty() || line[0] == '#' || !(std::istringstream(line) >> a >> b)) continue;
      ++pairs;
      same += quantized.ask(a, b).text == exact.ask(a, b).text;
    }
    INFO(std::string(file) << ": " << same << "/" << pairs << " answers unchanged");
    CHECK(pairs > 1000);
    CHECK(same == pairs);
  }
}
