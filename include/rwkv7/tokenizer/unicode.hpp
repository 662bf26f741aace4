// rwkv7/tokenizer/unicode.hpp — the Unicode properties a Hugging Face tokenizer needs before BPE: general categories
// and NFC, from ICU (link ICU::uc). Only the byte-level BPE tokenizer includes this header.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <unicode/bytestream.h>
#include <unicode/normalizer2.h>
#include <unicode/stringpiece.h>
#include <unicode/uchar.h>

#include "../error.hpp"
#include "utf8.hpp"

namespace rwkv7::detail {

inline bool is_letter(char32_t c) {
  if (c < 0x80) return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
  return (U_GET_GC_MASK(static_cast<UChar32>(c)) & U_GC_L_MASK) != 0;
}

inline bool is_number(char32_t c) {
  if (c < 0x80) return c >= '0' && c <= '9';
  return (U_GET_GC_MASK(static_cast<UChar32>(c)) & U_GC_N_MASK) != 0;
}

// `text` in Normalization Form C (text must be well-formed UTF-8). Code points below U+0300 are never changed by
// NFC, so text made only of them (lead bytes below 0xCC) is returned as it is.
inline std::string_view nfc(std::string_view text, std::string& storage) {
  bool below_u0300 = true;
  for (char ch : text) below_u0300 &= static_cast<unsigned char>(ch) < 0xcc;
  if (below_u0300) return text;
  if (text.size() > 0x7fffffff) fail(Errc::argument, "encode: a text segment of 2 GiB or more cannot be normalized");
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* form = icu::Normalizer2::getNFCInstance(status);
  if (U_FAILURE(status)) fail(Errc::argument, std::string("ICU has no NFC data: ") + u_errorName(status));
  const icu::StringPiece piece(text.data(), static_cast<std::int32_t>(text.size()));
  if (form->isNormalizedUTF8(piece, status) && U_SUCCESS(status)) return text;
  status = U_ZERO_ERROR;
  storage.clear();
  icu::StringByteSink<std::string> sink(&storage, static_cast<std::int32_t>(text.size()));
  form->normalizeUTF8(0, piece, sink, nullptr, status);
  if (U_FAILURE(status)) fail(Errc::argument, std::string("NFC normalization failed: ") + u_errorName(status));
  return storage;
}

}  // namespace rwkv7::detail
