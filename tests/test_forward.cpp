// Exactness: C++ logits against the float64 reference (tools/rwkv7_ref.py) on the committed fixtures.
#include <doctest/doctest.h>

#include <rwkv7/rwkv7.hpp>

#include <set>

#include "fixtures.hpp"
#include "test_util.hpp"

using test::check_row;
using test::fixtures;
using test::kBound;


TEST_CASE("the fixture set covers what the exactness claim promises") {
  std::set<std::string> dtypes, namings;
  std::set<std::int64_t> heads, vocabs;
  std::size_t longest = 0;
  // PRWKV cxa076: what #23 promises its exactness covers.
  std::set<std::string> prwkv_dtypes, prwkv_archs;
  std::set<std::int64_t> prwkv_heads, kv_ratios;
  std::set<bool> prwkv_bias, prwkv_tied;
  for (const auto& e : test::manifest()) {
    dtypes.insert(e["dtype"].get<std::string>());
    namings.insert(e["naming"].get<std::string>() + "/" + e["format"].get<std::string>());
    heads.insert(e["config"]["head_size"].get<std::int64_t>());
    vocabs.insert(e["config"]["vocab"].get<std::int64_t>());
    longest = std::max(longest, e["tokens"].size());
    if (e["arch"].get<std::string>().rfind("cxa076", 0) == 0) {
      prwkv_archs.insert(e["arch"].get<std::string>());
      prwkv_dtypes.insert(e["dtype"].get<std::string>());
      prwkv_heads.insert(e["config"]["head_size"].get<std::int64_t>());
      kv_ratios.insert(e["config"]["n_head"].get<std::int64_t>() / e["config"]["n_kv_head"].get<std::int64_t>());
      prwkv_bias.insert(e["bias"].get<bool>());
      if (e["tied_head"].get<bool>()) prwkv_tied.insert(e["config"]["vocab"].get<std::int64_t>() == 151936);
    }
  }
  CHECK(dtypes == std::set<std::string>{"bf16", "fp16", "fp32", "q8_0", "q4_0", "q5_1"});
  CHECK(heads.count(64) == 1);
  CHECK(heads.count(32) == 1);
  CHECK(vocabs == std::set<std::int64_t>{256, 65536, 151936});
  CHECK(namings.size() >= 3);
  CHECK(longest >= 200);
  CHECK(prwkv_archs == std::set<std::string>{"cxa076", "cxa076r"});
  CHECK(prwkv_dtypes == std::set<std::string>{"bf16", "fp16", "fp32"});
  for (std::int64_t n : {32, 64, 128}) CHECK(prwkv_heads.count(n) == 1);
  CHECK(kv_ratios == std::set<std::int64_t>{1, 2, 4});
  CHECK(prwkv_bias == std::set<bool>{false, true});
  CHECK(prwkv_tied == std::set<bool>{true});
}

TEST_CASE("config is detected from tensor shapes") {
  for (const auto& f : fixtures()) {
    CAPTURE(f.name);
    auto model = rwkv7::Model::load(f.model_path);
    const auto& c = model.config();
    CHECK(c.n_layer == f.config["n_layer"].get<std::int64_t>());
    CHECK(c.n_embd == f.config["n_embd"].get<std::int64_t>());
    CHECK(c.head_size == f.config["head_size"].get<std::int64_t>());
    CHECK(c.n_head == f.config["n_head"].get<std::int64_t>());
    CHECK(c.dim_ffn == f.config["ffn"].get<std::int64_t>());
    CHECK(c.vocab_size == f.config["vocab"].get<std::int64_t>());
    CHECK(c.lora_w == f.config["dw"].get<std::int64_t>());
    CHECK(c.lora_a == f.config["da"].get<std::int64_t>());
    CHECK(c.lora_g == f.config["dg"].get<std::int64_t>());
    CHECK(c.lora_v == f.config["dv"].get<std::int64_t>());
    CHECK(rwkv7::architecture_name(c.arch) == f.arch);
    CHECK(c.n_kv_head == (f.arch == "x070" ? c.n_head : f.config["n_kv_head"].get<std::int64_t>()));
  }
}

