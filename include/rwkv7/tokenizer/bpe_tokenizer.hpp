// rwkv7/tokenizer/bpe_tokenizer.hpp — byte-level BPE read from a Hugging Face tokenizer.json, as the Qwen2, Qwen2.5
// and Qwen3 models (and the PRWKV-7 models distilled from them) ship it. Encoding is, in order: added tokens cut
// out of the raw text (leftmost, longest), NFC on the rest, the Qwen2 split (qwen2_split.hpp), then the merges
// applied by rank to each piece's bytes. No BOS is added. Decoding maps ids back to bytes.
//
// The file is untrusted: every field it uses is checked, and whatever this tokenizer would not reproduce exactly
// (another normalizer, pre-tokenizer or model type, stripping added tokens …) is refused by name.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "../error.hpp"
#include "../io/file_bytes.hpp"
#include "../io/json_limits.hpp"
#include "qwen2_split.hpp"
#include "tokenizer.hpp"
#include "unicode.hpp"
#include "utf8.hpp"

namespace rwkv7 {
namespace detail {

// GPT-2's byte-level alphabet: printable bytes stand for themselves, the other 68 bytes (controls, space, DEL,
// NBSP, soft hyphen …) for U+0100 upward in byte order, so every byte string is a printable vocabulary entry.
inline std::array<char32_t, 256> byte_level_alphabet() {
  std::array<char32_t, 256> to{};
  char32_t next = 0x100;
  for (unsigned b = 0; b < 256; ++b) {
    const bool printable = (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae);
    to[b] = printable ? b : next++;
  }
  return to;
}

}  // namespace detail

class BpeTokenizer final : public Tokenizer {
 public:
  static BpeTokenizer load(const std::string& path) { return parse(FileBytes::open(path).text(), path); }

  // Parses tokenizer.json text; `name` is used in error messages.
  static BpeTokenizer parse(std::string_view json_text, const std::string& name) {
    // tokenizer.json holds ~2 JSON values per vocabulary entry and 1–3 per merge; Qwen's has 0.6 M values in 7 MB.
    const auto j = detail::parse_json_limited(json_text, name, "tokenizer.json", {8, json_text.size() / 2 + 64});
    BpeTokenizer t;
    t.read(j, name);
    return t;
  }

  std::vector<Token> encode(std::string_view raw) const override {
    std::vector<Token> out;
    std::string valid_storage, nfc_storage;
    const std::string_view text = detail::valid_utf8(raw, valid_storage);
    out.reserve(text.size() / 3 + 1);
    Scratch s;
    std::size_t plain = 0;  // start of the text not yet encoded
    for (std::size_t i = 0; i < text.size();) {
      const auto [len, id] = added_at(text, i);
      if (len == 0) {
        ++i;
        continue;
      }
      encode_plain(text.substr(plain, i - plain), s, nfc_storage, out);
      out.push_back(id);
      i += len;
      plain = i;
    }
    encode_plain(text.substr(plain), s, nfc_storage, out);
    return out;
  }

  std::string_view piece(Token id) const override { return id < pieces_.size() ? std::string_view(pieces_[id]) : std::string_view(); }
  std::size_t size() const override { return pieces_.size(); }
  std::optional<Token> end_of_text() const override { return special_token("<|endoftext|>"); }
  std::optional<Token> special_token(std::string_view text) const override {
    for (const auto& a : added_)
      if (a.text == text) return a.id;
    return std::nullopt;
  }

 private:
  struct Added {
    std::string text;
    Token id;
  };
  struct Merge {
    std::uint32_t rank;
    Token merged;
  };
  struct Symbol {
    Token id;
    std::int32_t prev, next;  // -1 at the ends; a merged-away symbol has id == kGone
  };
  struct Candidate {
    std::uint32_t rank;
    std::int32_t left;
    Token left_id, right_id, merged;
    // A min-heap on (rank, position): the lowest rank first, the leftmost of equal ranks first.
    bool operator<(const Candidate& o) const { return rank != o.rank ? rank > o.rank : left > o.left; }
  };
  struct Scratch {
    detail::Qwen2Split split;
    std::vector<Symbol> symbols;
    std::vector<Candidate> heap;
  };
  static constexpr Token kGone = ~Token{0};
  static constexpr std::size_t kMaxTokens = 1u << 22;

  static std::uint64_t pair_key(Token a, Token b) { return (static_cast<std::uint64_t>(a) << 32) | b; }

