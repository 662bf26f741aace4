// Soak: one long generation that feeds the model its own samples, checking every logit and, at checkpoints, the
// whole state for NaN/Inf and the process's resident memory for growth. Exits 1 on any non-finite number or if
// memory grows by more than 1 MB after the first checkpoint. Prints progress lines and, last, one JSON object.
//   rwkv7_bench_soak [MODEL [TOKENS [THREADS]]]   (default: models/multiply-tiny.pth, 1000000, 1)
#include <rwkv7/rwkv7.hpp>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>

namespace {

long resident_kb() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  return -1;
}

std::size_t nonfinite(const float* p, std::size_t n) {
  std::size_t bad = 0;
  for (std::size_t i = 0; i < n; ++i) bad += !std::isfinite(p[i]);
  return bad;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string path = argc > 1 ? argv[1] : "models/multiply-tiny.pth";
  const long long total = argc > 2 ? std::atoll(argv[2]) : 1000000;
  const long threads = argc > 3 ? std::atol(argv[3]) : 1;
  if (total < 10 || threads < 1 || threads > 256) {
    std::cerr << "usage: rwkv7_bench_soak [MODEL [TOKENS >= 10 [THREADS 1..256]]]\n";
    return 2;
  }
  try {
    auto model = rwkv7::Model::load(path);
    model.set_threads(static_cast<unsigned>(threads));
    rwkv7::Sampler sampler({.temperature = 1.0f, .top_p = 0.9f, .seed = 7});
    rwkv7::State state = model.new_state();
    std::vector<float> logits(model.vocab_size());
    rwkv7::Token token = 0;
    std::size_t bad_logits = 0, bad_state = 0;
    long first_kb = -1, peak_growth_kb = 0;
    const auto t0 = std::chrono::steady_clock::now();
    for (long long i = 1; i <= total; ++i) {
      model.forward(std::span<const rwkv7::Token>(&token, 1), state, logits);
      bad_logits += nonfinite(logits.data(), logits.size());
      token = sampler.sample(logits);
      if (i % (total / 10) == 0) {
        bad_state += nonfinite(state.data().data(), state.data().size());
        const long kb = resident_kb();
        if (first_kb < 0) first_kb = kb;
        peak_growth_kb = std::max(peak_growth_kb, kb - first_kb);
        const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        std::cout << i << " tokens, " << static_cast<double>(i) / s << " tok/s, rss " << kb << " kB, non-finite logits " << bad_logits
                  << ", non-finite state " << bad_state << std::endl;
      }
    }
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const bool ok = bad_logits == 0 && bad_state == 0 && peak_growth_kb <= 1024;
    std::cout << "{\"tokens\":" << total << ",\"seconds\":" << s << ",\"tok_s\":" << static_cast<double>(total) / s
              << ",\"nonfinite_logits\":" << bad_logits << ",\"nonfinite_state\":" << bad_state << ",\"rss_first_kb\":" << first_kb
              << ",\"rss_growth_kb\":" << peak_growth_kb << ",\"ok\":" << (ok ? "true" : "false") << "}\n";
    return ok ? 0 : 1;
  } catch (const rwkv7::Error& e) {
    std::cerr << e.what() << "\n";
    return 1;
  }
}
