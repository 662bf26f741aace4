// Qwen tokenizer (byte-level BPE from tokenizer.json) speed: load time and encode throughput over a text file, in
// the same JSON shape as tools/qwen_tokenizer_ref.js --bench prints for the reference, so
// bench/qwen_tokenizer_vs_reference.sh can interleave the two and report their ratio.
//   rwkv7_bench_bpe_tokenizer TOKENIZER_JSON TEXT_FILE [SECONDS]
#include <rwkv7/tokenizer/bpe_tokenizer.hpp>

#include <chrono>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

int main(int argc, char** argv) {
  if (argc < 3 || argc > 4) {
    std::cerr << "usage: rwkv7_bench_bpe_tokenizer TOKENIZER_JSON TEXT_FILE [SECONDS]\n";
    return 2;
  }
  const double seconds = argc == 4 ? std::atof(argv[3]) : 3.0;
  if (!(seconds > 0)) {
    std::cerr << "rwkv7_bench_bpe_tokenizer: SECONDS must be a positive number\n";
    return 2;
  }
  try {
    using clock = std::chrono::steady_clock;
    auto t0 = clock::now();
    const auto tok = rwkv7::BpeTokenizer::load(argv[1]);
    const double load_ms = std::chrono::duration<double, std::milli>(clock::now() - t0).count();
    std::ifstream in(argv[2], std::ios::binary);
    if (!in) throw std::runtime_error(std::string(argv[2]) + ": cannot open");
    std::stringstream s;
    s << in.rdbuf();
    const std::string text = s.str();
    std::size_t tokens = tok.encode(text).size();  // warm-up
    std::size_t rounds = 0;
    t0 = clock::now();
    double elapsed = 0;
    do {
      tokens = tok.encode(text).size();
      ++rounds;
      elapsed = std::chrono::duration<double>(clock::now() - t0).count();
    } while (elapsed < seconds);
    std::cout << "{\"impl\": \"rwkv7::BpeTokenizer\", \"bytes\": " << text.size() << ", \"tokens\": " << tokens
              << ", \"mb_per_s\": " << static_cast<double>(text.size()) * static_cast<double>(rounds) / elapsed / 1e6 << ", \"load_ms\": " << load_ms << "}\n";
  } catch (const std::exception& e) {
    std::cerr << e.what() << "\n";
    return 1;
  }
}
