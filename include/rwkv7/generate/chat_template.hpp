// rwkv7/generate/chat_template.hpp — how a conversation is written for a model, as data: the text around each
// role's message, what ends a reply (stop strings, or special tokens such as Qwen's <|im_end|>) and the sampling
// its authors suggest. "world" is RWKV's format; "qwen" is ChatML as the PRWKV-7 (Qwen-distilled) models use it.
#pragma once

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "../error.hpp"
#include "../io/json_limits.hpp"
#include "../tokenizer/tokenizer.hpp"
#include "generator.hpp"
#include "sampler.hpp"

namespace rwkv7 {

struct ChatTemplate {
  std::string name;
  std::string system_open, system_close;  // around a system message
  std::string user_open, user_close;      // around a user message; user_close also opens the assistant's reply
  std::string reply_close;                // ends the assistant's turn when the reply did not end on a stop string
  std::vector<std::string> stop_strings;  // generated text that ends a reply (not shown)
  std::vector<std::string> stop_specials;  // special tokens, by text, that end a reply
  SamplerOptions sampling;                // what the model's authors suggest

  std::string system_turn(std::string_view message) const { return system_open + std::string(message) + system_close; }
  std::string user_turn(std::string_view message) const { return user_open + std::string(message) + user_close; }

  // Stop strings and stop tokens for a reply, resolved against the tokenizer (which must have every stop special).
  GenerateOptions reply_options(const Tokenizer& tok, std::size_t max_tokens) const {
    GenerateOptions o{max_tokens, stop_strings, {}};
    for (const auto& special : stop_specials) {
      const auto id = tok.special_token(special);
      if (!id) detail::fail(Errc::argument, "chat template '" + name + "' ends replies with " + special + ", which this tokenizer does not have");
      o.stop_tokens.push_back(*id);
    }
    return o;
  }
};

inline const std::vector<ChatTemplate>& chat_templates() {
  static const std::vector<ChatTemplate> all = {
      // RWKV World: blank lines separate turns, so a reply ends at one. Sampling of RWKV's reference chat.
      {"world", "System: ", "\n\n", "User: ", "\n\nAssistant:", "\n\n", {"\n\n", "\nUser:"}, {},
       {.temperature = 1.0f, .top_p = 0.3f, .presence_penalty = 0.5f, .frequency_penalty = 0.5f}},
      // ChatML; the PRWKV-7 model cards suggest temperature 1.0, top_p 0.3.
      {"qwen", "<|im_start|>system\n", "<|im_end|>\n", "<|im_start|>user\n", "<|im_end|>\n<|im_start|>assistant\n", "<|im_end|>\n", {},
       {"<|im_end|>", "<|endoftext|>"}, {.temperature = 1.0f, .top_p = 0.3f}},
  };
  return all;
}

inline const ChatTemplate& chat_template(std::string_view name) {
  for (const auto& t : chat_templates())
    if (t.name == name) return t;
  std::string known;
  for (const auto& t : chat_templates()) known += (known.empty() ? "" : ", ") + t.name;
  detail::fail(Errc::argument, "no chat template named '" + std::string(name) + "' (known: " + known + ")");
}

// The template a tokenizer file implies. A World vocabulary (.txt) implies "world". A tokenizer.json implies what the
// tokenizer_config.json beside it says: a chat_template written in <|im_start|> turns is "qwen", with its eos_token
// added to the reply's stop tokens; without that file a tokenizer.json implies "qwen" as well.
inline ChatTemplate chat_template_for(const std::string& tokenizer_path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path path(tokenizer_path);
  const bool json = fs::is_directory(path, ec) || path.extension() == ".json";
  if (!json) return chat_template("world");
  ChatTemplate t = chat_template("qwen");
  const fs::path config = (fs::is_directory(path, ec) ? path : path.parent_path()) / "tokenizer_config.json";
  std::ifstream in(config, std::ios::binary);
  if (!in) return t;
  std::stringstream text;
  text << in.rdbuf();
  // A tokenizer_config.json is small (the Qwen one holds ~250 values); its chat_template may be a long string.
  const auto j = detail::parse_json_limited(text.str(), config.string(), "tokenizer_config.json", {6, 100000});
  if (!j.is_object()) return t;
  if (j.contains("chat_template") && j["chat_template"].is_string() && j["chat_template"].get<std::string>().find("<|im_start|>") == std::string::npos)
    detail::fail(Errc::argument, config.string() + ": its chat_template is not in the <|im_start|> format; choose a template by name");
  std::string eos;
  if (j.contains("eos_token") && j["eos_token"].is_string()) eos = j["eos_token"].get<std::string>();
  if (j.contains("eos_token") && j["eos_token"].is_object() && j["eos_token"].contains("content") && j["eos_token"]["content"].is_string())
    eos = j["eos_token"]["content"].get<std::string>();
  if (!eos.empty() && std::find(t.stop_specials.begin(), t.stop_specials.end(), eos) == t.stop_specials.end()) t.stop_specials.push_back(eos);
  return t;
}

}  // namespace rwkv7
