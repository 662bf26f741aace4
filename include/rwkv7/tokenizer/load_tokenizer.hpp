// rwkv7/tokenizer/load_tokenizer.hpp — one entry point for the tokenizer files users hold: the RWKV World vocabulary
// (rwkv_vocab_v20230424.txt) or a Hugging Face tokenizer.json (Qwen, for PRWKV-7 models), or the folder that holds
// it. The kind is read from the file's content, not its name. Pulls in the BPE tokenizer: link rwkv7::bpe_tokenizer.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "bpe_tokenizer.hpp"
#include "world_tokenizer.hpp"

namespace rwkv7 {

// The tokenizer.json a path names: the path itself, or tokenizer.json inside a folder.
inline std::string tokenizer_file(const std::string& path) {
  std::error_code ec;
  return std::filesystem::is_directory(path, ec) ? (std::filesystem::path(path) / "tokenizer.json").string() : path;
}

inline std::unique_ptr<Tokenizer> load_tokenizer(const std::string& path) {
  const std::string file = tokenizer_file(path);
  const FileBytes bytes = FileBytes::open(file);
  const std::string_view text = bytes.text();
  const auto first = text.find_first_not_of(" \t\r\n");
  // A World vocabulary line starts with a token id; a tokenizer.json with '{'.
  if (first != std::string::npos && text[first] == '{') return std::make_unique<BpeTokenizer>(BpeTokenizer::parse(text, file));
  return std::make_unique<WorldTokenizer>(WorldTokenizer::parse(text, file));
}

}  // namespace rwkv7
