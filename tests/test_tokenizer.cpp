// World tokenizer against ids from the independent reference (tools/world_tokenizer_ref.py), byte tokenizer,
// vocabulary parsing errors and the streaming UTF-8 decoder.
#include <doctest/doctest.h>

#include <rwkv7/rwkv7.hpp>

#include "test_util.hpp"

namespace {

const rwkv7::WorldTokenizer& world() {
  static const rwkv7::WorldTokenizer tok = rwkv7::WorldTokenizer::load(test::vocab_path());
  return tok;
}

std::string unhex(const std::string& h) {
  std::string out;
  for (std::size_t i = 0; i + 1 < h.size(); i += 2) out += static_cast<char>(std::stoi(h.substr(i, 2), nullptr, 16));
  return out;
}

bool valid_utf8(const std::string& s) {
  std::size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (std::size_t k = 1; k < n; ++k)
      if ((static_cast<unsigned char>(s[i + k]) & 0xc0) != 0x80) return false;
    i += n;
  }
  return true;
}

}  // namespace

TEST_CASE("World tokenizer gives the reference ids on every case and round-trips the bytes" * doctest::test_suite("world_vocab")) {
  auto cases = nlohmann::json::parse(test::read_bytes(test::data_dir() + "/tokenizer_cases.json"));
  REQUIRE(cases.size() > 1000);
  std::size_t mismatches = 0;
  for (const auto& c : cases) {
    std::string text = unhex(c["hex"].get<std::string>());
    auto ids = world().encode(text);
    if (ids != c["ids"].get<std::vector<rwkv7::Token>>()) {
      if (++mismatches < 5) FAIL_CHECK("ids differ for input hex " << c["hex"].get<std::string>());
    }
    CHECK(world().decode(ids) == text);
  }
  CHECK(mismatches == 0);
}

TEST_CASE("World tokenizer basics the rest of the library relies on" * doctest::test_suite("world_vocab")) {
  const auto& tok = world();
  CHECK(tok.size() == 65530);  // ids 0..65529; id 0 = end-of-text
  CHECK(tok.encode("").empty());
  CHECK(tok.encode("\n\n") == std::vector<rwkv7::Token>{261});
  CHECK(tok.piece(0).empty());
  CHECK(tok.piece(65535).empty());  // model ids past the vocabulary decode to nothing
  CHECK(tok.encode("<|endoftext|>").size() > 1);  // plain bytes, never the special id 0
}

TEST_CASE("a CRLF copy of the vocabulary gives the same tokenizer" * doctest::test_suite("world_vocab")) {
  std::string lf = test::read_bytes(test::vocab_path()), crlf;
  for (char ch : lf) {
    if (ch == '\n') crlf += '\r';
    crlf += ch;
  }
  auto tok = rwkv7::WorldTokenizer::parse(crlf, "crlf-vocab");
  std::string text = "Hello, 世界!\r\n\tcafé  \xf0\x9f\x98\x80 123 * 456 =";
  CHECK(tok.encode(text) == world().encode(text));
}

TEST_CASE("malformed vocabulary lines are reported with the file and line") {
  auto expect_error = [](const std::string& text, const std::string& fragment) {
    try {
      rwkv7::WorldTokenizer::parse(text, "bad.txt");
      FAIL("no error for: " << text);
    } catch (const rwkv7::Error& e) {
      CHECK(e.code() == rwkv7::Errc::vocab);
      CHECK(std::string(e.what()).find(fragment) != std::string::npos);
    }
  };
  expect_error("1 'a' 2\n", "bad.txt:1: token has 1 bytes but the line says 2");
  expect_error("1 'a 1\n", "bad.txt:1: malformed token literal");
  expect_error("x 'a' 1\n", "bad.txt:1: bad token id");
  expect_error("1 b'\\u0041' 1\n", "malformed token literal");
  expect_error("1 'a' 1\n1 'b' 1\n", "bad.txt:2: token id 1 appears twice");
  expect_error("1 'a' 1\n", "not a World vocabulary");
}

TEST_CASE("ByteTokenizer maps every byte to its own id") {
  rwkv7::ByteTokenizer tok;
  std::string all;
  for (int b = 0; b < 256; ++b) all += static_cast<char>(b);
  auto ids = tok.encode(all);
  REQUIRE(ids.size() == 256);
  for (int b = 0; b < 256; ++b) CHECK(ids[static_cast<std::size_t>(b)] == static_cast<rwkv7::Token>(b));
  CHECK(tok.decode(ids) == all);
}

TEST_CASE("streaming decoder never splits a UTF-8 character and loses no byte" * doctest::test_suite("world_vocab")) {
  const auto& tok = world();
  std::vector<std::string> texts = {"你好，世界！🙂 emoji 👩‍👩‍👧 and ÆØÅ", "\xe4\xbd", "plain ascii", "\x80\x80 stray \xff bytes \xe4"};
  for (const auto& text : texts) {
    CAPTURE(text);
    // Byte tokens split characters on purpose: feed one byte per token, the hardest case.
    for (int bytewise = 0; bytewise < 2; ++bytewise) {
      rwkv7::Utf8StreamDecoder dec;
      std::string joined;
      std::vector<std::string> pieces;
      if (bytewise) {
        for (char ch : text) pieces.push_back(dec.push(std::string(1, ch)));
      } else {
        for (auto id : tok.encode(text)) pieces.push_back(dec.push(tok.piece(id)));
      }
      pieces.push_back(dec.finish());
      for (const auto& p : pieces) joined += p;
      CHECK(joined == text);
      if (valid_utf8(text))
        for (const auto& p : pieces) CHECK(valid_utf8(p));
    }
  }
}

TEST_CASE("a custom vocabulary without some single bytes reports the byte it cannot encode") {
  rwkv7::TrieTokenizer tok({"", "a", "b", "ab"});
  CHECK(tok.encode("abba") == std::vector<rwkv7::Token>{3, 2, 1});
  CHECK_THROWS_WITH_AS(tok.encode("abc"), "rwkv7 [argument] encode: the vocabulary has no token for byte 99 at offset 2", rwkv7::Error);
}
