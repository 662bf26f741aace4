// rwkv7 — command-line front end: inspect a checkpoint, tokenize, dump logits, generate text.
// Exit codes: 0 ok, 1 unreadable or invalid model/vocab, 2 bad command line.
#include <rwkv7/dispatch.hpp>
#include <rwkv7/generate/chat_template.hpp>
#include <rwkv7/rwkv7.hpp>
#include <rwkv7/tokenizer/load_tokenizer.hpp>

#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <span>
#include <sstream>
#include <thread>
#include <unistd.h>
#if __has_include(<sys/mman.h>)
#include <sys/mman.h>
#endif
#include <unordered_map>

namespace {

// The CLI holds every x86-64 level's kernels (it links rwkv7::dispatch) and runs the widest this CPU has.
using Model = rwkv7::DispatchModel;
using Generator = rwkv7::BasicGenerator<Model>;

// Resume data from a state file: JSON of bounded size and nesting (the file is untrusted).
nlohmann::json parse_resume_data(const std::string& text, const std::string& path) {
  if (text.size() > (1u << 20)) throw rwkv7::Error(rwkv7::Errc::state, path + ": resume data is larger than 1 MiB");
  try {
    return nlohmann::json::parse(text, [](int depth, nlohmann::json::parse_event_t, nlohmann::json&) {
      if (depth > 8) throw std::runtime_error("nested deeper than 8 levels");
      return true;
    });
  } catch (const std::exception& e) {
    throw rwkv7::Error(rwkv7::Errc::state, path + ": resume data is not valid: " + e.what());
  }
}


const char* kUsage =
    "usage:\n"
    "  rwkv7 info --model M\n"
    "  rwkv7 tokenize (--tokenizer T | --vocab V) (--text S | --file F)\n"
    "  rwkv7 logits --model M --tokens 1,2,3 --at 0,2 --out F [--mode token|sequence]\n"
    "  rwkv7 generate --model M [--tokenizer T] --prompt P [--template C [--system S]] [--max-tokens N] [SAMPLING]\n"
    "                 [--stop S]... [--allow-tokens LIST] [--save-state F] [--load-state F]\n"
    "  rwkv7 chat --model M --tokenizer T [--template C] [--system S] [--max-tokens N] [SAMPLING]\n"
    "                 (type /save F, /load F, /reset, /quit)\n"
    "  rwkv7 bench --model M [--threads N] [--tokens N] [--prefill N] [--text F [--tokenizer T] [--accuracy-tokens N]]\n"
    "  rwkv7 eval lambada --model M [--tokenizer T] --file lambada_test.jsonl [--limit N]   (perplexity, accuracy)\n"
    "  rwkv7 ppl --model M [--tokenizer T] --file F   (perplexity of a plain text)\n"
    "Any command that takes --model also takes --quant none|int8 (int8: large matrices quantized at load),\n"
    "--activations f32|bf16|int8 (how activations enter the matrix products: f32 exact; bf16 rounded before products\n"
    "    with bf16 weights; int8 quantized in blocks of 64 before products with int8 weights, needs --quant int8)\n"
    "--check-finite yes|no (yes: refuse weights holding NaN or infinity, at the cost of reading the file once)\n"
    "and --isa best|sse2|avx2|avx512|avx512_bf16|neon64 (the kernels' instruction set; best: the widest this CPU runs;\n"
    "others only where the program holds them, i.e. when linked with rwkv7::dispatch). bench --text compares\n"
    "such a model with the exact one over the text's tokens.\n"
    "logits, generate, chat and bench take --threads N (results do not depend on it).\n"
    "SAMPLING: [--temperature T] [--top-p P] [--top-k K] [--min-p P] [--presence-penalty X] [--frequency-penalty X]\n"
    "          [--penalty-decay D] [--seed S]\n"
    "M: a .pth, a .safetensors, a llama.cpp .gguf, or an HF folder with model.safetensors (or its shards' index).\n"
    "T: rwkv_vocab_v20230424.txt (World), or a Hugging Face tokenizer.json or its folder (Qwen, for PRWKV-7 models);\n"
    "   --vocab V is the same option. A GGUF model that carries its tokenizer, or one with a 256-token vocabulary\n"
    "   (bytes), needs none.\n"
    "C: a chat template, world or qwen; chat defaults to the one the tokenizer implies (tokenizer_config.json beside\n"
    "   a tokenizer.json), and to the template's suggested sampling. generate --template wraps P as one user turn.\n";

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
      if (values_.count(flag) && flag != "--stop") throw UsageError{flag + " given twice"};
      if (flag == "--stop") stops_.push_back(argv[i + 1]);
      values_[flag] = argv[++i];
    }
  }
  const std::vector<std::string>& stops() const { return stops_; }
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
    if (s.empty() || s.find_first_not_of("0123456789") != std::string::npos) throw UsageError{what + ": '" + s + "' is not a non-negative integer"};
    std::uint64_t v = 0;
    for (char c : s) {
      const auto digit = static_cast<std::uint64_t>(c - '0');
      if (digit > max || v > (max - digit) / 10) throw UsageError{what + ": " + s + " exceeds " + std::to_string(max)};
      v = v * 10 + digit;
    }
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
  std::vector<std::string> stops_;
};

