// rwkv7/tokenizer/qwen2_split.hpp — the pre-tokenizer of Qwen2/2.5/3 tokenizer.json files: text is cut into pieces
// by the regular expression below before BPE sees it. BPE never merges across a cut, so the cuts decide the ids.
//
//   (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
//
// It is matched here by hand (leftmost match, first alternative that succeeds, as a backtracking engine does) rather
// than by a regex library: no C++ regex engine has \p{L}, and each alternative reduces to a scan over classes.
// Two choices follow the reference implementation (transformers.js): \s is ECMAScript's White_Space (it includes
// U+FEFF and excludes U+0085), and (?i:…) folds ASCII letters only.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "unicode.hpp"

namespace rwkv7::detail {

inline constexpr std::string_view kQwen2SplitPattern =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

enum CharClass : std::uint8_t { kLetter = 1, kNumber = 2, kSpace = 4, kNewline = 8 };

inline bool is_ecmascript_space(char32_t c) {
  if (c < 0x80) return c == ' ' || (c >= 0x09 && c <= 0x0d);
  return c == 0xa0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200a) || c == 0x2028 || c == 0x2029 || c == 0x202f ||
         c == 0x205f || c == 0x3000 || c == 0xfeff;
}

inline std::uint8_t char_class(char32_t c) {
  if (c == '\r' || c == '\n') return kSpace | kNewline;
  if (is_ecmascript_space(c)) return kSpace;
  if (is_letter(c)) return kLetter;
  if (is_number(c)) return kNumber;
  return 0;
}

struct Qwen2Split {
  std::vector<char32_t> cp;
  std::vector<std::uint8_t> cls;
  std::vector<std::size_t> offset;  // byte offset of each code point, and the text's size at the end

  // Calls piece(std::string_view) for each piece of `text` (well-formed UTF-8), in order; the pieces tile the text.
  template <class Piece>
  void run(std::string_view text, Piece&& piece) {
    cp.clear(), cls.clear(), offset.clear();
    for (std::size_t i = 0; i < text.size();) {
      offset.push_back(i);
      cp.push_back(next_code_point(text, i));
      cls.push_back(char_class(cp.back()));
    }
    offset.push_back(text.size());
    const std::size_t n = cp.size();
    for (std::size_t i = 0; i < n;) {
      const std::size_t end = match_at(i);
      piece(text.substr(offset[i], offset[end] - offset[i]));
      i = end;
    }
  }

 private:
  bool has(std::size_t i, std::uint8_t c) const { return i < cp.size() && (cls[i] & c); }
  // [^\s\p{L}\p{N}]: punctuation, symbols, marks, controls, U+0085 …
  bool other(std::size_t i) const { return i < cp.size() && cls[i] == 0; }
  std::size_t run_of(std::size_t i, std::uint8_t c) const {
    while (has(i, c)) ++i;
    return i;
  }
  char32_t lower_ascii(std::size_t i) const { return i < cp.size() && cp[i] < 0x80 ? (cp[i] | 0x20) : 0; }

  // End of the match that starts at i (there always is one: every code point is a letter, number, space or other).
  std::size_t match_at(std::size_t i) const {
    if (cp[i] == '\'') {  // (?i:'s|'t|'re|'ve|'m|'ll|'d)
      const char32_t a = lower_ascii(i + 1), b = lower_ascii(i + 2);
      if (a == 's' || a == 't' || a == 'm' || a == 'd') return i + 2;
      if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) return i + 3;
    }
    if (has(i, kLetter)) return run_of(i, kLetter);  // \p{L}+
    if (!has(i, kNewline) && !has(i, kNumber) && has(i + 1, kLetter)) return run_of(i + 1, kLetter);  // [^\r\n\p{L}\p{N}]\p{L}+
    if (has(i, kNumber)) return i + 1;  // \p{N}
    const std::size_t symbols = cp[i] == ' ' && other(i + 1) ? i + 1 : i;  //  ?[^\s\p{L}\p{N}]+[\r\n]*
    if (other(symbols)) {
      std::size_t j = symbols;
      while (other(j)) ++j;
      return run_of(j, kNewline);
    }
    // Only whitespace is left: i starts a run of \s.
    const std::size_t run_end = run_of(i, kSpace);
    for (std::size_t k = run_end; k > i; --k)  // \s*[\r\n]+ : up to and including the run's last line break
      if (cls[k - 1] & kNewline) return k;
    if (run_end == cp.size() || run_end - i == 1) return run_end;  // \s+(?!\S) at the end of text, else \s+
    return run_end - 1;  // \s+(?!\S): leave one space to start the next piece
  }
};

}  // namespace rwkv7::detail