TEST_CASE("token mode matches the float64 reference") {
  for (const auto& f : fixtures()) {
    auto model = rwkv7::Model::load(f.model_path);
    auto state = model.new_state();
    std::vector<float> logits;
    for (std::size_t t = 0; t <= f.at.back(); ++t) {
      logits = model.forward(f.tokens[t], state);
      for (std::size_t k = 0; k < f.at.size(); ++k)
        if (f.at[k] == t) check_row(f, k, logits, "token mode");
    }
  }
}

TEST_CASE("sequence mode matches the reference, in one chunk and in uneven chunks") {
  for (const auto& f : fixtures()) {
    auto model = rwkv7::Model::load(f.model_path);
    // Chunks ending exactly at the reference positions.
    auto state = model.new_state();
    std::size_t done = 0;
    for (std::size_t k = 0; k < f.at.size(); ++k) {
      auto logits = model.forward(std::span<const rwkv7::Token>(f.tokens.data() + done, f.at[k] + 1 - done), state);
      check_row(f, k, logits, "sequence mode");
      done = f.at[k] + 1;
    }
    // The whole prefix in one call.
    auto fresh = model.new_state();
    auto all = model.forward(std::span<const rwkv7::Token>(f.tokens.data(), f.at.back() + 1), fresh);
    check_row(f, f.at.size() - 1, all, "one chunk");
    // The states left behind agree too: continuing from either gives the same next logits.
    auto a = model.forward(f.tokens[0], state);
    auto b = model.forward(f.tokens[0], fresh);
    CHECK(test::relative_error(a.data(), b.data(), a.size()) <= kBound);
  }
}

TEST_CASE("a model loaded from caller-owned bytes equals the mapped file") {
  auto f = fixtures().front();
  std::string bytes = test::read_bytes(f.model_path);
  auto from_memory = rwkv7::Model::from_bytes(bytes.data(), bytes.size(), "embedded");
  auto mapped = rwkv7::Model::load(f.model_path);
  auto s1 = from_memory.new_state(), s2 = mapped.new_state();
  auto a = from_memory.forward(std::span<const rwkv7::Token>(f.tokens.data(), 8), s1);
  auto b = mapped.forward(std::span<const rwkv7::Token>(f.tokens.data(), 8), s2);
  CHECK(a == b);
}

TEST_CASE("State is a value: a copy continues independently and identically") {
  auto f = fixtures().front();
  auto model = rwkv7::Model::load(f.model_path);
  auto state = model.new_state();
  model.forward(std::span<const rwkv7::Token>(f.tokens.data(), 20), state);
  rwkv7::State copy = state;
  auto a = model.forward(f.tokens[20], state);
  auto b = model.forward(f.tokens[20], copy);
  CHECK(a == b);
  copy.reset();
  auto c = model.forward(f.tokens[21], copy);
  auto d = model.forward(f.tokens[21], state);
  CHECK(c != d);
}

TEST_CASE("forward rejects tokens outside the vocabulary and mismatched states") {
  auto f = fixtures().front();
  auto model = rwkv7::Model::load(f.model_path);
  auto state = model.new_state();
  CHECK_THROWS_AS(model.forward(rwkv7::Token(256), state), rwkv7::Error);
  rwkv7::State other;
  CHECK_THROWS_AS(model.forward(rwkv7::Token(1), other), rwkv7::Error);
}

