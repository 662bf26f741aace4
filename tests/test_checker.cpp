// The arithmetic checker: exact verdicts on right, wrong and adversarial reasoning, in both notations.
#include <doctest/doctest.h>

#include <cmath>

#include "../examples/arithmetic_checker/arithmetic_checker.hpp"

namespace {

arith::Verdict check(const std::string& q, const std::string& text, arith::Format f = arith::Format::automatic) {
  auto question = arith::parse_question(q);
  REQUIRE(question.has_value());
  return arith::check(*question, text, f);
}

const std::string kSeedGood =
    "<think>\nLet me calculate 123 * 456 step by step...\n123 * 400 = 49200\n123 * 50 = 6150\n123 * 6 = 738\n"
    "Adding them: 49200 + 6150 + 738 = 56088\n</think>\n<answer>56088</answer>";

// The bundled model's notation, built independently here from the definition (digits least-significant first).
std::string rev(std::string s) { return std::string(s.rbegin(), s.rend()); }
std::string reversed_reasoning(long a, long b) {
  std::string bd = std::to_string(b), out, ra = rev(std::to_string(a));
  std::vector<long> parts;
  for (std::size_t i = 0; i < bd.size(); ++i) {
    long d = bd[bd.size() - 1 - i] - '0';
    out += ra + "*" + std::to_string(d) + "=" + rev(std::to_string(a * d)) + "\n";
    long place = 1;
    for (std::size_t k = 0; k < i; ++k) place *= 10;
    parts.push_back(a * d * place);
  }
  long sum = parts[0];
  for (std::size_t i = 1; i < parts.size(); ++i) {
    out += rev(std::to_string(sum)) + "+" + std::string(i, '0') + rev(std::to_string(parts[i] / static_cast<long>(std::pow(10, i)))) + "=" +
           rev(std::to_string(sum + parts[i])) + "\n";
    sum += parts[i];
  }
  return out;
}

}  // namespace

TEST_CASE("big integers: parse, print and arithmetic beyond 64 bits") {
  auto x = *arith::BigInt::parse("123456789012345678901234567890");
  auto y = *arith::BigInt::parse("-987654321098765432109876543210");
  CHECK((x * y).to_string() == "-121932631137021795226185032733622923332237463801111263526900");
  CHECK((x + y).to_string() == "-864197532086419753208641975320");
  CHECK((y - y).to_string() == "0");
  CHECK(arith::BigInt::parse("000120")->to_string() == "120");
  CHECK(!arith::BigInt::parse("12a"));
  CHECK(!arith::BigInt::parse(""));
  CHECK(!arith::BigInt::parse("-"));
}

TEST_CASE("questions parse in the usual spellings, and nothing else") {
  CHECK(arith::parse_question("123 * 456")->b.to_string() == "456");
  CHECK(arith::parse_question(" 123*456 = ")->a.to_string() == "123");
  CHECK(arith::parse_question("123 x 456"));
  CHECK(arith::parse_question("123 \xc3\x97 456"));
  CHECK(arith::parse_question("-12 * 34")->a.to_string() == "-12");
  CHECK(!arith::parse_question("123 + 456"));
  CHECK(!arith::parse_question("abc * 4"));
  CHECK(!arith::parse_question("1 * 2 * 3"));
  CHECK(!arith::parse_question(""));
}

TEST_CASE("the seed model's format: correct reasoning passes with readable steps") {
  auto v = check("123 * 456", kSeedGood);
  CHECK(v.correct());
  CHECK(v.problem == "");
  REQUIRE(v.steps.size() == 4);
  CHECK(v.steps[0].shown == "123 \xc3\x97 400 = 49200");
  CHECK(v.steps[3].shown == "49200 + 6150 + 738 = 56088");
  CHECK(v.answer->to_string() == "56088");
}

TEST_CASE("one wrong digit anywhere in the seed format is caught, every time") {
  for (std::size_t pos = 0; pos < kSeedGood.size(); ++pos) {
    if (!std::isdigit(static_cast<unsigned char>(kSeedGood[pos]))) continue;
    if (kSeedGood.compare(pos > 30 ? pos - 30 : 0, pos > 30 ? 30 : pos, "") == 0) continue;
    std::string bad = kSeedGood;
    bad[pos] = bad[pos] == '9' ? '8' : static_cast<char>(bad[pos] + 1);
    auto v = check("123 * 456", bad);
    // Changing a digit of the restated question in the prose line changes nothing that is claimed.
    bool prose = pos < kSeedGood.find("\n123 * 400");
    CAPTURE(bad);
    if (prose) CHECK(v.correct());
    else CHECK(!v.correct());
  }
}