  // The added token starting at text[i], longest first: (its byte length, its id), or (0, 0).
  std::pair<std::size_t, Token> added_at(std::string_view text, std::size_t i) const {
    if (!added_first_byte_[static_cast<unsigned char>(text[i])]) return {0, 0};
    std::size_t best = 0;
    Token id = 0;
    for (const auto& a : added_)
      if (a.text.size() > best && text.compare(i, a.text.size(), a.text) == 0) best = a.text.size(), id = a.id;
    return {best, id};
  }

  void encode_plain(std::string_view text, Scratch& s, std::string& nfc_storage, std::vector<Token>& out) const {
    if (text.empty()) return;
    if (nfc_) text = detail::nfc(text, nfc_storage);
    s.split.run(text, [&](std::string_view word) { bpe(word, s, out); });
  }

  // Applies the merges to one piece, lowest rank first (leftmost among equals), until no adjacent pair merges.
  void bpe(std::string_view word, Scratch& s, std::vector<Token>& out) const {
    if (word.size() == 1) {
      out.push_back(byte_token_[static_cast<unsigned char>(word[0])]);
      return;
    }
    if (ignore_merges_)
      if (auto it = whole_word_.find(std::string(word)); it != whole_word_.end()) {
        out.push_back(it->second);
        return;
      }
    auto& sym = s.symbols;
    auto& heap = s.heap;
    sym.clear();
    heap.clear();
    const auto n = static_cast<std::int32_t>(word.size());
    for (std::int32_t k = 0; k < n; ++k) sym.push_back({byte_token_[static_cast<unsigned char>(word[static_cast<std::size_t>(k)])], k - 1, k + 1 < n ? k + 1 : -1});
    auto consider = [&](std::int32_t left) {
      if (left < 0 || sym[static_cast<std::size_t>(left)].next < 0) return;
      const Token a = sym[static_cast<std::size_t>(left)].id, b = sym[static_cast<std::size_t>(sym[static_cast<std::size_t>(left)].next)].id;
      const auto it = merges_.find(pair_key(a, b));
      if (it == merges_.end()) return;
      heap.push_back({it->second.rank, left, a, b, it->second.merged});
      std::push_heap(heap.begin(), heap.end());
    };
    for (std::int32_t k = 0; k + 1 < n; ++k) consider(k);
    while (!heap.empty()) {
      std::pop_heap(heap.begin(), heap.end());
      const Candidate c = heap.back();
      heap.pop_back();
      Symbol& left = sym[static_cast<std::size_t>(c.left)];
      // Stale when either side has merged since this candidate was queued.
      if (left.id != c.left_id || left.next < 0 || sym[static_cast<std::size_t>(left.next)].id != c.right_id) continue;
      Symbol& right = sym[static_cast<std::size_t>(left.next)];
      left.id = c.merged;
      right.id = kGone;
      left.next = right.next;
      if (right.next >= 0) sym[static_cast<std::size_t>(right.next)].prev = c.left;
      consider(left.prev);
      consider(c.left);
    }
    for (std::int32_t k = 0; k >= 0; k = sym[static_cast<std::size_t>(k)].next) out.push_back(sym[static_cast<std::size_t>(k)].id);
  }