const std::set<std::string> kSamplingFlags = {"--temperature", "--top-p", "--top-k", "--min-p", "--presence-penalty",
                                              "--frequency-penalty", "--penalty-decay", "--seed"};

std::set<std::string> with_sampling(std::set<std::string> flags) {
  flags.insert(kSamplingFlags.begin(), kSamplingFlags.end());
  return flags;
}

rwkv7::SamplerOptions sampler_options(const Args& a, rwkv7::SamplerOptions d) {
  d.temperature = a.real("--temperature", d.temperature, 0.0f, 100.0f);
  d.top_p = a.real("--top-p", d.top_p, 0.0f, 1.0f);
  d.top_k = static_cast<int>(a.integer("--top-k", static_cast<std::uint64_t>(d.top_k), 1u << 30));
  d.min_p = a.real("--min-p", d.min_p, 0.0f, 1.0f);
  d.presence_penalty = a.real("--presence-penalty", d.presence_penalty, -100.0f, 100.0f);
  d.frequency_penalty = a.real("--frequency-penalty", d.frequency_penalty, -100.0f, 100.0f);
  d.penalty_decay = a.real("--penalty-decay", d.penalty_decay, 0.0f, 1.0f);
  d.seed = a.integer("--seed", d.seed, UINT64_MAX);
  return d;
}

// What a saved generation needs besides the model state, kept in the state file's extra bytes.
std::string resume_data(const Generator& g) {
  nlohmann::json occ = nlohmann::json::array();
  for (auto& [t, n] : g.sampler().occurrence()) occ.push_back({t, n});
  return nlohmann::json{{"pending", g.pending()}, {"rng", std::to_string(g.sampler().rng_state())}, {"occurrence", occ}}.dump();
}

void restore(Generator& g, const Model& model, const std::string& path, bool keep_seed) {
  std::string extra;
  rwkv7::State state = rwkv7::load_state(path, model.config(), &extra);
  std::vector<rwkv7::Token> pending;
  if (!extra.empty()) {
    try {
      auto j = parse_resume_data(extra, path);
      // Numbers from a file: checked before conversion (a cast of 1e30 to a token id is undefined).
      auto token = [&](const nlohmann::json& v) {
        if (!v.is_number_unsigned() || v.get<std::uint64_t>() >= model.vocab_size())
          throw rwkv7::Error(rwkv7::Errc::state, path + ": resume data holds " + v.dump() + " where a token id below " +
                                                     std::to_string(model.vocab_size()) + " belongs");
        return static_cast<rwkv7::Token>(v.get<std::uint64_t>());
      };
      for (const auto& t : j.at("pending")) pending.push_back(token(t));
      if (!keep_seed) g.sampler().set_rng_state(Args::parse_uint(j.at("rng").get<std::string>(), "rng", UINT64_MAX));
      std::unordered_map<rwkv7::Token, float> occ;
      for (auto& e : j.at("occurrence")) {
        const double n = e.at(1).get<double>();
        if (!std::isfinite(n) || n < 0 || n > 1e9) throw rwkv7::Error(rwkv7::Errc::state, path + ": resume data holds an occurrence count of " + e.at(1).dump());
        occ[token(e.at(0))] = static_cast<float>(n);
      }
      g.sampler().set_occurrence(std::move(occ));
    } catch (const rwkv7::Error&) {
      throw;
    } catch (const UsageError& e) {
      throw rwkv7::Error(rwkv7::Errc::state, path + ": unreadable resume data (" + e.message + ")");
    } catch (const std::exception& e) {
      throw rwkv7::Error(rwkv7::Errc::state, path + ": unreadable resume data (" + e.what() + ")");
    }
  }
  g.restore(std::move(state), std::move(pending));
}

// --tokenizer (or --vocab): the path given, else none.
std::optional<std::string> tokenizer_path(const Args& a) {
  if (a.has("--tokenizer") && a.has("--vocab")) throw UsageError{"give one of --tokenizer and --vocab"};
  if (a.has("--tokenizer")) return a.get("--tokenizer");
  if (a.has("--vocab")) return a.get("--vocab");
  return std::nullopt;
}

// The tokenizer file given (World vocabulary or tokenizer.json), else the one the model file carries (GGUF),
// else bytes for a 256-token model.
std::unique_ptr<rwkv7::Tokenizer> tokenizer_for(const Args& a, const Model& model) {
  std::unique_ptr<rwkv7::Tokenizer> t;
  if (auto path = tokenizer_path(a)) {
    t = rwkv7::load_tokenizer(*path);
  } else if ((t = rwkv7::embedded_tokenizer(model.weights().table))) {
  } else if (model.vocab_size() == 256) {
    t = std::make_unique<rwkv7::ByteTokenizer>();
  } else {
    throw UsageError{"this model has a " + std::to_string(model.vocab_size()) + "-token vocabulary: pass --tokenizer"};
  }
  if (t->size() > model.vocab_size())
    throw rwkv7::Error(rwkv7::Errc::vocab, "the tokenizer has " + std::to_string(t->size()) + " tokens but the model only " + std::to_string(model.vocab_size()) +
                                                 ": they do not belong together");
  return t;
}

