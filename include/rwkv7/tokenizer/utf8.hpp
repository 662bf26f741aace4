// rwkv7/tokenizer/utf8.hpp — UTF-8 encoding and checked decoding. Ill-formed input is replaced the way every UTF-8
// decoder on the web does it, so a tokenizer sees the same text as the reference implementations.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace rwkv7::detail {

inline void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xc0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xe0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else {
    out += static_cast<char>(0xf0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  }
}

// Length of the well-formed UTF-8 sequence at s[i], or 0 with `maximal` = the length of the longest prefix of one
// (the bytes a decoder replaces by a single U+FFFD, per Unicode §3.9 "maximal subpart" and the WHATWG decoder).
inline std::size_t utf8_sequence(std::string_view s, std::size_t i, std::size_t& maximal) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char b0 = byte(i);
  maximal = 1;
  if (b0 < 0x80) return 1;
  std::size_t need;
  unsigned char lo = 0x80, hi = 0xbf;  // the allowed range of the second byte
  if (b0 >= 0xc2 && b0 <= 0xdf) {
    need = 2;
  } else if (b0 >= 0xe0 && b0 <= 0xef) {
    need = 3;
    if (b0 == 0xe0) lo = 0xa0;  // no overlong forms
    if (b0 == 0xed) hi = 0x9f;  // no surrogates
  } else if (b0 >= 0xf0 && b0 <= 0xf4) {
    need = 4;
    if (b0 == 0xf0) lo = 0x90;
    if (b0 == 0xf4) hi = 0x8f;  // nothing above U+10FFFF
  } else {
    return 0;
  }
  for (std::size_t k = 1; k < need; ++k) {
    if (i + k >= s.size()) return 0;
    const unsigned char b = byte(i + k);
    if (k == 1 ? (b < lo || b > hi) : (b < 0x80 || b > 0xbf)) return 0;
    maximal = k + 1;
  }
  return need;
}

// `text` unchanged when it is well-formed UTF-8, else a copy with each maximal ill-formed subpart replaced by U+FFFD.
inline std::string_view valid_utf8(std::string_view text, std::string& storage) {
  std::size_t i = 0, maximal = 0;
  while (i < text.size()) {
    const std::size_t n = utf8_sequence(text, i, maximal);
    if (n == 0) break;
    i += n;
  }
  if (i == text.size()) return text;
  storage.assign(text.substr(0, i));
  while (i < text.size()) {
    const std::size_t n = utf8_sequence(text, i, maximal);
    if (n == 0) {
      storage += "\xef\xbf\xbd";
      i += maximal;
    } else {
      storage.append(text.substr(i, n));
      i += n;
    }
  }
  return storage;
}

// Decodes the well-formed sequence at s[i] (as checked by utf8_sequence) and advances i.
inline char32_t next_code_point(std::string_view s, std::size_t& i) {
  const auto b = [&](std::size_t k) { return static_cast<char32_t>(static_cast<unsigned char>(s[k])); };
  const char32_t b0 = b(i);
  if (b0 < 0x80) return i += 1, b0;
  if (b0 < 0xe0) return i += 2, ((b0 & 0x1f) << 6) | (b(i - 1) & 0x3f);
  if (b0 < 0xf0) return i += 3, ((b0 & 0x0f) << 12) | ((b(i - 2) & 0x3f) << 6) | (b(i - 1) & 0x3f);
  return i += 4, ((b0 & 0x07) << 18) | ((b(i - 3) & 0x3f) << 12) | ((b(i - 2) & 0x3f) << 6) | (b(i - 1) & 0x3f);
}

}  // namespace rwkv7::detail
