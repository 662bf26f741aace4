// tutor.hpp — a multiplication tutor for games: asks an RWKV-7 model for worked multiplication, checks every
// step with the arithmetic checker, and renders the steps in ordinary notation. Header-only.
//
// Two model styles:
//  - seed: the 0.1B RWKV-LM fine-tune's prompt ("User: Give me the answer of the following equation: A * B =
//    Assistant: Ok let me think about it.\n<think>" … "<answer>N</answer>"), World tokenizer;
//  - reversed: the bundled tiny byte-level model ("A*B\n", then a scratchpad with digits least-significant first,
//    ended by token 0).
#pragma once

#include <memory>
#include <optional>
#include <string>

#include <rwkv7/rwkv7.hpp>

#include "../arithmetic_checker/arithmetic_checker.hpp"

namespace tutor {

enum class Style { seed, reversed };

struct TutorOptions {
  std::size_t max_tokens = 400;
  rwkv7::SamplerOptions sampling{.temperature = 0.0f};  // greedy: the same question always gets the same answer
};

struct Answer {
  arith::BigInt a, b;
  std::optional<arith::BigInt> answer;  // the model's final answer, if it gave one
  bool correct = false;                 // answer == a × b
  bool steps_ok = false;                // every step checked out (and the answer is right)
  std::vector<arith::Step> steps;       // in ordinary notation (Step::shown)
  std::vector<std::size_t> bad_steps;
  std::string problem;                  // the first thing wrong, empty when steps_ok
  std::string text;                     // what the model wrote
  std::size_t tokens = 0;
};

// One tutor per player/character. Tutors may share one Model, Tokenizer and PrefixCache across threads;
// a single Tutor is not thread-safe.
class Tutor {
 public:
  Tutor(const rwkv7::Model& model, const rwkv7::Tokenizer& tok, Style style, TutorOptions opts = {},
        std::shared_ptr<rwkv7::PrefixCache> cache = nullptr)
      : model_(&model), tok_(&tok), style_(style), opts_(opts),
        cache_(cache ? std::move(cache) : std::make_shared<rwkv7::PrefixCache>(2)) {
    if (style_ == Style::seed) {
      // The fixed preamble is run once and cached; each question then pays only for its own tokens.
      preamble_ = tok.encode(kSeedPreamble);
      rwkv7::State s;
      std::vector<float> logits;
      cache_->prefill(*model_, preamble_, s, logits);
    }
  }

  // Asks and waits for the whole answer.
  const Answer& ask(const arith::BigInt& a, const arith::BigInt& b) {
    start(a, b);
    while (!step(SIZE_MAX)) {
    }
    return answer_;
  }
  const Answer& ask(long long a, long long b) { return ask(arith::BigInt(a), arith::BigInt(b)); }

  // Game API: start() a question, then call step(n) once per frame; each call does at most n tokens of model
  // work and returns true once the answer is complete and checked (then answer() holds it).
  void start(const arith::BigInt& a, const arith::BigInt& b) {
    answer_ = Answer{};
    answer_.a = a;
    answer_.b = b;
    rwkv7::GenerateOptions g;
    g.max_tokens = opts_.max_tokens;
    if (style_ == Style::seed) g.stop = {"</answer>"};
    gen_.emplace(*model_, *tok_, rwkv7::Sampler(opts_.sampling), g);
    std::vector<rwkv7::Token> prompt = tok_->encode(prompt_text(a, b));
    rwkv7::State state;
    std::vector<float> logits;
    std::size_t reused = 0;
    if (style_ == Style::seed && prompt.size() > preamble_.size() && std::equal(preamble_.begin(), preamble_.end(), prompt.begin()))
      reused = cache_->lookup(prompt, state, logits);
    if (reused > 0) gen_->restore(std::move(state), std::vector<rwkv7::Token>(prompt.begin() + static_cast<std::ptrdiff_t>(reused), prompt.end()));
    else gen_->add_tokens(prompt);
  }

  bool step(std::size_t budget) {
    if (!gen_) return true;
    if (gen_->step(budget) == rwkv7::StopReason::none) return false;
    finish();
    return true;
  }

  const Answer& answer() const { return answer_; }
  Style style() const { return style_; }

  std::string prompt_text(const arith::BigInt& a, const arith::BigInt& b) const {
    if (style_ == Style::seed)
      return std::string(kSeedPreamble) + a.to_string() + " * " + b.to_string() + " = Assistant: Ok let me think about it.\n<think>";
    return a.to_string() + "*" + b.to_string() + "\n";
  }

 private:
  static constexpr const char* kSeedPreamble = "User: Give me the answer of the following equation: ";

  void finish() {
    const auto& r = gen_->result();
    answer_.text = r.text;
    answer_.tokens = r.tokens;
    std::string checked = r.text;
    if (style_ == Style::seed && r.reason == rwkv7::StopReason::stop_string) checked += "</answer>";
    arith::Verdict v = arith::check({answer_.a, answer_.b}, checked, style_ == Style::seed ? arith::Format::seed : arith::Format::reversed);
    answer_.answer = v.answer;
    answer_.correct = v.answer && *v.answer == v.expected;
    answer_.steps_ok = v.correct();
    answer_.steps = std::move(v.steps);
    answer_.bad_steps = std::move(v.bad_steps);
    answer_.problem = std::move(v.problem);
    gen_.reset();
  }

  const rwkv7::Model* model_;
  const rwkv7::Tokenizer* tok_;
  Style style_;
  TutorOptions opts_;
  std::shared_ptr<rwkv7::PrefixCache> cache_;
  std::vector<rwkv7::Token> preamble_;
  std::optional<rwkv7::Generator> gen_;
  Answer answer_;
};

}  // namespace tutor
