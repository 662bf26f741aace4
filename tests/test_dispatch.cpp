// rwkv7::dispatch: every ISA this CPU runs, each against the float64 reference and against the exact kernels,
// with the same chunking and threading guarantees as the header-only build. Built without -march=native.
#include <doctest/doctest.h>

#include <rwkv7/dispatch.hpp>
#include <rwkv7/rwkv7.hpp>

#include <algorithm>

#include "fixtures.hpp"
#include "test_util.hpp"


namespace {

std::vector<rwkv7::Isa> isas() { return rwkv7::available_isas(); }

std::string names(const std::vector<rwkv7::Isa>& isas) {
  std::string s;
  for (auto isa : isas) s += std::string(s.empty() ? "" : " ") + rwkv7::isa_name(isa);
  return s;
}

}  // namespace

TEST_CASE("dispatch: best is the widest ISA this CPU runs, and the baseline is always there") {
  const auto here = isas();
  INFO("ISAs here: " << names(here));
  REQUIRE(!here.empty());
#if defined(__x86_64__)
  CHECK(here.front() == rwkv7::Isa::sse2);
#elif defined(__aarch64__)
  CHECK(here.front() == rwkv7::Isa::neon64);
#endif
  CHECK(std::is_sorted(here.begin(), here.end()));
  const auto all = test::fixtures();
  const auto& f = all.front();
  CHECK(rwkv7::DispatchModel::load(f.model_path).isa() == here.back());
  for (auto isa : here) CHECK(rwkv7::DispatchModel::load(f.model_path, {}, {.isa = isa}).isa() == isa);
}

TEST_CASE("dispatch: an ISA the program lacks is refused by name") {
  const auto all = test::fixtures();
  const auto& f = all.front();
  const std::string best = rwkv7::isa_name(isas().back());
#if defined(__x86_64__)
  const rwkv7::Isa absent = rwkv7::Isa::neon64;
#else
  const rwkv7::Isa absent = rwkv7::Isa::avx512;
#endif
  CHECK_THROWS_WITH_AS(rwkv7::DispatchModel::load(f.model_path, {}, {.isa = absent}),
                       ("rwkv7 [argument] CpuOptions::isa: " + std::string(rwkv7::isa_name(absent)) + " kernels are not in this program (best here: " + best + ")").c_str(),
                       rwkv7::Error);
}

TEST_CASE("dispatch: every ISA matches the float64 reference in token and chunk mode, independent of threads") {
  for (auto isa : isas()) {
    for (const auto& f : test::fixtures()) {
      INFO(std::string(rwkv7::isa_name(isa)) << " " << f.name);
      auto model = rwkv7::DispatchModel::load(f.model_path, {}, {.isa = isa});
      auto two = rwkv7::DispatchModel::load(f.model_path, {}, {.isa = isa});
      two.set_threads(2);
      auto by_token = model.new_state(), by_chunk = model.new_state(), threaded = two.new_state();
      std::vector<float> logits;
      for (std::size_t t = 0; t <= f.at.back(); ++t) {
        logits = model.forward(f.tokens[t], by_token);
        for (std::size_t k = 0; k < f.at.size(); ++k)
          if (f.at[k] == t) test::check_row(f, k, logits, "token mode");
      }
      std::span<const rwkv7::Token> prefix(f.tokens.data(), f.at.back() + 1);
      CHECK(model.forward(prefix, by_chunk) == logits);  // chunked prefill gives the same bits as token by token
      CHECK(two.forward(prefix, threaded) == logits);
      CHECK(by_chunk.data() == by_token.data());
    }
  }
}

TEST_CASE("dispatch: every ISA agrees with the exact kernels, with int8 weights and with bf16 activations too") {
  const rwkv7::Quant int8 = rwkv7::Quant::int8;
  const rwkv7::Activations bf16 = rwkv7::Activations::bf16;
  for (auto isa : isas()) {
    for (const auto& f : test::fixtures()) {
      INFO(std::string(rwkv7::isa_name(isa)) << " " << f.name);
      std::span<const rwkv7::Token> prefix(f.tokens.data(), 64);
      auto run = [&](auto model) {
        auto s = model.new_state();
        return model.forward(prefix, s);
      };
      auto fast = run(rwkv7::DispatchModel::load(f.model_path, {}, {.isa = isa}));
      auto exact = run(rwkv7::ReferenceModel::load(f.model_path));
      CHECK(test::relative_error(fast.data(), exact.data(), fast.size()) <= 1e-5);
      auto q = run(rwkv7::DispatchModel::load(f.model_path, {.quant = int8}, {.isa = isa}));
      auto q_exact = run(rwkv7::ReferenceModel::load(f.model_path, {.quant = int8}));
      CHECK(test::relative_error(q.data(), q_exact.data(), q.size()) <= 1e-5);
      auto b = run(rwkv7::DispatchModel::load(f.model_path, {.activations = bf16}, {.isa = isa}));
      auto b_exact = run(rwkv7::ReferenceModel::load(f.model_path, {.activations = bf16}));
      CHECK(test::relative_error(b.data(), b_exact.data(), b.size()) <= (f.dtype == "bf16" ? 0.01 : 1e-5));
    }
  }
}