TEST_CASE("the seed format's structure: skipped, invented and repeated partial products") {
  SUBCASE("skipped") {
    auto v = check("123 * 456", "123 * 400 = 49200\n123 * 6 = 738\nAdding them: 49200 + 738 = 49938\n<answer>49938</answer>");
    CHECK(!v.correct());
    CHECK(v.problem == "skips the partial product 123 \xc3\x97 50");
  }
  SUBCASE("invented") {
    auto v = check("123 * 456", "123 * 400 = 49200\n123 * 70 = 8610\n123 * 6 = 738\nAdding them: 49200 + 8610 + 738 = 58548\n<answer>58548</answer>");
    CHECK(!v.correct());
    CHECK(v.problem == "step 2 (123 * 70 = 8610): invents a partial product: 123 \xc3\x97 70 is not 123 times a place value of 456");
  }
  SUBCASE("a sum that skips a partial product but lands on the right total") {
    auto v = check("123 * 456", "123 * 400 = 49200\n123 * 50 = 6150\n123 * 6 = 738\nAdding them: 49200 + 6150 + 738 = 56088\n"
                                "Adding them: 49200 + 6888 = 56088\n<answer>56088</answer>");
    CHECK(!v.correct());
    CHECK(v.problem.find("adds 6888, which is neither a partial product nor an earlier sum") != std::string::npos);
  }
  SUBCASE("repeated") {
    auto v = check("12 * 34", "12 * 30 = 360\n12 * 30 = 360\n12 * 4 = 48\n360 + 48 = 408\n<answer>408</answer>");
    CHECK(v.problem.find("repeats the partial product 12 \xc3\x97 30") != std::string::npos);
  }
  SUBCASE("running sums are fine") {
    auto v = check("123 * 456", "123 * 6 = 738\n123 * 50 = 6150\n738 + 6150 = 6888\n123 * 400 = 49200\n6888 + 49200 = 56088\n<answer>56088</answer>");
    CHECK(v.correct());
  }
  SUBCASE("no partial products at all") {
    auto v = check("123 * 456", "<answer>56088</answer>");
    CHECK(v.problem == "shows no partial products");
  }
}

TEST_CASE("adversarial text gives a clear verdict, never a crash") {
  CHECK(check("123 * 456", "   123   *   400   =   49200  \n\n 123*50=6150\n123 *6= 738\nAdding them:49200+6150+738=56088\n <answer> 56088 </answer>  ").correct());
  CHECK(check("123 * 456", kSeedGood.substr(0, kSeedGood.find("<answer>"))).problem == "no final answer (<answer>…</answer>)");
  CHECK(check("123 * 456", "123 * 400 = 49200\n123 * 50 = 6150\n123 * 6 = 738\n49200 + 6150 + 738 = 56088\n<answer>56088").problem ==
        "the answer tag is not closed");
  CHECK(check("123 * 456", "123 * 400 = 4920O\n<answer>56088</answer>").problem.find("'4920O' is not a number") != std::string::npos);
  CHECK(check("123 * 456", "<answer>fifty-six thousand</answer>").problem.find("shows no partial products") != std::string::npos);
  CHECK(check("2 * 3", "<answer>six</answer>").problem == "the answer 'six' is not a number");
  auto huge = check("123456789123456789 * 2", "123456789123456789 * 2 = 246913578246913578\n<answer>246913578246913578</answer>");
  CHECK(huge.correct());
  CHECK(check("-12 * 34", "-12 * 30 = -360\n-12 * 4 = -48\n-360 + -48 = -408\n<answer>-408</answer>").correct());
  CHECK(!check("-12 * 34", "-12 * 30 = -360\n-12 * 4 = -48\n-360 + -48 = -408\n<answer>408</answer>").correct());
  std::string noise;
  for (int i = 0; i < 2000; ++i) noise += static_cast<char>((i * 7919) % 256);
  CHECK(!check("7 * 8", noise).correct());
}

TEST_CASE("the bundled model's reversed format: correct text passes, rendered in ordinary notation") {
  auto v = check("123 * 456", "321*6=837\n321*5=516\n321*4=294\n837+0516=8886\n8886+00294=88065\n");
  CHECK(v.correct());
  REQUIRE(v.steps.size() == 5);
  CHECK(v.steps[0].shown == "123 \xc3\x97 6 = 738");
  CHECK(v.steps[1].shown == "123 \xc3\x97 50 = 6150");
  CHECK(v.steps[4].shown == "6888 + 49200 = 56088");
  CHECK(v.answer->to_string() == "56088");
  CHECK(check("7 * 8", "7*8=65\n").correct());
  CHECK(check("123 * 456", "123*456\n321*6=837\n321*5=516\n321*4=294\n837+0516=8886\n8886+00294=88065\n").correct());
}

TEST_CASE("in the reversed format every single-digit corruption is caught") {
  for (long a : {7L, 38L, 123L, 999L, 505L}) {
    for (long b : {9L, 40L, 456L, 999L, 101L}) {
      std::string good = reversed_reasoning(a, b);
      std::string q = std::to_string(a) + " * " + std::to_string(b);
      REQUIRE(check(q, good).correct());
      for (std::size_t pos = 0; pos < good.size(); ++pos) {
        if (!std::isdigit(static_cast<unsigned char>(good[pos]))) continue;
        std::string bad = good;
        bad[pos] = bad[pos] == '9' ? '0' : static_cast<char>(bad[pos] + 1);
        CAPTURE(bad);
        CHECK(!check(q, bad).correct());
      }
    }
  }
}

TEST_CASE("the reversed format's structure: wrong digit, copied factor, missing and extra steps") {
  CHECK(check("123 * 456", "321*6=837\n321*4=294\n").problem.find("skips or invents a partial product: uses the digit 4 where 456 has 5") !=
        std::string::npos);
  CHECK(check("123 * 456", "312*6=837\n").problem.find("copies 123 wrongly (as 213)") != std::string::npos);
  CHECK(check("123 * 456", "321*6=837\n321*5=516\n").problem == "stops after 2 of 5 steps");
  CHECK(check("12 * 3", "21*3=63\n63+0=63\n").problem.find("invents a step") != std::string::npos);
  CHECK(check("12 * 3", "21*3=63 extra\n", arith::Format::reversed).problem.find("unreadable") != std::string::npos);
}
