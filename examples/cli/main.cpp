// rwkv7 — command-line front end: inspect a checkpoint, tokenize, dump logits, generate text.
// Exit codes: 0 ok, 1 unreadable or invalid model/vocab, 2 bad command line.
#include <rwkv7/rwkv7.hpp>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>

namespace {

const char* kUsage =
    "usage:\n"
    "  rwkv7 info --model M\n"
    "  rwkv7 tokenize --vocab V (--text S | --file F)\n"
    "  rwkv7 logits --model M --tokens 1,2,3 --at 0,2 --out F [--mode token|sequence]\n"
    "  rwkv7 generate --model M [--vocab V] --prompt P [--max-tokens N] [--temperature T] [--top-p P] [--top-k K] [--seed S]\n"
    "M: a .pth, a .safetensors, or an HF folder with model.safetensors. V: rwkv_vocab_v20230424.txt.\n";

struct UsageError {
  std::string message;
};

// --flag value pairs, checked against the flags each command accepts.
class Args {
 public:
  Args(int argc, char** argv, int first, const std::set<std::string>& allowed) {
    for (int i = first; i < argc; ++i) {
      std::string flag = argv[i];
      if (!allowed.count(flag)) throw UsageError{"unknown option " + flag};
      if (i + 1 >= argc) throw UsageError{flag + " needs a value"};
      if (values_.count(flag)) throw UsageError{flag + " given twice"};
      values_[flag] = argv[++i];
    }
  }
  bool has(const std::string& f) const { return values_.count(f) != 0; }
  std::string get(const std::string& f) const {
    auto it = values_.find(f);
    if (it == values_.end()) throw UsageError{"missing " + f};
    return it->second;
  }
  std::string get(const std::string& f, const std::string& fallback) const { return has(f) ? get(f) : fallback; }

  std::uint64_t integer(const std::string& f, std::uint64_t fallback, std::uint64_t max) const {
    if (!has(f)) return fallback;
    return parse_uint(get(f), f, max);
  }
  float real(const std::string& f, float fallback, float lo, float hi) const {
    if (!has(f)) return fallback;
    std::string s = get(f);
    std::istringstream in(s);
    in.imbue(std::locale::classic());
    float v;
    if (!(in >> v) || !in.eof() || !(v >= lo && v <= hi)) throw UsageError{f + " must be a number in [" + fmt(lo) + ", " + fmt(hi) + "], got '" + s + "'"};
    return v;
  }
  static std::uint64_t parse_uint(const std::string& s, const std::string& what, std::uint64_t max) {
    if (s.empty() || s.size() > 19 || s.find_first_not_of("0123456789") != std::string::npos) throw UsageError{what + ": '" + s + "' is not a non-negative integer"};
    std::uint64_t v = std::stoull(s);
    if (v > max) throw UsageError{what + ": " + s + " exceeds " + std::to_string(max)};
    return v;
  }
  static std::vector<std::uint64_t> list(const std::string& s, const std::string& what, std::uint64_t max) {
    std::vector<std::uint64_t> out;
    std::size_t start = 0;
    while (true) {
      auto comma = s.find(',', start);
      out.push_back(parse_uint(s.substr(start, comma - start), what, max));
      if (comma == std::string::npos) return out;
      start = comma + 1;
    }
  }