// --template, else the one the tokenizer implies (world for a World vocabulary or bytes).
rwkv7::ChatTemplate chat_template_from(const Args& a) {
  if (a.has("--template")) {
    try {
      return rwkv7::chat_template(a.get("--template"));
    } catch (const rwkv7::Error& e) {
      throw UsageError{std::string("--template: ") + e.what()};
    }
  }
  const auto path = tokenizer_path(a);
  return path ? rwkv7::chat_template_for(*path) : rwkv7::chat_template("world");
}

rwkv7::CpuOptions cpu_options(const Args& a) {
  const std::string isa = a.get("--isa", "best");
  rwkv7::CpuOptions o;
  for (auto i : {rwkv7::Isa::best, rwkv7::Isa::scalar, rwkv7::Isa::sse2, rwkv7::Isa::avx, rwkv7::Isa::avx2, rwkv7::Isa::avx512, rwkv7::Isa::avx512_bf16, rwkv7::Isa::neon64})
    if (isa == rwkv7::isa_name(i)) o.isa = i;
  if (isa != rwkv7::isa_name(o.isa)) throw UsageError{"--isa: unknown instruction set '" + isa + "'"};
  return o;
}

rwkv7::LoadOptions load_options(const Args& a) {
  std::string q = a.get("--quant", "none");
  if (q != "none" && q != "int8") throw UsageError{"--quant must be none or int8"};
  std::string act = a.get("--activations", "f32");
  rwkv7::LoadOptions o{q == "int8" ? rwkv7::Quant::int8 : rwkv7::Quant::none};
  for (auto mode : {rwkv7::Activations::f32, rwkv7::Activations::bf16, rwkv7::Activations::int8})
    if (act == rwkv7::activations_name(mode)) o.activations = mode;
  if (act != rwkv7::activations_name(o.activations)) throw UsageError{"--activations must be f32, bf16 or int8"};
  if (o.activations == rwkv7::Activations::int8 && o.quant != rwkv7::Quant::int8) throw UsageError{"--activations int8 needs --quant int8"};
  const std::string finite = a.get("--check-finite", "no");
  if (finite != "yes" && finite != "no") throw UsageError{"--check-finite must be yes or no"};
  o.check_finite = finite == "yes";
  return o;
}