  void read(const nlohmann::json& j, const std::string& name) {
    auto bad = [&](const std::string& what) { detail::fail(Errc::vocab, name + ": " + what); };
    auto text_of = [&](const nlohmann::json& v, const std::string& where) -> std::string {
      if (!v.is_string()) bad(where + " is not a string");
      return v.get<std::string>();
    };
    auto flag = [](const nlohmann::json& obj, const char* key) { return obj.contains(key) && obj[key].is_boolean() && obj[key].get<bool>(); };
    auto empty_or_null = [](const nlohmann::json& obj, const char* key) {
      return !obj.contains(key) || obj[key].is_null() || (obj[key].is_string() && obj[key].get<std::string>().empty());
    };
    if (!j.is_object()) bad("not a tokenizer.json object");

    // The model: byte-level BPE only (no unknown-token fallback, suffixes or dropout).
    if (!j.contains("model") || !j["model"].is_object()) bad("has no \"model\" object");
    const auto& m = j["model"];
    if (!m.contains("type") || m["type"] != "BPE") bad("model.type is " + (m.contains("type") ? m["type"].dump() : std::string("missing")) + "; only \"BPE\" is supported");
    if (flag(m, "byte_fallback")) bad("model.byte_fallback is true; only byte-level BPE without fallback is supported");
    if (!empty_or_null(m, "continuing_subword_prefix") || !empty_or_null(m, "end_of_word_suffix")) bad("model has a subword prefix or end-of-word suffix; byte-level BPE has none");
    if (m.contains("dropout") && !m["dropout"].is_null() && !(m["dropout"].is_number() && m["dropout"].get<double>() == 0.0)) bad("model.dropout is set; encoding would not be deterministic");
    ignore_merges_ = flag(m, "ignore_merges");

    // Normalizer: none or NFC.
    if (j.contains("normalizer") && !j["normalizer"].is_null()) {
      const auto& nz = j["normalizer"];
      if (!nz.is_object() || nz.value("type", "") != "NFC") bad("normalizer " + nz.dump().substr(0, 80) + " is not supported (only NFC or none)");
      nfc_ = true;
    }

    // Pre-tokenizer: the Qwen2 split, then the byte-level alphabet without its own regex or prefix space.
    bool split_ok = false, bytes_ok = false;
    if (j.contains("pre_tokenizer") && j["pre_tokenizer"].is_object() && j["pre_tokenizer"].value("type", "") == "Sequence" &&
        j["pre_tokenizer"].contains("pretokenizers") && j["pre_tokenizer"]["pretokenizers"].is_array() && j["pre_tokenizer"]["pretokenizers"].size() == 2) {
      const auto& split = j["pre_tokenizer"]["pretokenizers"][0];
      const auto& bytes = j["pre_tokenizer"]["pretokenizers"][1];
      split_ok = split.is_object() && split.value("type", "") == "Split" && split.contains("pattern") && split["pattern"].is_object() &&
                 split["pattern"].contains("Regex") && split["pattern"]["Regex"] == detail::kQwen2SplitPattern &&
                 split.value("behavior", "") == "Isolated" && !flag(split, "invert");
      bytes_ok = bytes.is_object() && bytes.value("type", "") == "ByteLevel" && !flag(bytes, "add_prefix_space") && bytes.contains("use_regex") &&
                 bytes["use_regex"].is_boolean() && !bytes["use_regex"].get<bool>();
    }
    if (!split_ok || !bytes_ok)
      bad("pre_tokenizer is not the Qwen2 one (a Split on the Qwen2 regex, behavior Isolated, then ByteLevel with use_regex false and no prefix space)");
    if (j.contains("post_processor") && !j["post_processor"].is_null() && j["post_processor"].value("type", "") != "ByteLevel")
      bad("post_processor " + j["post_processor"].value("type", std::string("?")) + " would add tokens; only ByteLevel or none is supported");

    // Vocabulary: byte-level strings, decoded to the bytes each id stands for.
    if (!m.contains("vocab") || !m["vocab"].is_object()) bad("model.vocab is not an object");
    const auto alphabet = detail::byte_level_alphabet();
    std::unordered_map<char32_t, unsigned char> byte_of;
    for (unsigned b = 0; b < 256; ++b) byte_of[alphabet[b]] = static_cast<unsigned char>(b);
    const std::size_t max_id = std::min<std::size_t>(kMaxTokens, m["vocab"].size() + (j.contains("added_tokens") && j["added_tokens"].is_array() ? j["added_tokens"].size() : 0));
    std::unordered_map<std::string, Token> id_of;  // byte-level spelling -> id
    id_of.reserve(m["vocab"].size());
    std::vector<bool> taken;
    auto claim = [&](const nlohmann::json& v, const std::string& what) -> Token {
      if (!v.is_number_unsigned() || v.get<std::uint64_t>() >= max_id)
        bad(what + " has id " + v.dump() + "; ids must be below " + std::to_string(max_id) + " (the number of entries)");
      const auto id = static_cast<Token>(v.get<std::uint64_t>());
      if (id >= pieces_.size()) pieces_.resize(id + 1), taken.resize(id + 1);
      if (taken[id]) bad(what + " reuses id " + std::to_string(id));
      taken[id] = true;
      return id;
    };
    for (const auto& [spelling, v] : m["vocab"].items()) {
      const Token id = claim(v, "vocabulary entry " + nlohmann::json(spelling).dump());
      std::string bytes;
      std::string_view s = spelling;
      std::size_t maximal = 0;
      for (std::size_t i = 0; i < s.size();) {
        if (detail::utf8_sequence(s, i, maximal) == 0) bad("vocabulary entry for id " + std::to_string(id) + " is not UTF-8");
        const auto it = byte_of.find(detail::next_code_point(s, i));
        if (it == byte_of.end()) bad("vocabulary entry " + nlohmann::json(spelling).dump() + " has a character outside the byte-level alphabet");
        bytes += static_cast<char>(it->second);
      }
      if (bytes.empty()) bad("vocabulary has an empty entry");
      pieces_[id] = std::move(bytes);
      id_of.emplace(spelling, id);
    }
    for (unsigned b = 0; b < 256; ++b) {
      std::string spelling;
      detail::append_utf8(spelling, alphabet[b]);
      const auto it = id_of.find(spelling);
      if (it == id_of.end()) bad("vocabulary has no token for byte " + std::to_string(b) + " (" + spelling + "); byte-level BPE needs all 256");
      byte_token_[b] = it->second;
    }

    // Merges: "a b" strings (tokenizers < 0.20) or ["a", "b"] pairs; both halves and their concatenation are tokens.
    if (!m.contains("merges") || !m["merges"].is_array()) bad("model.merges is not an array");
    merges_.reserve(m["merges"].size());
    std::uint32_t rank = 0;
    for (const auto& e : m["merges"]) {
      const std::string where = "merge " + std::to_string(rank);
      std::string a, b;
      if (e.is_array() && e.size() == 2) {
        a = text_of(e[0], where), b = text_of(e[1], where);
      } else if (e.is_string()) {
        const std::string s = e.get<std::string>();
        const auto space = s.find(' ');
        if (space == std::string::npos || s.find(' ', space + 1) != std::string::npos) bad(where + " " + e.dump() + " is not \"left right\"");
        a = s.substr(0, space), b = s.substr(space + 1);
      } else {
        bad(where + " is neither a \"left right\" string nor a pair");
      }
      const auto ia = id_of.find(a), ib = id_of.find(b), iab = id_of.find(a + b);
      if (ia == id_of.end() || ib == id_of.end() || iab == id_of.end())
        bad(where + " (" + a + " " + b + ") names a token the vocabulary lacks");
      merges_.emplace(pair_key(ia->second, ib->second), Merge{rank, iab->second});  // the first (lowest) rank wins
      ++rank;
    }
    if (ignore_merges_)
      for (const auto& [spelling, id] : id_of) whole_word_.emplace(pieces_[id], id);

    // Added tokens: matched in the raw text before anything else, their text is their bytes.
    if (j.contains("added_tokens")) {
      if (!j["added_tokens"].is_array()) bad("added_tokens is not an array");
      for (const auto& a : j["added_tokens"]) {
        if (!a.is_object() || !a.contains("content") || !a.contains("id")) bad("an added token lacks content or id");
        const std::string content = text_of(a["content"], "added token content");
        const std::string what = "added token " + nlohmann::json(content).dump();
        if (content.empty()) bad(what + " is empty");
        if (flag(a, "lstrip") || flag(a, "rstrip") || flag(a, "single_word") || flag(a, "normalized"))
          bad(what + " sets lstrip, rstrip, single_word or normalized; only tokens matched verbatim are supported");
        std::size_t maximal = 0;
        for (std::size_t i = 0; i < content.size(); i += detail::utf8_sequence(content, i, maximal))
          if (detail::utf8_sequence(content, i, maximal) == 0) bad(what + " is not UTF-8");
        const auto v = a["id"];
        Token id;
        if (v.is_number_unsigned() && v.get<std::uint64_t>() < pieces_.size() && taken[v.get<std::uint64_t>()] && pieces_[v.get<std::uint64_t>()] == content) {
          id = static_cast<Token>(v.get<std::uint64_t>());  // also spelled in the vocabulary, as some files do
        } else {
          id = claim(v, what);
        }
        pieces_[id] = content;
        added_.push_back({content, id});
        added_first_byte_[static_cast<unsigned char>(content[0])] = true;
      }
    }
  }

  std::vector<std::string> pieces_;  // bytes by id
  std::array<Token, 256> byte_token_{};
  std::unordered_map<std::uint64_t, Merge> merges_;
  std::unordered_map<std::string, Token> whole_word_;  // bytes -> id, only with ignore_merges
  std::vector<Added> added_;
  std::array<bool, 256> added_first_byte_{};
  bool nfc_ = false;
  bool ignore_merges_ = false;
};

}  // namespace rwkv7