 private:
  static std::string fmt(float v) {
    std::ostringstream o;
    o << v;
    return o.str();
  }
  std::map<std::string, std::string> values_;
};

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw rwkv7::Error(rwkv7::Errc::io, path + ": cannot open file");
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

int cmd_info(const Args& a) {
  auto model = rwkv7::Model::load(a.get("--model"));
  const auto& c = model.config();
  nlohmann::ordered_json j = {{"n_layer", c.n_layer},       {"n_embd", c.n_embd},         {"n_head", c.n_head},
                      {"head_size", c.head_size},   {"dim_ffn", c.dim_ffn},       {"vocab_size", c.vocab_size},
                      {"lora_w", c.lora_w},         {"lora_a", c.lora_a},         {"lora_v", c.lora_v},
                      {"lora_g", c.lora_g},         {"layer_norm_eps", c.layer_norm_eps},
                      {"group_norm_eps", c.group_norm_eps}, {"format", c.format}, {"naming", c.naming},
                      {"dtype", c.dtype},           {"arch", "x070"}};
  std::cout << j.dump() << "\n";
  return 0;
}

int cmd_tokenize(const Args& a) {
  if (a.has("--text") == a.has("--file")) throw UsageError{"give exactly one of --text and --file"};
  auto tok = rwkv7::WorldTokenizer::load(a.get("--vocab"));
  std::string text = a.has("--text") ? a.get("--text") : read_file(a.get("--file"));
  std::cout << nlohmann::json(tok.encode(text)).dump() << "\n";
  return 0;
}

int cmd_logits(const Args& a) {
  std::string mode = a.get("--mode", "token");
  if (mode != "token" && mode != "sequence") throw UsageError{"--mode must be token or sequence"};
  auto tokens64 = Args::list(a.get("--tokens"), "--tokens", UINT32_MAX);
  auto at = Args::list(a.get("--at"), "--at", tokens64.size() - 1);
  std::string out_path = a.get("--out");
  auto model = rwkv7::Model::load(a.get("--model"));
  const auto V = static_cast<std::size_t>(model.config().vocab_size);
  std::vector<rwkv7::Token> tokens;
  for (auto t : tokens64) {
    if (t >= V) throw UsageError{"--tokens: " + std::to_string(t) + " is outside the model's vocabulary of " + std::to_string(V)};
    tokens.push_back(static_cast<rwkv7::Token>(t));
  }

  // Logits at each wanted position, computed once; chunks between wanted positions go through sequence mode.
  std::map<std::size_t, std::vector<float>> rows;
  for (auto p : at) rows[static_cast<std::size_t>(p)];
  rwkv7::State state = model.new_state();
  std::size_t done = 0;
  for (auto& [pos, row] : rows) {
    if (mode == "sequence") {
      row = model.forward(std::span<const rwkv7::Token>(tokens.data() + done, pos + 1 - done), state);
    } else {
      for (std::size_t t = done; t <= pos; ++t) row = model.forward(tokens[t], state);
    }
    done = pos + 1;
  }
  std::ofstream out(out_path, std::ios::binary);
  for (auto p : at) out.write(reinterpret_cast<const char*>(rows[static_cast<std::size_t>(p)].data()), static_cast<std::streamsize>(V * sizeof(float)));
  if (!out.flush()) throw rwkv7::Error(rwkv7::Errc::io, out_path + ": cannot write");
  return 0;
}

int cmd_generate(const Args& a) {
  rwkv7::SamplerOptions so;
  so.temperature = a.real("--temperature", 1.0f, 0.0f, 100.0f);
  so.top_p = a.real("--top-p", 1.0f, 0.0f, 1.0f);
  so.top_k = static_cast<int>(a.integer("--top-k", 0, 1u << 30));
  so.seed = a.integer("--seed", 0, UINT64_MAX);
  auto max_tokens = a.integer("--max-tokens", 100, 1u << 30);
  std::string prompt = a.get("--prompt");
  auto model = rwkv7::Model::load(a.get("--model"));

  std::optional<rwkv7::WorldTokenizer> world;
  std::optional<rwkv7::ByteTokenizer> bytes;
  const rwkv7::Tokenizer* tok;
  if (a.has("--vocab")) {
    world = rwkv7::WorldTokenizer::load(a.get("--vocab"));
    tok = &*world;
  } else if (model.config().vocab_size == 256) {
    bytes.emplace();
    tok = &*bytes;
  } else {
    throw UsageError{"this model has a " + std::to_string(model.config().vocab_size) + "-token vocabulary: pass --vocab"};
  }

  auto ids = tok->encode(prompt);
  if (ids.empty()) ids.push_back(0);  // an empty prompt starts a fresh document
  rwkv7::State state = model.new_state();
  rwkv7::Sampler sampler(so);
  rwkv7::Utf8StreamDecoder text;
  auto logits = model.forward(ids, state);
  for (std::uint64_t n = 0; n < max_tokens; ++n) {
    rwkv7::Token next = sampler.sample(logits);
    if (next == 0) break;  // end of text
    std::cout << text.push(tok->piece(next)) << std::flush;
    logits = model.forward(next, state);
  }
  std::cout << text.finish() << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::map<std::string, std::pair<int (*)(const Args&), std::set<std::string>>> commands = {
      {"info", {cmd_info, {"--model"}}},
      {"tokenize", {cmd_tokenize, {"--vocab", "--text", "--file"}}},
      {"logits", {cmd_logits, {"--model", "--tokens", "--at", "--out", "--mode"}}},
      {"generate", {cmd_generate, {"--model", "--vocab", "--prompt", "--max-tokens", "--temperature", "--top-p", "--top-k", "--seed"}}},
  };
  try {
    if (argc < 2) throw UsageError{"missing command"};
    std::string name = argv[1];
    if (name == "--help" || name == "-h" || name == "help") {
      std::cout << kUsage;
      return 0;
    }
    auto it = commands.find(name);
    if (it == commands.end()) throw UsageError{"unknown command '" + name + "'"};
    Args args(argc, argv, 2, it->second.second);
    return it->second.first(args);
  } catch (const UsageError& e) {
    std::cerr << "rwkv7: " << e.message << "\n" << kUsage;
    return 2;
  } catch (const rwkv7::Error& e) {
    std::cerr << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "rwkv7: " << e.what() << "\n";
    return 1;
  }
}