TEST_CASE("the SIMD kernels agree with the exact reference kernels on every fixture") {
  for (const auto& f : fixtures()) {
    auto fast = rwkv7::Model::load(f.model_path);
    auto exact = rwkv7::ReferenceModel::load(f.model_path);
    auto s1 = fast.new_state(), s2 = exact.new_state();
    std::span<const rwkv7::Token> prefix(f.tokens.data(), 64);
    auto a = fast.forward(prefix, s1);
    auto b = exact.forward(prefix, s2);
    double err = test::relative_error(a.data(), b.data(), a.size());
    INFO(f.name << ": SIMD vs exact max|diff|/std = " << err);
    CHECK(err <= 1e-5);
  }
}

TEST_CASE("results do not depend on the thread count") {
  for (const auto& f : fixtures()) {
    auto one = rwkv7::Model::load(f.model_path);
    auto two = rwkv7::Model::load(f.model_path);
    two.set_threads(2);
    CHECK(two.threads() == 2);
    auto s1 = one.new_state(), s2 = two.new_state();
    std::span<const rwkv7::Token> prefix(f.tokens.data(), 100);
    CHECK(one.forward(prefix, s1) == two.forward(prefix, s2));
    CHECK(one.forward(f.tokens[100], s1) == two.forward(f.tokens[100], s2));
    CHECK(s1.data() == s2.data());
  }
}

TEST_CASE("int8 weights: SIMD equals the exact kernels, and the logits stay near the unquantized ones") {
  for (const auto& f : fixtures()) {
    if (f.block_encoded()) continue;  // nothing to quantize: test_gguf.cpp
    auto q = rwkv7::Model::load(f.model_path, {rwkv7::Quant::int8});
    auto q_exact = rwkv7::ReferenceModel::load(f.model_path, {rwkv7::Quant::int8});
    auto full = rwkv7::Model::load(f.model_path);
    CHECK(q.config().dtype == "int8");
    auto s1 = q.new_state(), s2 = q_exact.new_state(), s3 = full.new_state();
    std::span<const rwkv7::Token> prefix(f.tokens.data(), 64);
    auto a = q.forward(prefix, s1), b = q_exact.forward(prefix, s2), c = full.forward(prefix, s3);
    INFO(f.name);
    CHECK(test::relative_error(a.data(), b.data(), a.size()) <= 1e-5);
    double drift = test::relative_error(a.data(), c.data(), a.size());
    INFO("int8 vs unquantized max|diff|/std = " << drift);
    CHECK(drift <= 0.15);
    CHECK(drift > 0.0);  // it really is quantized
  }
}

TEST_CASE("int8 quantization: the matrices share one 2 MiB-aligned block, in the order decoding reads them, padded to whole row blocks") {
  for (const auto& f : fixtures()) {
    if (f.block_encoded()) continue;  // nothing to quantize: test_gguf.cpp
    rwkv7::ModelWeights q = rwkv7::bind_weights(rwkv7::load_tensors(f.model_path));
    rwkv7::quantize_int8(q);
    INFO(f.name);
    std::vector<const rwkv7::Linear*> order;
    for (const auto& L : q.layers)
      for (const rwkv7::Linear* m : {&L.att.receptance, &L.att.key, &L.att.value, &L.att.output, &L.ffn.key, &L.ffn.value, &L.ffn.gate,
                                     &L.ffn.up, &L.ffn.down})
        if (m->w.data) order.push_back(m);  // the matrices of the model's variant
    order.push_back(&q.head);
    REQUIRE(order.front()->row_scale != nullptr);
    CHECK(reinterpret_cast<std::uintptr_t>(order.front()->row_scale) % rwkv7::detail::kHugePage == 0);
    // Each matrix is padded to whole blocks of kInt8PackRows rows (so that the CPU can repack it in place).
    auto padded_bytes = [](const rwkv7::Linear* m) {
      constexpr auto block = static_cast<std::ptrdiff_t>(rwkv7::detail::kInt8PackRows);
      return (m->out + block - 1) / block * block * m->in;
    };
    const std::byte* end = nullptr;  // where the previous matrix ends
    for (const rwkv7::Linear* m : order) {
      REQUIRE(m->w.dtype == rwkv7::DType::q8);
      const auto* scale = reinterpret_cast<const std::byte*>(m->row_scale);
      if (end) CHECK(scale >= end);
      CHECK(m->w.data >= scale + m->out * sizeof(float));
      CHECK(reinterpret_cast<std::uintptr_t>(m->w.data) % 64 == 0);
      end = m->w.data + padded_bytes(m);
    }
    std::ptrdiff_t payload = 0;  // scales and padded weights; the block adds at most 63 bytes of alignment after each
    for (const rwkv7::Linear* m : order) payload += m->out * static_cast<std::ptrdiff_t>(sizeof(float)) + padded_bytes(m);
    CHECK(end - reinterpret_cast<const std::byte*>(order.front()->row_scale) <= payload + 2 * 63 * static_cast<std::ptrdiff_t>(order.size()));
  }
}

