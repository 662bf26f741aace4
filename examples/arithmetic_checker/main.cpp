// rwkv7-check — verifies multiplication reasoning read from stdin against a question.
//   rwkv7-check --question "123 * 456" [--format auto|seed|reversed] < reasoning.txt
// Exit: 0 every step and the answer are right; 1 something is wrong (the first wrong step and why are
// printed); 2 unusable input (bad question, bad flags, empty reasoning).
#include <iostream>
#include <iterator>

#include "arithmetic_checker.hpp"

int main(int argc, char** argv) {
  const char* usage = "usage: rwkv7-check --question \"A * B\" [--format auto|seed|reversed] < reasoning\n";
  std::string question;
  arith::Format format = arith::Format::automatic;
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    if (i + 1 >= argc || (flag != "--question" && flag != "--format")) {
      std::cerr << "rwkv7-check: bad argument '" << flag << "'\n" << usage;
      return 2;
    }
    std::string value = argv[++i];
    if (flag == "--question") {
      question = value;
    } else if (value == "seed" || value == "reversed" || value == "auto") {
      format = value == "seed" ? arith::Format::seed : value == "reversed" ? arith::Format::reversed : arith::Format::automatic;
    } else {
      std::cerr << "rwkv7-check: --format must be auto, seed or reversed\n" << usage;
      return 2;
    }
  }
  auto q = arith::parse_question(question);
  if (!q) {
    std::cerr << "rwkv7-check: the question must look like \"123 * 456\", got '" << question << "'\n" << usage;
    return 2;
  }
  std::string text((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
  if (arith::detail::trim(text).empty()) {
    std::cerr << "rwkv7-check: no reasoning on stdin\n" << usage;
    return 2;
  }
  arith::Verdict v = arith::check(*q, text, format);
  for (std::size_t i = 0; i < v.steps.size(); ++i)
    std::cout << (v.steps[i].ok ? "  ok   " : "  BAD  ") << v.steps[i].shown << (v.steps[i].ok ? "" : "   <- " + v.steps[i].why) << "\n";
  if (v.correct()) {
    std::cout << "correct: " << v.answer->to_string() << "\n";
    return 0;
  }
  std::cout << "wrong: " << v.problem << "\n";
  return 1;
}
