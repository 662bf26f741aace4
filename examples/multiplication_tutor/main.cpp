// rwkv7-tutor — a multiplication tutor on the command line.
//   rwkv7-tutor [MODEL FLAGS] [--json] A B          one question: the worked steps, the answer, the checker's verdict
//   rwkv7-tutor [MODEL FLAGS] [--json] --pairs FILE  one question per line "A B", then "exact_match X/Y"
//   rwkv7-tutor [MODEL FLAGS] --quiz [--seed S]     a small game: you answer, then the tutor shows its working
// MODEL FLAGS: none (the bundled tiny model), or --model M [--vocab V] [--style seed|reversed] [--max-tokens N]
// Exit codes: 0 ok (in --pairs mode: all answers exact), 1 a model or answer problem, 2 bad command line.
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>

#include <rwkv7/embedded_file.hpp>

#include "tutor.hpp"

#ifdef RWKV7_TUTOR_EMBEDDED_MODEL
RWKV7_DECLARE_EMBEDDED_FILE(rwkv7_tutor_model)
#endif

namespace {

const char* kUsage =
    "usage: rwkv7-tutor [--model M [--vocab V] [--style seed|reversed]] [--max-tokens N] [--json] A B\n"
    "       rwkv7-tutor [...] [--json] --pairs FILE\n"
    "       rwkv7-tutor [...] --quiz [--seed S]\n"
    "With no --model the bundled tiny model is used. A seed-style model (the 0.1B RWKV-LM multiplication\n"
    "fine-tune) needs --vocab rwkv_vocab_v20230424.txt.\n";

struct Usage {
  std::string message;
};

arith::BigInt number(const std::string& s, const std::string& what) {
  auto v = arith::BigInt::parse(s);
  if (!v) throw Usage{what + " must be an integer, got '" + s + "'"};
  return *v;
}

std::uint64_t count(const std::string& s, const std::string& what) {
  if (s.empty() || s.size() > 18 || s.find_first_not_of("0123456789") != std::string::npos)
    throw Usage{what + " must be a non-negative integer, got '" + s + "'"};
  return std::stoull(s);
}

nlohmann::ordered_json big_json(const arith::BigInt& v) {
  // Exact JSON numbers: small values as integers, anything wider as a raw number literal string.
  auto s = v.to_string();
  if (s.size() <= 18) return std::stoll(s);
  return nlohmann::ordered_json(s);
}

nlohmann::ordered_json to_json(const tutor::Answer& a) {
  nlohmann::ordered_json steps = nlohmann::ordered_json::array(), bad = nlohmann::ordered_json::array();
  for (const auto& s : a.steps) steps.push_back(s.shown);
  for (auto i : a.bad_steps) bad.push_back({{"step", i}, {"text", a.steps[i].shown}, {"why", a.steps[i].why}});
  return {{"a", big_json(a.a)},
          {"b", big_json(a.b)},
          {"answer", a.answer ? big_json(*a.answer) : nlohmann::ordered_json(nullptr)},
          {"correct", a.correct},
          {"steps_ok", a.steps_ok},
          {"steps", steps},
          {"bad_steps", bad},
          {"problem", a.problem}};
}

void print_text(const tutor::Answer& a) {
  std::cout << a.a.to_string() << " \xc3\x97 " << a.b.to_string() << "\n";
  for (const auto& s : a.steps) std::cout << "  " << (s.ok ? "\xe2\x9c\x93 " : "\xe2\x9c\x97 ") << s.shown << (s.ok ? "" : "   (" + s.why + ")") << "\n";
  std::cout << "Answer: " << (a.answer ? a.answer->to_string() : "(none)") << " \xe2\x80\x94 "
            << (a.steps_ok ? "correct, every step checks out" : a.correct ? "correct, but not every step checks out: " + a.problem : "wrong: " + a.problem)
            << "\n";
}

struct Loaded {
  std::optional<rwkv7::Model> model;
  std::optional<rwkv7::WorldTokenizer> world;
  rwkv7::ByteTokenizer bytes;
  const rwkv7::Tokenizer* tok = nullptr;
  tutor::Style style = tutor::Style::reversed;
};

void load(const std::map<std::string, std::string>& flags, Loaded& l) {
  auto flag = [&](const char* f) { return flags.count(f) ? flags.at(f) : std::string(); };
  if (flags.count("--model")) {
    l.model = rwkv7::Model::load(flag("--model"));
  } else {
    if (flags.count("--vocab") || flags.count("--style")) throw Usage{"--vocab and --style go with --model"};
#ifdef RWKV7_TUTOR_EMBEDDED_MODEL
    auto bytes = RWKV7_EMBEDDED_FILE(rwkv7_tutor_model);
    l.model = rwkv7::Model::from_bytes(bytes.data(), bytes.size(), "<bundled tutor model>");
#else
    throw rwkv7::Error(rwkv7::Errc::io, "this build has no bundled tutor model (models/multiply-tiny.pth was missing at configure time); "
                                        "pass --model and, for the 0.1B seed model, --vocab");
#endif
  }
  if (flags.count("--vocab")) {
    l.world = rwkv7::WorldTokenizer::load(flag("--vocab"));
    l.tok = &*l.world;
    l.style = tutor::Style::seed;
  } else {
    if (l.model->vocab_size() != 256) throw Usage{"this model has a " + std::to_string(l.model->vocab_size()) + "-token vocabulary: pass --vocab"};
    l.tok = &l.bytes;
  }
  if (flags.count("--style")) {
    if (flag("--style") != "seed" && flag("--style") != "reversed") throw Usage{"--style must be seed or reversed"};
    l.style = flag("--style") == "seed" ? tutor::Style::seed : tutor::Style::reversed;
  }
}

int run_pairs(tutor::Tutor& t, const std::string& path, bool json) {
  std::ifstream in(path);
  if (!in) throw rwkv7::Error(rwkv7::Errc::io, path + ": cannot open pairs file");
  std::vector<std::pair<arith::BigInt, arith::BigInt>> pairs;
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    auto text = arith::detail::trim(line);
    if (text.empty() || text[0] == '#') continue;
    auto space = text.find_first_of(" \t");
    auto a = arith::BigInt::parse(text.substr(0, space));
    auto b = space == std::string::npos ? std::nullopt : arith::BigInt::parse(arith::detail::trim(text.substr(space)));
    if (!a || !b) throw Usage{path + ":" + std::to_string(n) + ": expected \"A B\", got '" + text + "'"};
    pairs.push_back({*a, *b});
  }
  std::size_t exact = 0, steps_ok = 0;
  for (const auto& [a, b] : pairs) {
    const tutor::Answer& ans = t.ask(a, b);
    exact += ans.correct;
    steps_ok += ans.steps_ok;
    if (json) std::cout << to_json(ans).dump() << "\n";
    else print_text(ans);
  }
  std::cout << "steps_ok " << steps_ok << "/" << pairs.size() << "\n";
  std::cout << "exact_match " << exact << "/" << pairs.size() << "\n";
  return exact == pairs.size() ? 0 : 1;
}

