// arithmetic_checker.hpp — verifies multiplication reasoning exactly: every stated step, the structure of the
// partial products, and the final answer, with arbitrary-precision integers. Header-only.
//
// Two notations are understood:
//  - seed: the 0.1B RWKV-7 multiplication fine-tune's text ("123 * 400 = 49200", "Adding them: 49200 + 6150 +
//    738 = 56088", "<answer>56088</answer>"), and any prose-with-equations in that style;
//  - reversed: the bundled tiny model's scratchpad, numbers least-significant digit first
//    ("321*6=837" is 123 × 6 = 738; "837+0516=8886" is 738 + 6150 = 6888).
#pragma once

#include <cctype>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "big_int.hpp"

namespace arith {

enum class Format { automatic, seed, reversed };

struct Question {
  BigInt a, b;
};

// "123 * 456", "123*456=", "123 x 456", "123 × 456" (spaces anywhere, optional trailing '='). nullopt otherwise.
inline std::optional<Question> parse_question(std::string_view q) {
  std::string s;
  for (std::size_t i = 0; i < q.size(); ++i) {
    if (q.compare(i, 2, "\xc3\x97") == 0) {  // ×
      s += '*';
      ++i;
    } else if (!std::isspace(static_cast<unsigned char>(q[i]))) {
      s += (q[i] == 'x' || q[i] == 'X') ? '*' : q[i];
    }
  }
  if (!s.empty() && s.back() == '=') s.pop_back();
  auto star = s.find('*');
  if (star == std::string::npos || s.find('*', star + 1) != std::string::npos) return std::nullopt;
  auto a = BigInt::parse(s.substr(0, star)), b = BigInt::parse(s.substr(star + 1));
  if (!a || !b) return std::nullopt;
  return Question{*a, *b};
}

struct Step {
  std::string written;  // the line as the reasoning wrote it (trimmed)
  std::string shown;    // the statement in ordinary notation, e.g. "123 × 50 = 6150"
  bool ok = true;
  std::string why;      // what is wrong, when !ok
};

struct Verdict {
  enum class Status { correct, wrong, unusable };
  Status status = Status::unusable;
  std::vector<Step> steps;
  std::optional<BigInt> answer;  // the final answer the reasoning gives, if any
  BigInt expected;
  std::vector<std::size_t> bad_steps;  // indices into steps
  std::string problem;                 // the first thing wrong, for people
  bool correct() const { return status == Status::correct; }
};

namespace detail {

inline std::string trim(std::string_view s) {
  std::size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

inline std::vector<std::string> lines(std::string_view text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    auto nl = text.find('\n', start);
    std::string line = trim(text.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start));
    if (!line.empty()) out.push_back(line);
    if (nl == std::string_view::npos) break;
    start = nl + 1;
  }
  return out;
}

inline std::string reversed(std::string s) { return std::string(s.rbegin(), s.rend()); }

// The place-value parts of |n| with n's sign: 456 -> {400, 50, 6}; zero digits give no part.
inline std::vector<BigInt> place_parts(const BigInt& n) {
  std::string digits = n.abs().to_string();
  std::vector<BigInt> parts;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (digits[i] == '0') continue;
    std::string part = std::string(1, digits[i]) + std::string(digits.size() - 1 - i, '0');
    parts.push_back(*BigInt::parse((n.negative() ? "-" : "") + part));
  }
  return parts;
}

inline std::string times(const BigInt& x, const BigInt& y) { return x.to_string() + " \xc3\x97 " + y.to_string(); }

class Report {
 public:
  explicit Report(Verdict& v) : v_(v) {}
  void add(Step s) {
    if (!s.ok) {
      v_.bad_steps.push_back(v_.steps.size());
      if (v_.problem.empty()) v_.problem = "step " + std::to_string(v_.steps.size() + 1) + " (" + s.written + "): " + s.why;
    }
    v_.steps.push_back(std::move(s));
  }
  void problem(const std::string& p) {
    if (v_.problem.empty()) v_.problem = p;
  }

 private:
  Verdict& v_;
};

// A statement "e1 op e2 op ... = r" found in a line of prose.
struct Statement {
  std::vector<BigInt> terms;
  char op = 0;  // '*', '+', or 'm' for mixed
  std::optional<BigInt> result;  // nullopt when the right side is not a number
  std::string result_text;
};