// --model with the options every model-running command shares: --quant and --threads.
Model load_model(const Args& a) {
  auto threads = static_cast<unsigned>(a.integer("--threads", 1, 256));
  if (threads == 0) throw UsageError{"--threads must be at least 1"};
  rwkv7::CpuOptions cpu = cpu_options(a);
  cpu.threads = threads;
  return Model::load(a.get("--model"), load_options(a), cpu);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw rwkv7::Error(rwkv7::Errc::io, path + ": cannot open file");
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

int cmd_info(const Args& a) {
  auto model = load_model(a);
  const auto& c = model.config();
  nlohmann::ordered_json j = {{"n_layer", c.n_layer},
                              {"n_embd", c.n_embd},
                              {"n_head", c.n_head},
                              {"n_kv_head", c.n_kv_head},
                              {"head_size", c.head_size},
                              {"dim_ffn", c.dim_ffn},
                              {"vocab_size", c.vocab_size},
                              {"lora_w", c.lora_w},
                              {"lora_a", c.lora_a},
                              {"lora_v", c.lora_v},
                              {"lora_g", c.lora_g},
                              {"layer_norm_eps", c.layer_norm_eps},
                              {"format", c.format},
                              {"naming", c.naming},
                              {"dtype", c.dtype},
                              {"arch", rwkv7::architecture_name(c.arch)},
                              {"isa", rwkv7::isa_name(model.isa())}};
  if (c.arch.wkv_output == rwkv7::WkvOutput::group_norm) j["group_norm_eps"] = c.group_norm_eps;
  if (c.arch.variant != rwkv7::Variant::x070) {
    j["projection_bias"] = c.arch.projection_bias;
    j["tied_head"] = model.weights().head.w.data == model.weights().emb.data;
  }
  std::cout << j.dump() << "\n";
  return 0;
}

int cmd_tokenize(const Args& a) {
  if (a.has("--text") == a.has("--file")) throw UsageError{"give exactly one of --text and --file"};
  const auto path = tokenizer_path(a);
  if (!path) throw UsageError{"missing --tokenizer"};
  auto tok = rwkv7::load_tokenizer(*path);
  std::string text = a.has("--text") ? a.get("--text") : read_file(a.get("--file"));
  std::cout << nlohmann::json(tok->encode(text)).dump() << "\n";
  return 0;
}

int cmd_logits(const Args& a) {
  std::string mode = a.get("--mode", "token");
  if (mode != "token" && mode != "sequence") throw UsageError{"--mode must be token or sequence"};
  auto tokens64 = Args::list(a.get("--tokens"), "--tokens", UINT32_MAX);
  auto at = Args::list(a.get("--at"), "--at", tokens64.size() - 1);
  std::string out_path = a.get("--out");
  auto model = load_model(a);
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
  if (a.has("--system") && !a.has("--template")) throw UsageError{"--system needs --template"};
  std::optional<rwkv7::ChatTemplate> chat;
  if (a.has("--template")) chat = chat_template_from(a);
  auto so = sampler_options(a, chat ? chat->sampling : rwkv7::SamplerOptions{});
  auto max_tokens = a.integer("--max-tokens", 100, 1u << 30);
  std::string prompt = a.get("--prompt");
  std::vector<std::uint64_t> allow;
  if (a.has("--allow-tokens")) allow = Args::list(a.get("--allow-tokens"), "--allow-tokens", UINT32_MAX);
  auto model = load_model(a);
  for (auto t : allow)
    if (t >= model.vocab_size()) throw UsageError{"--allow-tokens: " + std::to_string(t) + " is outside the model's vocabulary"};
  auto tok = tokenizer_for(a, model);

  rwkv7::Sampler sampler(so);
  if (!allow.empty()) sampler.set_allowed(std::vector<rwkv7::Token>(allow.begin(), allow.end()));
  sampler.exempt_digits_and_whitespace(*tok);
  rwkv7::GenerateOptions options{max_tokens, {}, {}};
  if (chat) {
    options = chat->reply_options(*tok, max_tokens);
    prompt = (a.has("--system") ? chat->system_turn(a.get("--system")) : std::string()) + chat->user_turn(prompt);
  }
  for (const auto& s : a.stops()) options.stop.push_back(s);
  Generator g(model, *tok, std::move(sampler), options);
  if (a.has("--load-state")) restore(g, model, a.get("--load-state"), a.has("--seed"));
  g.add_prompt(prompt);
  g.run([](std::string_view piece) { std::cout << piece << std::flush; });
  std::cout << "\n";
  if (a.has("--save-state")) rwkv7::save_state(a.get("--save-state"), g.state(), model.config(), resume_data(g));
  return 0;
}

// Interactive chat in the template's format; the state carries across turns.
int cmd_chat(const Args& a) {
  const rwkv7::ChatTemplate chat = chat_template_from(a);
  auto so = sampler_options(a, chat.sampling);
  auto max_tokens = a.integer("--max-tokens", 500, 1u << 30);
  auto model = load_model(a);
  auto tok = tokenizer_for(a, model);
  rwkv7::Sampler sampler(so);
  sampler.exempt_digits_and_whitespace(*tok);
  const rwkv7::GenerateOptions options = chat.reply_options(*tok, max_tokens);
  Generator g(model, *tok, sampler, options);
  if (a.has("--system")) g.add_prompt(chat.system_turn(a.get("--system")));
  const bool interactive = isatty(0);
  std::string line;
  for (;;) {
    if (interactive) std::cout << "User: " << std::flush;
    if (!std::getline(std::cin, line)) break;
    if (line == "/quit") break;
    if (line.rfind("/save ", 0) == 0 || line.rfind("/load ", 0) == 0) {
      std::string path = line.substr(6);
      try {
        if (line[1] == 's') {
          rwkv7::save_state(path, g.state(), model.config(), resume_data(g));
        } else {
          restore(g, model, path, false);
        }
        std::cout << "[" << (line[1] == 's' ? "saved " : "loaded ") << path << "]\n";
      } catch (const rwkv7::Error& e) {
        std::cout << "[" << e.what() << "]\n";
      }
      continue;
    }
    if (line == "/reset") {
      g = Generator(model, *tok, sampler, options);
      if (a.has("--system")) g.add_prompt(chat.system_turn(a.get("--system")));
      std::cout << "[reset]\n";
      continue;
    }
    g.add_prompt(chat.user_turn(line));
    std::cout << "Assistant:" << std::flush;
    g.run([](std::string_view piece) { std::cout << piece << std::flush; });
    std::cout << "\n";
    // The state (and a /save of it) always ends at a turn boundary: a reply that did not end on a stop string
    // (which is itself the separator) gets the template's end of turn queued now.
    if (g.result().reason != rwkv7::StopReason::stop_string) g.add_prompt(chat.reply_close);
  }
  return 0;
}

// Peak resident set size in MB (Linux /proc; 0 elsewhere).
double peak_rss_mb() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  return 0.0;
}

// Share of the resident bytes of the mapping that holds p which sit in 2 MiB pages (Linux /proc; -1 elsewhere).
// Both the decode stream and the probe read ~20% slower from 4 KiB pages, and which one the kernel gives depends
// on how the file entered the page cache and on memory fragmentation, so the bench reports both shares.
double huge_page_share(const void* p) {
  std::ifstream smaps("/proc/self/smaps");
  const auto address = reinterpret_cast<std::uintptr_t>(p);
  std::string line;
  bool inside = false;
  double rss = 0, huge = 0;
  while (std::getline(smaps, line)) {
    std::uintptr_t begin = 0, end = 0;
    if (std::sscanf(line.c_str(), "%" SCNxPTR "-%" SCNxPTR " ", &begin, &end) == 2 && line.find(':') > line.find(' ')) {
      if (inside) break;
      inside = begin <= address && address < end;
      continue;
    }
    if (!inside) continue;
    double kb = 0;
    char field[64];
    if (std::sscanf(line.c_str(), "%63[^:]: %lf kB", field, &kb) != 2) continue;
    const std::string name = field;
    if (name == "Rss") rss = kb;
    if (name == "AnonHugePages" || name == "FilePmdMapped" || name == "ShmemPmdMapped") huge += kb;
  }
  return rss > 0 ? huge / rss : -1.0;
}