int run_quiz(tutor::Tutor& t, std::uint64_t seed) {
  rwkv7::Pcg32 rng(seed);
  int asked = 0, right = 0;
  std::cout << "Multiplication quiz: type your answer, or q to stop.\n";
  for (;;) {
    long long a = 2 + rng.next() % 998, b = 2 + rng.next() % 98;
    std::cout << "\nQuestion " << ++asked << ": " << a << " \xc3\x97 " << b << " = ? " << std::flush;
    std::string line;
    if (!std::getline(std::cin, line) || arith::detail::trim(line) == "q") {
      --asked;
      break;
    }
    auto guess = arith::BigInt::parse(arith::detail::trim(line));
    const arith::BigInt truth = arith::BigInt(a) * arith::BigInt(b);
    if (!guess) std::cout << "That is not a number. ";
    else if (*guess == truth) std::cout << "Right! ", ++right;
    else std::cout << "Not quite. ";
    std::cout << "Here is how the tutor works it out:\n";
    print_text(t.ask(a, b));
  }
  std::cout << "\nscore " << right << "/" << asked << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    std::map<std::string, std::string> flags;
    std::vector<std::string> positional;
    bool json = false, quiz = false;
    for (int i = 1; i < argc; ++i) {
      std::string arg = argv[i];
      if (arg == "--json") json = true;
      else if (arg == "--quiz") quiz = true;
      else if (arg == "--help" || arg == "-h") {
        std::cout << kUsage;
        return 0;
      } else if (arg == "--model" || arg == "--vocab" || arg == "--style" || arg == "--pairs" || arg == "--max-tokens" || arg == "--seed") {
        if (i + 1 >= argc) throw Usage{arg + " needs a value"};
        if (flags.count(arg)) throw Usage{arg + " given twice"};
        flags[arg] = argv[++i];
      } else if (arg.size() > 1 && arg[0] == '-' && !std::isdigit(static_cast<unsigned char>(arg[1]))) {
        throw Usage{"unknown option " + arg};
      } else {
        positional.push_back(arg);
      }
    }
    const int modes = (flags.count("--pairs") ? 1 : 0) + (quiz ? 1 : 0) + (positional.empty() ? 0 : 1);
    if (modes != 1) throw Usage{"give A B, or --pairs FILE, or --quiz"};
    if (!positional.empty() && positional.size() != 2) throw Usage{"expected two numbers A B"};
    tutor::TutorOptions opts;
    if (flags.count("--max-tokens")) opts.max_tokens = static_cast<std::size_t>(count(flags["--max-tokens"], "--max-tokens"));
    std::uint64_t seed = flags.count("--seed") ? count(flags["--seed"], "--seed") : std::random_device{}();
    std::optional<arith::BigInt> a, b;
    if (!positional.empty()) {
      a = number(positional[0], "A");
      b = number(positional[1], "B");
    }

    Loaded l;
    load(flags, l);
    tutor::Tutor t(*l.model, *l.tok, l.style, opts);
    if (flags.count("--pairs")) return run_pairs(t, flags["--pairs"], json);
    if (quiz) return run_quiz(t, seed);
    const tutor::Answer& ans = t.ask(*a, *b);
    if (json) std::cout << to_json(ans).dump() << "\n";
    else print_text(ans);
    return ans.steps_ok ? 0 : 1;
  } catch (const Usage& u) {
    std::cerr << "rwkv7-tutor: " << u.message << "\n" << kUsage;
    return 2;
  } catch (const rwkv7::Error& e) {
    std::cerr << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "rwkv7-tutor: " << e.what() << "\n";
    return 1;
  }
}
