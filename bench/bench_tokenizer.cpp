// Tokenizer speed: vocabulary load time (goal < 100 ms) and encode throughput.
//   rwkv7_bench_tokenizer VOCAB
#include <rwkv7/rwkv7.hpp>

#include <algorithm>
#include <chrono>
#include <iostream>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: rwkv7_bench_tokenizer VOCAB\n";
    return 2;
  }
  using clock = std::chrono::steady_clock;
  double best_load_ms = 1e9;
  for (int i = 0; i < 5; ++i) {
    auto t0 = clock::now();
    auto tok = rwkv7::WorldTokenizer::load(argv[1]);
    best_load_ms = std::min(best_load_ms, std::chrono::duration<double, std::milli>(clock::now() - t0).count());
  }
  auto tok = rwkv7::WorldTokenizer::load(argv[1]);
  std::string text;
  while (text.size() < (8u << 20)) text += "User: What is 123 * 456? 你好，世界! The quick brown fox jumps over the lazy dog.\n\n";
  auto t0 = clock::now();
  auto ids = tok.encode(text);
  double enc_s = std::chrono::duration<double>(clock::now() - t0).count();
  std::cout << "{\"vocab_load_ms\":" << best_load_ms << ",\"load_goal_ratio\":" << best_load_ms / 100.0
            << ",\"encode_mb_s\":" << text.size() / enc_s / 1e6 << ",\"tokens\":" << ids.size() << "}\n";
}
