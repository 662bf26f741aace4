// rwkv7/tokenizer/utf8_stream.hpp — turns token bytes into text pieces that never split a UTF-8 character.
// Tokens can end in the middle of a character (byte tokens, the World vocab's bytes literals), so a streaming
// printer must hold back an incomplete tail until the next token completes it.
#pragma once

#include <string>
#include <string_view>

namespace rwkv7 {

class Utf8StreamDecoder {
 public:
  // Adds bytes; returns the text that is now safe to show (possibly empty).
  std::string push(std::string_view bytes) {
    pending_.append(bytes);
    std::size_t cut = complete_prefix(pending_);
    std::string ready = pending_.substr(0, cut);
    pending_.erase(0, cut);
    return ready;
  }

  // End of stream: whatever is held back (an incomplete character) is returned as is, so no byte is lost.
  std::string finish() {
    std::string rest;
    rest.swap(pending_);
    return rest;
  }

 private:
  // Length of the longest prefix that does not end inside a character that could still be completed.
  // Invalid bytes are passed through at once: holding them back could never make them valid.
  static std::size_t complete_prefix(const std::string& s) {
    const std::size_t n = s.size();
    for (std::size_t back = 1; back <= 3 && back <= n; ++back) {
      auto c = static_cast<unsigned char>(s[n - back]);
      if ((c & 0xc0) == 0x80) continue;  // continuation byte: look further back for its lead
      std::size_t need = (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 1;
      return need > back ? n - back : n;  // a lead byte still waiting for continuation bytes is held back
    }
    return n;
  }

  std::string pending_;
};

}  // namespace rwkv7