// Integer adds into 32 independent sums, which the compiler turns into several vector accumulators (one chain of
// vector adds read ~10% less on this VM, and less than decode's own loops).
std::uint64_t sum_words(const std::uint64_t* p, std::size_t n) {
  std::uint64_t sums[32] = {};
  for (std::size_t i = 0; i + 32 <= n; i += 32)
    for (std::size_t j = 0; j < 32; ++j) sums[j] += p[i + j];
  std::uint64_t total = 0;
  for (std::uint64_t sum : sums) total += sum;
  return total;
}

// The bytes one decode step reads: every matrix of every layer and the head, where the model keeps them (the
// file's pages, or the int8 copy).
std::vector<std::span<const std::byte>> decode_weights(const rwkv7::ModelWeights& w) {
  std::vector<std::span<const std::byte>> ranges;
  auto add = [&](const rwkv7::Linear& m) {
    if (m.w.data) ranges.emplace_back(m.w.data, m.w.bytes());
  };
  for (const auto& L : w.layers)
    for (const rwkv7::Linear* m : {&L.att.receptance, &L.att.key, &L.att.value, &L.att.output, &L.att.w1, &L.att.w2, &L.att.a1, &L.att.a2,
                                   &L.att.v1, &L.att.v2, &L.att.g1, &L.att.g2, &L.ffn.key, &L.ffn.value, &L.ffn.gate, &L.ffn.up,
                                   &L.ffn.down})
      add(*m);
  add(w.head);
  return ranges;
}

// Bytes read and the seconds they took; GB/s of a sum of samples is total bytes over total time.
struct ReadSample {
  double bytes = 0.0, seconds = 0.0;
  ReadSample& operator+=(const ReadSample& o) { bytes += o.bytes, seconds += o.seconds; return *this; }
  double gb_s() const { return seconds > 0.0 ? bytes / seconds / 1e9 : 0.0; }
};

// Streaming-read bandwidth with `threads` readers, two ways. read(): over a buffer far larger than the caches,
// the machine's bound that a decode step (which reads every weight once) cannot beat; each call continues where
// the last one stopped, so consecutive calls are one long stream. The buffer asks for 2 MiB pages, as the
// model's own mapping gets from the page cache where the kernel keeps large folios: on 4 KiB pages the hardware
// prefetcher stops at every page boundary and this probe read ~20% slower, which would flatter the ratio.
// read_ranges() over decode_weights(): the same loop over the very bytes decoding reads, matrix by matrix, where
// they sit. On this VM those pages (the page cache, 2 MiB folios) read up to ~18% slower than the probe's fresh
// buffer at times and as fast at others, which the first ratio alone would charge to the decode loops.
class StreamingProbe {
 public:
  explicit StreamingProbe(unsigned threads)
      : threads_(threads), bytes_(huge_page_bytes(kBytes)), memory_(bytes_.get()) {
    std::fill(reinterpret_cast<std::uint64_t*>(memory_), reinterpret_cast<std::uint64_t*>(memory_) + kBytes / sizeof(std::uint64_t), std::uint64_t{1});
  }
  const void* buffer() const { return memory_; }
  // Reads about `bytes` from the buffer (whole 4 KiB blocks, wrapping around at its end).
  ReadSample read(double bytes) {
    std::vector<std::span<const std::byte>> ranges;
    auto left = static_cast<std::size_t>(std::max(bytes, 4096.0)) / 4096 * 4096;
    while (left > 0) {
      const std::size_t n = std::min(left, kBytes - cursor_);
      ranges.emplace_back(memory_ + cursor_, n);
      cursor_ = (cursor_ + n) % kBytes;
      left -= n;
    }
    return read_ranges(ranges, 1);
  }
  // Reads every range `passes` times over (ranges in order, each split between the threads; each thread reads its
  // share of every range in turn, without waiting for the others between ranges).
  ReadSample read_ranges(std::span<const std::span<const std::byte>> ranges, std::size_t passes) {
    std::vector<std::uint64_t> partial(threads_, 0);
    ReadSample sample;
    for (const auto& range : ranges) sample.bytes += static_cast<double>(whole_words(range).second * 8) * static_cast<double>(passes);
    auto reader = [&](unsigned t) {
      for (std::size_t pass = 0; pass < passes; ++pass)
        for (const auto& range : ranges) {
          const auto [words, n] = whole_words(range);
          const std::size_t share = n / threads_;
          partial[t] += sum_words(words + t * share, t + 1 == threads_ ? n - t * share : share);
        }
    };
    const auto t0 = std::chrono::steady_clock::now();
    std::vector<std::thread> helpers;
    for (unsigned t = 1; t < threads_; ++t) helpers.emplace_back(reader, t);
    reader(0);
    for (auto& h : helpers) h.join();
    sample.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    volatile std::uint64_t sink = partial[0];
    (void)sink;
    return sample;
  }

