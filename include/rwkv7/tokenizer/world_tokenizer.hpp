// rwkv7/tokenizer/world_tokenizer.hpp — the RWKV World tokenizer, loaded from rwkv_vocab_v20230424.txt
// (FORMATS.md §4): one token per line, "<id> <python str or bytes literal> <byte length>".
#pragma once

#include <algorithm>

#include "../io/file_bytes.hpp"
#include "trie_tokenizer.hpp"
#include "utf8.hpp"

namespace rwkv7 {
namespace detail {

// Decodes a Python str or bytes literal ('…', "…", b'…'). In a str, \xHH is the code point U+00HH (UTF-8
// encoded: '\xa0' is C2 A0); in bytes it is the raw byte. Returns false on anything malformed.
inline bool parse_python_literal(std::string_view lit, std::string& out) {
  bool is_bytes = false;
  if (!lit.empty() && lit[0] == 'b') {
    is_bytes = true;
    lit.remove_prefix(1);
  }
  if (lit.size() < 2 || (lit[0] != '\'' && lit[0] != '"') || lit.back() != lit[0]) return false;
  const char quote = lit[0];
  lit = lit.substr(1, lit.size() - 2);
  auto hex = [&](std::size_t pos, int digits, std::uint32_t& v) {
    if (pos + static_cast<std::size_t>(digits) > lit.size()) return false;
    v = 0;
    for (int d = 0; d < digits; ++d) {
      char ch = lit[pos + static_cast<std::size_t>(d)];
      int x = ch >= '0' && ch <= '9' ? ch - '0' : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : ch >= 'A' && ch <= 'F' ? ch - 'A' + 10 : -1;
      if (x < 0) return false;
      v = v * 16 + static_cast<std::uint32_t>(x);
    }
    return true;
  };
  out.clear();
  for (std::size_t i = 0; i < lit.size(); ++i) {
    char ch = lit[i];
    if (ch == quote) return false;  // unescaped quote inside the literal
    if (ch != '\\') {
      out += ch;
      continue;
    }
    if (++i >= lit.size()) return false;
    std::uint32_t v;
    switch (lit[i]) {
      case 'n': out += '\n'; break;
      case 't': out += '\t'; break;
      case 'r': out += '\r'; break;
      case '0': out += '\0'; break;
      case 'a': out += '\a'; break;
      case 'b': out += '\b'; break;
      case 'f': out += '\f'; break;
      case 'v': out += '\v'; break;
      case '\\': out += '\\'; break;
      case '\'': out += '\''; break;
      case '"': out += '"'; break;
      case 'x':
        if (!hex(i + 1, 2, v)) return false;
        if (is_bytes) out += static_cast<char>(v);
        else append_utf8(out, v);
        i += 2;
        break;
      case 'u':
      case 'U': {
        int digits = lit[i] == 'u' ? 4 : 8;
        if (is_bytes || !hex(i + 1, digits, v) || v > 0x10ffff) return false;
        append_utf8(out, v);
        i += static_cast<std::size_t>(digits);
        break;
      }
      default: return false;
    }
  }
  return true;
}

}  // namespace detail

// World tokenizer: ids 1..65529 from the vocab file, id 0 = end-of-text (no text), ids past the file = no text.
class WorldTokenizer : public TrieTokenizer {
 public:
  static WorldTokenizer load(const std::string& path) { return parse(FileBytes::open(path).text(), path); }

  // Parses vocab text (LF or CRLF). `name` is used in error messages.
  static WorldTokenizer parse(std::string_view text, const std::string& name) {
    // Ids are dense (the World vocabulary numbers its lines 1..65529): an id beyond the line count, or beyond
    // 2^20 tokens, is refused, so a short file cannot make the piece table large.
    const std::size_t lines = static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')) + 1;
    const std::uint64_t max_id = std::min<std::uint64_t>(lines, kMaxTokens);
    std::vector<std::string> pieces(1);  // id 0: end-of-text
    std::size_t line_no = 0;
    std::string bytes;
    while (!text.empty()) {
      auto nl = text.find('\n');
      std::string_view line = text.substr(0, nl);
      text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
      ++line_no;
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (line.empty()) continue;
      auto bad = [&](const std::string& what) {
        detail::fail(Errc::vocab, name + ":" + std::to_string(line_no) + ": " + what + " (expected \"<id> <python literal> <byte length>\")");
      };
      auto first = line.find(' '), last = line.rfind(' ');
      if (first == std::string_view::npos || last <= first) bad("too few fields");
      std::uint64_t id = 0, len = 0;
      if (!parse_uint(line.substr(0, first), id) || id == 0) bad("bad token id");
      if (id > max_id) bad("token id " + std::to_string(id) + " exceeds " + std::to_string(max_id) + " (ids must number the lines densely)");
      if (!parse_uint(line.substr(last + 1), len)) bad("bad byte length");
      if (!detail::parse_python_literal(line.substr(first + 1, last - first - 1), bytes)) bad("malformed token literal");
      if (bytes.size() != len || bytes.empty()) bad("token has " + std::to_string(bytes.size()) + " bytes but the line says " + std::to_string(len));
      if (id >= pieces.size()) pieces.resize(id + 1);
      if (!pieces[id].empty()) bad("token id " + std::to_string(id) + " appears twice");
      pieces[id] = bytes;
    }
    return from_pieces(std::move(pieces), name);
  }

  // Token bytes by id (id 0 and ids with no text empty), as another file keeps them (a GGUF's token list).
  static WorldTokenizer from_pieces(std::vector<std::string> pieces, const std::string& name) {
    if (pieces.size() < 257) detail::fail(Errc::vocab, name + ": holds " + std::to_string(pieces.empty() ? 0 : pieces.size() - 1) + " tokens; not a World vocabulary");
    return WorldTokenizer(std::move(pieces));
  }

 private:
  static constexpr std::uint64_t kMaxTokens = 1u << 20;
  explicit WorldTokenizer(std::vector<std::string> pieces) : TrieTokenizer(std::move(pieces)) {}
  static bool parse_uint(std::string_view s, std::uint64_t& v) {
    if (s.empty() || s.size() > 12) return false;
    v = 0;
    for (char c : s) {
      if (c < '0' || c > '9') return false;
      v = v * 10 + static_cast<std::uint64_t>(c - '0');
    }
    return true;
  }
};

}  // namespace rwkv7