// Finds "<expression> = <number>" in a line; the expression is the longest run of numbers joined by + * x ×
// just before the '=' (so labels like "Adding them:" are skipped).
inline std::optional<Statement> find_statement(const std::string& line) {
  auto eq = line.find('=');
  if (eq == std::string::npos) return std::nullopt;
  // Normalise the left side's operators, then scan it backwards for numbers and operators.
  std::string left;
  for (std::size_t i = 0; i < eq; ++i) {
    if (line.compare(i, 2, "\xc3\x97") == 0) {
      left += '*';
      ++i;
    } else {
      left += line[i];
    }
  }
  Statement st;
  std::vector<std::string> numbers;
  std::vector<char> ops;
  std::size_t i = left.size();
  auto skip_spaces = [&] {
    while (i > 0 && left[i - 1] == ' ') --i;
  };
  for (;;) {
    skip_spaces();
    std::size_t end = i;
    while (i > 0 && std::isdigit(static_cast<unsigned char>(left[i - 1]))) --i;
    if (i == end) break;
    if (i > 0 && left[i - 1] == '-' && (i == 1 || !std::isdigit(static_cast<unsigned char>(left[i - 2])))) --i;
    numbers.insert(numbers.begin(), left.substr(i, end - i));
    skip_spaces();
    if (i > 0 && (left[i - 1] == '+' || left[i - 1] == '*' || ((left[i - 1] == 'x' || left[i - 1] == 'X') && i >= 2 && left[i - 2] == ' '))) {
      ops.insert(ops.begin(), left[i - 1] == '+' ? '+' : '*');
      --i;
      continue;
    }
    break;
  }
  if (numbers.size() < 2 || ops.size() != numbers.size() - 1) return std::nullopt;
  for (auto& n : numbers) st.terms.push_back(*BigInt::parse(n));
  st.op = ops[0];
  for (char o : ops)
    if (o != st.op) st.op = 'm';
  // Right side: a number, optionally followed by punctuation or a closing remark.
  std::string right = trim(std::string_view(line).substr(eq + 1));
  std::size_t j = 0;
  if (j < right.size() && (right[j] == '-' || right[j] == '+')) ++j;
  while (j < right.size() && (std::isdigit(static_cast<unsigned char>(right[j])) || right[j] == ',')) ++j;
  std::string number = right.substr(0, j);
  number.erase(std::remove(number.begin(), number.end(), ','), number.end());
  bool clean_end = j == right.size() || !std::isalnum(static_cast<unsigned char>(right[j]));
  st.result_text = right.substr(0, std::min(right.size(), j + 12));
  if (clean_end) st.result = BigInt::parse(number);
  if (!st.result) st.result_text = right;
  return st;
}

inline BigInt evaluate(const Statement& st, const std::string& line) {
  // Mixed expressions follow the usual precedence: products first, then the sum.
  std::vector<char> ops;
  for (char c : line.substr(0, line.find('=')))
    if (c == '+' || c == '*') ops.push_back(c);
  if (st.op != 'm') {
    BigInt acc = st.terms[0];
    for (std::size_t k = 1; k < st.terms.size(); ++k) acc = st.op == '*' ? acc * st.terms[k] : acc + st.terms[k];
    return acc;
  }
  BigInt sum, product = st.terms[0];
  for (std::size_t k = 1; k < st.terms.size(); ++k) {
    if (k - 1 < ops.size() && ops[k - 1] == '*') {
      product = product * st.terms[k];
    } else {
      sum = sum + product;
      product = st.terms[k];
    }
  }
  return sum + product;
}

inline std::string join(const std::vector<BigInt>& terms, const char* op) {
  std::string s;
  for (std::size_t k = 0; k < terms.size(); ++k) s += (k ? op : "") + terms[k].to_string();
  return s;
}