TEST_CASE("int8 quantization: one scale per row, max|w| / 127, and every weight within half a step") {
  for (const auto& f : fixtures()) {
    if (f.block_encoded()) continue;  // nothing to quantize: test_gguf.cpp
    const rwkv7::ModelWeights original = rwkv7::bind_weights(rwkv7::load_tensors(f.model_path));
    rwkv7::ModelWeights q = rwkv7::bind_weights(rwkv7::load_tensors(f.model_path));
    rwkv7::quantize_int8(q);
    INFO(f.name);
    const bool x070 = original.config.arch.variant == rwkv7::Variant::x070;
    const std::pair<const rwkv7::Linear*, const rwkv7::Linear*> checked[] = {
        {&original.head, &q.head},
        {x070 ? &original.layers[0].ffn.key : &original.layers[0].ffn.gate, x070 ? &q.layers[0].ffn.key : &q.layers[0].ffn.gate},
        {&original.layers.back().att.output, &q.layers.back().att.output}};
    for (const auto& [w, wq] : checked) {
      REQUIRE(wq->w.dtype == rwkv7::DType::q8);
      const auto rows = static_cast<std::size_t>(w->out), cols = static_cast<std::size_t>(w->in);
      double worst = 0.0;  // max over weights of |q·s − w| / s: at most one half (plus float rounding)
      bool peaks_ok = true;
      for (std::size_t o = 0; o < rows; ++o) {
        double peak = 0.0;
        for (std::size_t i = 0; i < cols; ++i) peak = std::max(peak, std::abs(static_cast<double>(rwkv7::detail::element(w->w.data, w->w.dtype, o * cols + i))));
        const double s = wq->row_scale[o];
        peaks_ok = peaks_ok && std::abs(s - peak / 127.0) <= 1e-6 * peak;
        for (std::size_t i = 0; i < cols; ++i) {
          const double v = rwkv7::detail::element(w->w.data, w->w.dtype, o * cols + i);
          const double qv = static_cast<std::int8_t>(wq->w.data[o * cols + i]);
          worst = std::max(worst, std::abs(qv * s - v) / s);
        }
      }
      CHECK(peaks_ok);
      CHECK(worst <= 0.5 + 1e-4);
      CHECK(worst > 0.25);  // the weights are really rounded (random weights are not on the int8 grid)
    }
  }
}

namespace {
// A partial head gives the full head's logits `all`, to the bit: rows in the first and second 32-row blocks and the last.
void check_partial_head(const rwkv7::Model& model, std::span<const rwkv7::Token> prefix, const std::vector<float>& all) {
  const std::vector<rwkv7::Token> rows = {0, 1, 31, 32, static_cast<rwkv7::Token>(all.size() - 1), 5};
  std::vector<float> part(rows.size());
  auto state = model.new_state();
  model.forward_rows(prefix, state, rows, part);
  for (std::size_t j = 0; j < rows.size(); ++j) CHECK(part[j] == all[rows[j]]);
}
}  // namespace

