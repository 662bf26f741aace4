// Time for one full tutor answer (prompt, worked steps, checker) on one core, with the bundled tiny model.
// Goal: < 2 ms per answer. Prints per-answer times and, last, one JSON object.
//   rwkv7_bench_tutor [MODEL [ANSWERS]]   (default: models/multiply-tiny.pth, 200)
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <iostream>

#include "../examples/multiplication_tutor/tutor.hpp"

int main(int argc, char** argv) {
  const std::string path = argc > 1 ? argv[1] : "models/multiply-tiny.pth";
  try {
    auto model = rwkv7::Model::load(path);
    rwkv7::ByteTokenizer tok;
    tutor::Tutor t(model, tok, tutor::Style::reversed);
    rwkv7::Pcg32 rng(2024);
    std::vector<double> ms;
    std::size_t tokens = 0, exact = 0;
    const int n = argc > 2 ? std::atoi(argv[2]) : 200;
    for (int i = 0; i < n; ++i) {
      long long a = 100 + rng.next() % 900, b = 100 + rng.next() % 900;  // 3×3 digits: the longest answers
      auto t0 = std::chrono::steady_clock::now();
      const tutor::Answer& ans = t.ask(a, b);
      ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
      tokens += ans.tokens;
      exact += ans.correct;
    }
    std::sort(ms.begin(), ms.end());
    const double median = ms[ms.size() / 2], p90 = ms[ms.size() * 9 / 10];
    std::cout << "tutor answers (3x3 digits, one thread): median " << median << " ms, p90 " << p90 << " ms, "
              << static_cast<double>(tokens) / n << " tokens per answer, goal 2 ms (median/goal " << median / 2.0 << ")\n";
    std::cout << "{\"answer_ms_median\":" << median << ",\"answer_ms_p90\":" << p90 << ",\"goal_ratio\":" << median / 2.0
              << ",\"tokens_per_answer\":" << static_cast<double>(tokens) / n << ",\"exact\":" << exact << ",\"n\":" << n << "}\n";
  } catch (const rwkv7::Error& e) {
    std::cerr << e.what() << "\n";
    return 1;
  }
}