// Seed notation: statements in prose, partial products and sums in any order, <answer>N</answer> at the end.
inline void check_seed(const Question& q, std::string_view text, Verdict& v) {
  Report report(v);
  const auto parts_b = place_parts(q.b), parts_a = place_parts(q.a);
  // Each known value carries which partial products it contains, to catch skipped or doubled ones.
  std::vector<std::pair<BigInt, std::multiset<std::size_t>>> known;
  std::vector<BigInt> partials;  // the place parts used, in order
  bool parts_of_b = true;        // which factor is split into place values (decided by the first product)
  bool decided = false;

  for (const std::string& line : lines(text)) {
    auto st = find_statement(line);
    if (!st) continue;
    Step step;
    step.written = line;
    step.shown = join(st->terms, st->op == '+' ? " + " : st->op == '*' ? " \xc3\x97 " : " ? ") + " = " + st->result_text;
    if (!st->result) {
      // "123 * 456 = ?" or the question restated before its answer: not a claim.
      if (st->op == '*' && st->terms.size() == 2 && ((st->terms[0] == q.a && st->terms[1] == q.b) || (st->terms[0] == q.b && st->terms[1] == q.a)))
        continue;
      step.ok = false;
      step.why = "the right-hand side '" + st->result_text + "' is not a number";
      report.add(step);
      continue;
    }
    const BigInt value = evaluate(*st, line);
    step.shown = (st->op == 'm' ? line.substr(0, line.find('=')) : join(st->terms, st->op == '+' ? " + " : " \xc3\x97 ")) + " = " + st->result->to_string();
    if (value != *st->result) {
      step.ok = false;
      step.why = "wrong: " + join(st->terms, st->op == '+' ? " + " : " \xc3\x97 ") + " = " + value.to_string() + ", not " + st->result->to_string();
    } else if (st->op == '*' && st->terms.size() == 2) {
      const BigInt &x = st->terms[0], &y = st->terms[1];
      bool whole = (x == q.a && y == q.b) || (x == q.b && y == q.a);
      if (!whole) {
        if (!decided) {
          parts_of_b = x == q.a || y == q.a ? true : !(x == q.b || y == q.b);
          decided = true;
        }
        const BigInt& whole_factor = parts_of_b ? q.a : q.b;
        const auto& parts = parts_of_b ? parts_b : parts_a;
        const BigInt* part = x == whole_factor ? &y : y == whole_factor ? &x : nullptr;
        auto index = part ? std::find(parts.begin(), parts.end(), *part) - parts.begin() : -1;
        if (!part || index == static_cast<std::ptrdiff_t>(parts.size())) {
          step.ok = false;
          step.why = "invents a partial product: " + times(x, y) + " is not " + whole_factor.to_string() + " times a place value of " +
                     (parts_of_b ? q.b : q.a).to_string();
        } else if (std::find(partials.begin(), partials.end(), *part) != partials.end()) {
          step.ok = false;
          step.why = "repeats the partial product " + times(whole_factor, *part);
        } else {
          partials.push_back(*part);
          known.push_back({value, {static_cast<std::size_t>(index)}});
        }
      }
    } else if (st->op == '+') {
      std::multiset<std::size_t> contains;
      for (const BigInt& t : st->terms) {
        auto it = std::find_if(known.rbegin(), known.rend(), [&](const auto& k) { return k.first == t; });
        if (it == known.rend()) {
          step.ok = false;
          step.why = "adds " + t.to_string() + ", which is neither a partial product nor an earlier sum";
          break;
        }
        contains.insert(it->second.begin(), it->second.end());
      }
      if (step.ok) known.push_back({value, contains});
    }
    report.add(step);
  }

  // Several place values shown as no partial products at all: the reasoning skipped the work.
  if (partials.empty() && parts_b.size() > 1 && parts_a.size() > 1) report.problem("shows no partial products");
  const auto& parts = parts_of_b ? parts_b : parts_a;
  for (const BigInt& part : parts)
    if (!partials.empty() && std::find(partials.begin(), partials.end(), part) == partials.end())
      report.problem("skips the partial product " + times(parts_of_b ? q.a : q.b, part));

  auto open = text.find("<answer>");
  if (open == std::string_view::npos) {
    report.problem("no final answer (<answer>…</answer>)");
    return;
  }
  auto close = text.find("</answer>", open);
  std::string inside = trim(text.substr(open + 8, close == std::string_view::npos ? std::string_view::npos : close - open - 8));
  if (close == std::string_view::npos) report.problem("the answer tag is not closed");
  inside.erase(std::remove(inside.begin(), inside.end(), ','), inside.end());
  v.answer = BigInt::parse(inside);
  if (!v.answer) report.problem("the answer '" + inside + "' is not a number");
}