 private:
  static constexpr std::size_t kBytes = std::size_t{1} << 30;
  unsigned threads_;
  std::shared_ptr<std::byte[]> bytes_;
  std::byte* memory_;
  std::size_t cursor_ = 0;

  // Whole 8-byte words inside the range: a probe, so a few unaligned end bytes may go unread.
  static std::pair<const std::uint64_t*, std::size_t> whole_words(std::span<const std::byte> range) {
    const auto first = (reinterpret_cast<std::uintptr_t>(range.data()) + 7) / 8 * 8;
    const auto last = (reinterpret_cast<std::uintptr_t>(range.data()) + range.size()) / 8 * 8;
    if (last <= first) return {nullptr, 0};
    return {reinterpret_cast<const std::uint64_t*>(first), (last - first) / 8};
  }
  // 2 MiB-aligned, advised to be backed by 2 MiB pages.
  static std::shared_ptr<std::byte[]> huge_page_bytes(std::size_t bytes) {
    constexpr std::size_t kPage = std::size_t{2} << 20;
    const std::size_t size = (bytes + kPage - 1) / kPage * kPage;
    void* p = std::aligned_alloc(kPage, size);
    if (!p) throw std::bad_alloc();
#if defined(MADV_HUGEPAGE)
    ::madvise(p, size, MADV_HUGEPAGE);
#endif
    return std::shared_ptr<std::byte[]>(static_cast<std::byte*>(p), [](std::byte* q) { std::free(q); });
  }
};

// Bytes one decode step reads: its matrices (decode_weights) and one embedding row.
double bytes_per_token(const rwkv7::ModelWeights& w, const std::vector<std::span<const std::byte>>& matrices) {
  double total = static_cast<double>(w.emb.bytes()) / static_cast<double>(w.config.vocab_size);
  for (const auto& range : matrices) total += static_cast<double>(range.size());
  return total;
}