// Chunks of bf16 products take the packed kernels (packed_bf16.hpp), whose summation order differs from the
// row-dot tiles of token-by-token decoding: equal to rounding, not to the bit.
TEST_CASE("bf16 activations: near the float64 reference, SIMD equals the exact kernels, chunks agree with tokens, threads change nothing") {
  const rwkv7::LoadOptions bf16{rwkv7::Quant::none, rwkv7::Activations::bf16};
  for (const auto& f : fixtures()) {
    auto fast = rwkv7::Model::load(f.model_path, bf16);
    auto exact = rwkv7::ReferenceModel::load(f.model_path, bf16);
    auto two = rwkv7::Model::load(f.model_path, bf16);
    two.set_threads(2);
    auto full = rwkv7::Model::load(f.model_path);
    const std::size_t k = f.at.size() - 1, upto = f.at[k] + 1;  // the reference's last row
    std::span<const rwkv7::Token> prefix(f.tokens.data(), upto);
    auto s1 = fast.new_state(), s2 = exact.new_state(), s3 = two.new_state(), s4 = full.new_state(), s5 = fast.new_state();
    auto a = fast.forward(prefix, s1), b = exact.forward(prefix, s2), c = two.forward(prefix, s3), d = full.forward(prefix, s4);
    std::vector<float> one_by_one;
    for (auto t : prefix) one_by_one = fast.forward(t, s5);
    const std::size_t V = a.size();
    const double vs_reference = test::relative_error(a.data(), f.ref.data() + k * V, V);
    const double vs_exact_kernels = test::relative_error(a.data(), b.data(), V);
    MESSAGE(f.name << " after " << upto << " tokens: bf16 activations vs float64 max|diff|/std = " << vs_reference
                   << ", SIMD vs exact kernels = " << vs_exact_kernels);
    CHECK(a == c);
    CHECK(test::relative_error(one_by_one.data(), a.data(), V) <= 1e-5);
    check_partial_head(fast, prefix, a);  // also where the CPU packed the head at load
#if defined(__AVX512BF16__)
    // Where the kernels multiply bf16 pairs, the bf16 matrices are packed once at load (not a tied head).
    const rwkv7::ModelWeights& packed = fast.weights();
    CHECK(packed.layers[0].att.receptance.packed == (f.dtype == "bf16"));
    CHECK(exact.weights().layers[0].att.receptance.packed == false);
#endif
    if (f.dtype == "bf16") {
      // Measured (docs/performance.md, "Precision modes"): at most 0.026 and 1.2e-6 on these fixtures.
      CHECK(vs_reference <= 0.04);
      CHECK(vs_exact_kernels <= 1e-4);
      CHECK(a != d);  // the option really rounds
    } else {
      CHECK(a == d);  // only bf16 weights take bf16 activations
    }
  }
}