// Reversed notation: exactly one line per digit of b (least significant first), then the running sums.
inline void check_reversed(const Question& q, std::string_view text, Verdict& v) {
  Report report(v);
  const std::string a_digits = q.a.abs().to_string(), b_digits = q.b.abs().to_string();
  const std::size_t nb = b_digits.size();
  std::vector<std::string> body = lines(text);
  // The prompt line may be included.
  if (!body.empty() && parse_question(body[0]) && !body[0].empty() && body[0].find('=') == std::string::npos) body.erase(body.begin());
  std::vector<BigInt> partial(nb);
  BigInt running;
  std::size_t expected_lines = 2 * nb - 1;
  for (std::size_t k = 0; k < body.size(); ++k) {
    const std::string& line = body[k];
    Step step;
    step.written = line;
    auto eq = line.find('='), op = line.find_first_of("*+");
    bool shape_ok = eq != std::string::npos && op != std::string::npos && op < eq && line.find_first_of("*+", op + 1) == std::string::npos;
    std::string x = shape_ok ? line.substr(0, op) : "", y = shape_ok ? line.substr(op + 1, eq - op - 1) : "",
                z = shape_ok ? line.substr(eq + 1) : "";
    auto num = [](const std::string& s) { return s.empty() || s.find_first_not_of("0123456789") != std::string::npos ? std::optional<BigInt>() : BigInt::parse(reversed(s)); };
    auto X = num(x), Y = num(y), Z = num(z);
    if (!X || !Y || !Z) {
      step.shown = line;
      step.ok = false;
      step.why = "unreadable: expected \"digits*digit=digits\" or \"digits+digits=digits\" with numbers written least-significant digit first";
      report.add(step);
      continue;
    }
    if (k >= expected_lines) {
      step.shown = line;
      step.ok = false;
      step.why = "invents a step: " + b_digits + " has " + std::to_string(nb) + " digits, so there are " + std::to_string(expected_lines) + " steps";
      report.add(step);
      continue;
    }
    if (k < nb) {  // partial product with digit k of b (from the right)
      const char digit = b_digits[nb - 1 - k];
      const BigInt place = *BigInt::parse(std::string(1, digit) + std::string(k, '0'));
      partial[k] = q.a.abs() * place;
      step.shown = times(q.a.abs(), place) + " = " + ((*Z) * *BigInt::parse("1" + std::string(k, '0'))).to_string();
      if (line[op] != '*') {
        step.ok = false;
        step.why = "expected the partial product for digit " + std::string(1, digit) + " of " + b_digits + " here";
      } else if (x != reversed(a_digits)) {
        step.ok = false;
        step.why = "copies " + a_digits + " wrongly (as " + reversed(x) + ")";
      } else if (y != std::string(1, digit)) {
        step.ok = false;
        step.why = (y.size() == 1 ? "skips or invents a partial product: uses the digit " + y : "uses '" + y + "', not a digit") + " where " +
                   b_digits + " has " + std::string(1, digit) + " (" + place.to_string() + ")";
      } else if (q.a.abs() * *Y != *Z) {
        step.ok = false;
        step.why = "wrong: " + times(q.a.abs(), *Y) + " = " + (q.a.abs() * *Y).to_string() + ", not " + Z->to_string();
      }
      if (k == 0) running = partial[0];
    } else {  // running sum adding partial product k - nb + 1
      const std::size_t i = k - nb + 1;
      step.shown = X->to_string() + " + " + Y->to_string() + " = " + Z->to_string();
      if (line[op] != '+') {
        step.ok = false;
        step.why = "expected the running sum adding " + partial[i].to_string() + " here";
      } else if (*X != running) {
        step.ok = false;
        step.why = "starts from " + X->to_string() + " but the sum so far is " + running.to_string();
      } else if (*Y != partial[i]) {
        step.ok = false;
        step.why = "adds " + Y->to_string() + " but the next partial product is " + partial[i].to_string();
      } else if (*X + *Y != *Z) {
        step.ok = false;
        step.why = "wrong: " + X->to_string() + " + " + Y->to_string() + " = " + (*X + *Y).to_string() + ", not " + Z->to_string();
      }
      running = *Z;
    }
    report.add(step);
    if (k + 1 == expected_lines) v.answer = k < nb ? *Z : running;
  }
  if (body.size() < expected_lines) report.problem("stops after " + std::to_string(body.size()) + " of " + std::to_string(expected_lines) + " steps");
  if (v.answer && (q.a.negative() != q.b.negative()) && !v.answer->is_zero()) v.answer = BigInt(0) - *v.answer;
}

inline bool looks_reversed(std::string_view text) {
  for (const std::string& line : lines(text)) {
    if (line.find(' ') != std::string::npos || line.find('<') != std::string::npos) return false;
    auto eq = line.find('=');
    if (eq != std::string::npos && eq + 1 < line.size()) return true;
  }
  return false;
}

}  // namespace detail

// Checks `reasoning` for the question a × b. Never throws on odd text: the verdict says what is wrong.
inline Verdict check(const Question& q, std::string_view reasoning, Format format = Format::automatic) {
  Verdict v;
  v.expected = q.a * q.b;
  if (format == Format::automatic) format = detail::looks_reversed(reasoning) ? Format::reversed : Format::seed;
  if (format == Format::reversed) detail::check_reversed(q, reasoning, v);
  else detail::check_seed(q, reasoning, v);
  if (v.answer && *v.answer != v.expected && v.problem.empty())
    v.problem = "the answer " + v.answer->to_string() + " is wrong: " + detail::times(q.a, q.b) + " = " + v.expected.to_string();
  if (!v.answer && v.problem.empty()) v.problem = "no final answer";
  v.status = v.problem.empty() ? Verdict::Status::correct : Verdict::Status::wrong;
  return v;
}

}  // namespace arith