int cmd_bench(const Args& a) {
  using clock = std::chrono::steady_clock;
  auto decode_n = a.integer("--tokens", 64, 1u << 20);
  auto prefill_n = a.integer("--prefill", 256, 1u << 20);
  if (decode_n == 0 || prefill_n == 0) throw UsageError{"--tokens and --prefill must be positive"};
  auto t0 = clock::now();
  auto model = load_model(a);
  const unsigned threads = model.threads();  // what the model really uses, not what was asked
  auto state = model.new_state();
  std::vector<float> logits(model.vocab_size());
  model.forward(std::vector<rwkv7::Token>{0}, state, logits);
  const double load_ms = std::chrono::duration<double, std::milli>(clock::now() - t0).count();

  rwkv7::Pcg32 rng(1);
  std::vector<rwkv7::Token> prompt(prefill_n);
  for (auto& t : prompt) t = rng.next() % static_cast<std::uint32_t>(model.vocab_size());
  double prefill_s = 1e9, decode_s = 1e9, rss_mb = 0.0;
  std::unique_ptr<StreamingProbe> probe;
  const auto weights = decode_weights(model.weights());
  const double per_token_bytes = bytes_per_token(model.weights(), weights);
  // Three rounds; tokens/s are the best round's, the machine's noise only ever slowing a run down. Within a round,
  // decoding alternates with the two reads in blocks of kBlock tokens, each read taking as many bytes as the block
  // decoded, and the ratios are those of the sums over all blocks: this VM's bandwidth drifts by ±20% over
  // seconds to minutes, and the best of three decode rounds against the best of three probe rounds (taken seconds
  // apart) moved the ratio between runs by more than the changes it was meant to measure.
  constexpr std::uint64_t kBlock = 16;
  ReadSample decoded, probed, weights_read;
  for (int rep = 0; rep < 3; ++rep) {
    auto s = model.new_state();
    auto p0 = clock::now();
    model.forward(prompt, s, logits);
    prefill_s = std::min(prefill_s, std::chrono::duration<double>(clock::now() - p0).count());
    if (!probe) {
      rss_mb = peak_rss_mb();  // the model's, before the probe allocates its own 1 GiB
      probe = std::make_unique<StreamingProbe>(threads);
    }
    double round_s = 0.0;
    for (std::uint64_t done = 0; done < decode_n;) {
      const std::uint64_t block = std::min(kBlock, decode_n - done);
      auto d0 = clock::now();
      for (std::uint64_t i = done; i < done + block; ++i) model.forward(std::span<const rwkv7::Token>(&prompt[i % prompt.size()], 1), s, logits);
      const double block_s = std::chrono::duration<double>(clock::now() - d0).count();
      round_s += block_s;
      decoded += ReadSample{per_token_bytes * static_cast<double>(block), block_s};
      probed += probe->read(per_token_bytes * static_cast<double>(block));
      weights_read += probe->read_ranges(weights, block);
      done += block;
    }
    decode_s = std::min(decode_s, round_s);
  }
  const double bandwidth = probed.gb_s(), weights_bandwidth = weights_read.gb_s();
  const double decode_tok_s = static_cast<double>(decode_n) / decode_s, prefill_tok_s = static_cast<double>(prefill_n) / prefill_s;
  const double per_token_gb = per_token_bytes / 1e9;
  const double achieved = decoded.gb_s();  // over all blocks, as the reads it is compared with
  std::cout << "model " << a.get("--model") << ": " << model.config().n_layer << " layers, width " << model.config().n_embd << ", "
            << model.config().dtype << ", " << per_token_gb * 1000 << " MB read per decoded token, " << threads << " thread(s)\n";
  std::cout << "decode  " << decode_tok_s << " tok/s, best of 3 rounds; over all rounds " << achieved << " GB/s = " << 100 * achieved / bandwidth
            << "% of the " << bandwidth << " GB/s streaming-read bandwidth and " << 100 * achieved / weights_bandwidth << "% of the "
            << weights_bandwidth << " GB/s at which the same loop read the weights themselves, each read interleaved with decoding in blocks of "
            << kBlock << " tokens\n";
  std::cout << "prefill " << prefill_tok_s << " tok/s over " << prefill_n << " tokens\n";
  std::cout << "load to first token " << load_ms << " ms, peak RSS " << rss_mb << " MB\n";
  const double model_huge = huge_page_share(model.weights().head.w.data), probe_huge = huge_page_share(probe->buffer());
  std::cout << "in 2 MiB pages: " << 100 * model_huge << "% of the weights' mapping, " << 100 * probe_huge << "% of the probe's buffer\n";
  nlohmann::ordered_json accuracy;
  if (a.has("--text")) {  // int8 weights or bf16 activations vs the exact model, token by token over real text
    auto exact = Model::load(a.get("--model"));
    auto tok = tokenizer_for(a, exact);
    auto ids = tok->encode(read_file(a.get("--text")));
    ids.resize(std::min<std::size_t>(ids.size(), a.integer("--accuracy-tokens", 1000, 1u << 20)));
    auto s1 = model.new_state(), s2 = exact.new_state();
    std::vector<float> l1(model.vocab_size()), l2(model.vocab_size());
    double worst = 0.0;
    std::size_t agree = 0;
    for (auto t : ids) {
      model.forward(std::span<const rwkv7::Token>(&t, 1), s1, l1);
      exact.forward(std::span<const rwkv7::Token>(&t, 1), s2, l2);
      double mean = 0, var = 0, diff = 0;
      for (float v : l2) mean += v;
      mean /= static_cast<double>(l2.size());
      for (std::size_t i = 0; i < l2.size(); ++i) {
        var += (l2[i] - mean) * (l2[i] - mean);
        diff = std::max(diff, std::abs(static_cast<double>(l1[i]) - l2[i]));
      }
      worst = std::max(worst, diff / std::sqrt(var / static_cast<double>(l2.size())));
      agree += std::max_element(l1.begin(), l1.end()) - l1.begin() == std::max_element(l2.begin(), l2.end()) - l2.begin();
    }
    std::cout << "accuracy vs the exact model over " << ids.size() << " tokens: max|diff|/std " << worst << ", top-1 agreement "
              << 100.0 * static_cast<double>(agree) / static_cast<double>(ids.size()) << "%\n";
    accuracy = {{"tokens", ids.size()}, {"max_diff_over_std", worst}, {"top1_agreement", static_cast<double>(agree) / static_cast<double>(ids.size())}};
  }
  nlohmann::ordered_json j = {{"decode_tok_s", decode_tok_s}, {"prefill_tok_s", prefill_tok_s}, {"bandwidth_gb_s", bandwidth},
                              {"achieved_gb_s", achieved},    {"decode_bw_ratio", achieved / bandwidth},
                              {"weights_read_gb_s", weights_bandwidth}, {"decode_weights_ratio", achieved / weights_bandwidth}, {"load_ms", load_ms},
                              {"rss_mb", rss_mb},      {"model_huge_pages", model_huge}, {"probe_huge_pages", probe_huge}, {"threads", threads},          {"isa", rwkv7::isa_name(model.isa())},
                              {"quant", a.get("--quant", "none")}, {"activations", a.get("--activations", "f32")}};
  // Multiply-adds of the large matrices per prefill token (the head once per prompt), for rates against a matrix
  // unit's peak (bench/vs_llama_cpp.sh).
  double matrix_macs = 0;
  for (const auto& L : model.weights().layers)
    for (const rwkv7::Linear* m : {&L.att.receptance, &L.att.key, &L.att.value, &L.att.output, &L.ffn.key, &L.ffn.value, &L.ffn.gate, &L.ffn.up, &L.ffn.down})
      if (m->w.data) matrix_macs += static_cast<double>(m->in) * static_cast<double>(m->out);
  const rwkv7::Linear& head = model.weights().head;
  matrix_macs += static_cast<double>(head.in) * static_cast<double>(head.out) / static_cast<double>(prefill_n);
  j["prefill_matrix_macs_per_token"] = matrix_macs;
  if (!accuracy.is_null()) j["accuracy"] = accuracy;
  std::cout << j.dump() << "\n";
  return 0;
}