// int8 activations go with int8 weights. With VNNI the matrices are packed at load and one column and a chunk
// go through the same packed blocks, adding each row's blocks in the same order, so the bits agree. The bounds sit above the errors measured on
// these fixtures (docs/performance.md, "Precision modes"), so a regression in accuracy fails.
TEST_CASE("int8 activations: near the float64 reference and int8 weights alone, SIMD equals the exact kernels, chunks agree with tokens") {
  const rwkv7::LoadOptions int8{rwkv7::Quant::int8, rwkv7::Activations::int8};
  for (const auto& f : fixtures()) {
    if (f.block_encoded()) continue;  // nothing to quantize: test_gguf.cpp
    auto fast = rwkv7::Model::load(f.model_path, int8);
    auto exact = rwkv7::ReferenceModel::load(f.model_path, int8);
    auto two = rwkv7::Model::load(f.model_path, int8);
    two.set_threads(2);
    auto weights_only = rwkv7::Model::load(f.model_path, {rwkv7::Quant::int8});
    const std::size_t k = f.at.size() - 1, upto = f.at[k] + 1;
    std::span<const rwkv7::Token> prefix(f.tokens.data(), upto);
    auto s1 = fast.new_state(), s2 = exact.new_state(), s3 = two.new_state(), s4 = weights_only.new_state(), s5 = fast.new_state();
    auto a = fast.forward(prefix, s1), b = exact.forward(prefix, s2), c = two.forward(prefix, s3), d = weights_only.forward(prefix, s4);
    std::vector<float> one_by_one;
    for (auto t : prefix) one_by_one = fast.forward(t, s5);
    const std::size_t V = a.size();
    const double vs_reference = test::relative_error(a.data(), f.ref.data() + k * V, V);
    const double vs_int8_weights = test::relative_error(a.data(), d.data(), V);
    const double weights_vs_reference = test::relative_error(d.data(), f.ref.data() + k * V, V);
    const double vs_exact_kernels = test::relative_error(a.data(), b.data(), V);
    const double tokens_vs_chunk = test::relative_error(one_by_one.data(), a.data(), V);
    MESSAGE(f.name << " after " << upto << " tokens: int8 activations vs float64 max|diff|/std = " << vs_reference << " (int8 weights alone "
                   << weights_vs_reference << "), vs int8 weights alone " << vs_int8_weights << ", SIMD vs exact kernels "
                   << vs_exact_kernels << ", tokens vs chunk " << tokens_vs_chunk);
    CHECK(a == c);
    CHECK(one_by_one == a);  // the one-column and the chunk kernels add the same integers in the same order
    check_partial_head(fast, prefix, a);  // from the packed blocks too
#if defined(__AVX512VNNI__) && defined(__AVX512BW__)
    CHECK(fast.weights().head.packed);
    CHECK(fast.weights().layers[0].att.receptance.packed);
    CHECK_FALSE(weights_only.weights().head.packed);  // fp32 activations read the rows as they are
    CHECK_FALSE(exact.weights().head.packed);
#endif
    // The exact kernels round apart what the SIMD ones fuse; through the next layer's quantization a rounding
    // difference can move a value by a step, so they agree to the size of the quantization error.
    CHECK(vs_exact_kernels <= 0.08);
    CHECK(vs_reference <= 0.2);
    CHECK(vs_int8_weights <= 0.08);
    CHECK(a != d);  // the option really quantizes the activations
  }
}

TEST_CASE("int8 activations need int8 weights") {
  const auto all = fixtures();
  CHECK_THROWS_WITH_AS(rwkv7::Model::load(all.front().model_path, {rwkv7::Quant::none, rwkv7::Activations::int8}),
                       "rwkv7 [argument] LoadOptions: int8 activations multiply int8 weights; load with Quant::int8 too", rwkv7::Error);
}

// This binary includes the headers alone (no rwkv7::dispatch): the model must run the kernels the compiler flags
// chose, and refuse any other ISA by name. tests/test_dispatch.cpp asserts the opposite mode.

TEST_CASE("header-only: the model runs the ISA of its compiler flags and refuses others") {
  const auto all = fixtures();
  const auto& f = all.front();
  auto model = rwkv7::Model::load(f.model_path);
  CHECK(model.isa() == rwkv7::Isa::RWKV7_ISA);
  CHECK(rwkv7::Model::load(f.model_path, {}, {.isa = model.isa()}).isa() == model.isa());
  const rwkv7::Isa other = model.isa() == rwkv7::Isa::sse2 ? rwkv7::Isa::neon64 : rwkv7::Isa::sse2;
  CHECK_THROWS_WITH_AS(rwkv7::Model::load(f.model_path, {}, {.isa = other}),
                       (std::string("rwkv7 [argument] CpuOptions::isa: this program runs the ") + rwkv7::isa_name(model.isa()) +
                        " kernels it was compiled for, not " + rwkv7::isa_name(other) + " (link rwkv7::dispatch to choose at run time)").c_str(),
                       rwkv7::Error);
}