// LAMBADA as RWKV's evaluation runs it (rwkv7/eval/score.hpp): each line of the file a JSON object with a
// string "text"; prints perplexity and accuracy, progress on stderr.
int cmd_eval(const Args& a) {
  const std::string file = a.get("--file");
  const auto limit = a.integer("--limit", 0, 1u << 30);
  auto model = load_model(a);
  auto tok = tokenizer_for(a, model);
  std::ifstream in(file, std::ios::binary);
  if (!in) throw rwkv7::Error(rwkv7::Errc::io, file + ": cannot open file");
  std::vector<std::string> texts;
  std::string line, context, target;
  for (std::size_t line_no = 1; std::getline(in, line) && (!limit || texts.size() < limit); ++line_no) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    auto bad = [&](const std::string& what) { throw rwkv7::Error(rwkv7::Errc::format, file + ":" + std::to_string(line_no) + ": " + what); };
    nlohmann::json doc;
    try {
      doc = nlohmann::json::parse(line);
    } catch (const nlohmann::json::exception& e) {
      bad(std::string("not JSON (") + e.what() + ")");
    }
    if (!doc.is_object() || !doc.contains("text") || !doc["text"].is_string()) bad("expected an object with a string \"text\"");
    texts.push_back(doc["text"].get<std::string>());
    if (!rwkv7::lambada_split(texts.back(), context, target)) bad("the text has no last word after a space");
  }
  if (texts.empty()) throw rwkv7::Error(rwkv7::Errc::format, file + ": no examples");
  const rwkv7::EvalResult r = rwkv7::evaluate_lambada(model, *tok, texts, [&](std::size_t done, const rwkv7::EvalResult& so_far) {
    if (done % 100 == 0 || done == texts.size())
      std::cerr << "lambada " << done << "/" << texts.size() << ": perplexity " << so_far.perplexity() << ", accuracy " << 100.0 * so_far.accuracy() << "%\n";
  });
  nlohmann::ordered_json j = {{"task", "lambada"}, {"examples", r.count}, {"perplexity", r.perplexity()}, {"accuracy", r.accuracy()}};
  std::cout << j.dump() << "\n";
  return 0;
}

// Perplexity of a plain text (rwkv7/eval/score.hpp).
int cmd_ppl(const Args& a) {
  auto model = load_model(a);
  auto tok = tokenizer_for(a, model);
  const std::string text = read_file(a.get("--file"));
  const rwkv7::EvalResult r = rwkv7::evaluate_text(model, *tok, text);
  nlohmann::ordered_json j = {{"tokens", r.count}, {"perplexity", r.perplexity()}, {"nll_per_token", r.negative_log_likelihood / static_cast<double>(r.count)},
                              {"bits_per_byte", r.negative_log_likelihood / std::log(2.0) / static_cast<double>(text.size())}};
  std::cout << j.dump() << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::map<std::string, std::pair<int (*)(const Args&), std::set<std::string>>> commands = {
      {"info", {cmd_info, {"--model", "--quant", "--activations", "--isa", "--check-finite"}}},
      {"tokenize", {cmd_tokenize, {"--tokenizer", "--vocab", "--text", "--file"}}},
      {"logits", {cmd_logits, {"--model", "--tokens", "--at", "--out", "--mode", "--quant", "--activations", "--isa", "--check-finite", "--threads"}}},
      {"generate", {cmd_generate, with_sampling({"--model", "--tokenizer", "--vocab", "--template", "--system", "--prompt", "--max-tokens", "--stop", "--allow-tokens", "--save-state", "--load-state", "--quant", "--activations", "--isa", "--check-finite", "--threads"})}},
      {"chat", {cmd_chat, with_sampling({"--model", "--tokenizer", "--vocab", "--template", "--system", "--max-tokens", "--quant", "--activations", "--isa", "--check-finite", "--threads"})}},
      {"bench", {cmd_bench, {"--model", "--threads", "--tokens", "--prefill", "--quant", "--activations", "--isa", "--check-finite", "--text", "--tokenizer", "--vocab", "--accuracy-tokens"}}},
      {"eval lambada", {cmd_eval, {"--model", "--tokenizer", "--vocab", "--file", "--limit", "--quant", "--activations", "--isa", "--check-finite", "--threads"}}},
      {"ppl", {cmd_ppl, {"--model", "--tokenizer", "--vocab", "--file", "--quant", "--activations", "--isa", "--check-finite", "--threads"}}},
  };
  try {
    if (argc < 2) throw UsageError{"missing command"};
    std::string name = argv[1];
    if (name == "--help" || name == "-h" || name == "help") {
      std::cout << kUsage;
      return 0;
    }
    int first_flag = 2;
    if (name == "eval") {  // eval TASK
      if (argc < 3 || std::string(argv[2]) != "lambada") throw UsageError{"eval needs a task: lambada"};
      name += " lambada";
      first_flag = 3;
    }
    auto it = commands.find(name);
    if (it == commands.end()) throw UsageError{"unknown command '" + name + "'"};
    Args args(argc, argv, first_flag, it->second.second);
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
