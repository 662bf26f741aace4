// Matrix products against float64 sums of the same operands, over shapes that reach every tile path: row
// counts that leave partial row tiles and partial 32-row packed blocks, inputs that are not a multiple of any
// vector width, column counts below and above the packed path's threshold with every tail width. And the
// thread pool's division of work, which the products rely on to compute every row once.
#include <doctest/doctest.h>

#include <rwkv7/rwkv7.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <random>
#include <thread>
#include <vector>

namespace {

using rwkv7::detail::bf16_to_float;
using rwkv7::detail::float_to_bf16;

// A view of bf16 weights [out][in] as the kernels take them.
rwkv7::Linear bf16_linear(const std::vector<std::uint16_t>& w, std::size_t out, std::size_t in) {
  rwkv7::Linear m;
  m.w.dtype = rwkv7::DType::bf16;
  m.w.data = reinterpret_cast<const std::byte*>(w.data());
  m.in = static_cast<std::int64_t>(in);
  m.out = static_cast<std::int64_t>(out);
  return m;
}

struct Product {
  std::size_t out, in, n;
};

// Runs y = W x with bf16 weights through MatMul<K> (threads: 1 or 2) and checks every output against the float64
// sum of the very operands the kernels multiply (activations rounded to bf16 when `bf16_activations`).
template <class K>
void check_products(bool bf16_activations, unsigned threads) {
  std::mt19937 rng(7);
  std::normal_distribution<float> normal;
  for (Product p : {Product{1, 2, 1}, Product{45, 30, 1}, Product{45, 70, 37}, Product{77, 64, 32}, Product{64, 768, 31},
                    Product{100, 768, 100}, Product{33, 34, 45}, Product{16, 2, 33}, Product{45, 768, 1}, Product{37, 781, 1},
                    Product{40, 224, 1}, Product{30, 2688, 1}, Product{20, 2688, 7}}) {
    INFO("out " << p.out << " in " << p.in << " columns " << p.n << (bf16_activations ? " bf16" : " fp32") << " activations, "
                << threads << " threads");
    std::vector<std::uint16_t> w(p.out * p.in);
    for (auto& v : w) v = float_to_bf16(normal(rng));
    std::vector<float> x(p.n * p.in), y(p.n * p.out, NAN);
    for (auto& v : x) v = normal(rng);
    const rwkv7::Linear m = bf16_linear(w, p.out, p.in);
    rwkv7::detail::ThreadPool pool(threads);
    std::vector<rwkv7::detail::KernelScratch> scratch(threads);
    rwkv7::detail::CacheAlignedVector<std::uint16_t> rounded;
    rwkv7::detail::CacheAlignedVector<float> permuted;
    const rwkv7::detail::MatMul<K> matmul{rwkv7::detail::Executor(&pool), scratch.data(), bf16_activations ? &rounded : nullptr, &permuted};
    matmul(m, x.data(), p.n, y.data());

    double worst = 0;  // |y − exact| in units of the fp32 summation bound in·2⁻²⁴·Σ|w x|
    for (std::size_t c = 0; c < p.n; ++c)
      for (std::size_t o = 0; o < p.out; ++o) {
        double exact = 0, magnitude = 0;
        for (std::size_t i = 0; i < p.in; ++i) {
          const float xi = bf16_activations ? bf16_to_float(float_to_bf16(x[c * p.in + i])) : x[c * p.in + i];
          const double term = static_cast<double>(bf16_to_float(w[o * p.in + i])) * xi;
          exact += term;
          magnitude += std::abs(term);
        }
        const double bound = static_cast<double>(p.in) * std::ldexp(1.0, -24) * magnitude + 1e-30;
        worst = std::max(worst, std::abs(y[c * p.out + o] - exact) / bound);
      }
    CHECK(worst <= 1.0);  // NaN (an output never written) fails too
  }
}

}  // namespace

TEST_CASE("matrix products over bf16 weights equal float64 sums of their operands, on every tile path") {
  for (bool bf16_activations : {false, true})
    for (unsigned threads : {1u, 2u}) {
      check_products<rwkv7::detail::SimdKernels>(bf16_activations, threads);
      check_products<rwkv7::detail::ExactKernels>(bf16_activations, threads);
    }
}

// int8 activations (int8_products.hpp): the quantizer's rounding, then the products against float64 sums of the
// integers they multiply, blocks combined with their scales; shapes reach the packed kernel (one column and
// chunks, 32-row blocks, partial ones, every column tail), inputs that end in a short block, and the plain loops
// that take inputs which are not a multiple of 4.
TEST_CASE("int8 activations: blocks of 64 rounded to within half a step, the peak to ±127, and the VNNI offset") {
  std::mt19937 rng(5);
  std::normal_distribution<float> normal;
  for (std::size_t in : {std::size_t{1}, std::size_t{64}, std::size_t{70}, std::size_t{781}}) {
    std::vector<float> x(in);
    for (auto& v : x) v = normal(rng) * 3.0f;
    if (in > 64) std::fill(x.begin(), x.begin() + 64, 0.0f);  // a block of zeros
    if (in > 100) x[100] = 1e4f;                                // an outlier coarsens its own block only
    const std::size_t blocks = rwkv7::detail::int8_blocks(in);
    std::vector<std::int8_t> q(in);
    std::vector<float> scale(blocks);
    std::vector<std::int32_t> offset(blocks);
    rwkv7::detail::quantize_column(x.data(), in, q.data(), scale.data(), offset.data());
    INFO("in " << in);
    for (std::size_t b = 0; b < blocks; ++b) {
      double peak = 0;
      std::int32_t sum = 0, largest = 0;
      for (std::size_t i = b * 64; i < std::min(in, b * 64 + 64); ++i) {
        peak = std::max(peak, std::abs(static_cast<double>(x[i])));
        sum += q[i];
        largest = std::max(largest, std::abs(std::int32_t{q[i]}));
      }
      CHECK(std::abs(scale[b] - peak / 127) <= 1e-6 * peak);
      CHECK(offset[b] == -128 * sum);
      CHECK(largest == (peak > 0 ? 127 : 0));
      for (std::size_t i = b * 64; i < std::min(in, b * 64 + 64); ++i) CHECK(std::abs(q[i] * static_cast<double>(scale[b]) - x[i]) <= 0.5001 * scale[b]);
    }
    if (in > 100) CHECK(scale[0] == 0.0f);
    if (in > 200) CHECK(scale[3] < 0.1f);  // blocks away from the outlier keep their own scale
  }
}

namespace {
template <class K>
void check_int8_products(unsigned threads) {
  std::mt19937 rng(9);
  std::normal_distribution<float> normal;
  std::uniform_int_distribution<int> byte(-127, 127);
  for (Product p : {Product{1, 4, 1}, Product{45, 64, 1}, Product{37, 781, 1}, Product{45, 70, 3}, Product{77, 768, 8}, Product{100, 768, 37},
                    Product{33, 2688, 13}, Product{64, 132, 100}, Product{20, 781, 9}}) {
    INFO("out " << p.out << " in " << p.in << " columns " << p.n << ", " << threads << " threads");
    std::vector<std::int8_t> w(p.out * p.in);
    for (auto& v : w) v = static_cast<std::int8_t>(byte(rng));
    std::vector<float> row_scale(p.out), x(p.n * p.in), y(p.n * p.out, NAN);
    for (auto& s : row_scale) s = std::abs(normal(rng)) * 0.01f + 1e-3f;
    for (auto& v : x) v = normal(rng);
    rwkv7::Linear m;
    m.w.dtype = rwkv7::DType::q8;
    m.w.data = reinterpret_cast<const std::byte*>(w.data());
    m.in = static_cast<std::int64_t>(p.in);
    m.out = static_cast<std::int64_t>(p.out);
    m.row_scale = row_scale.data();
    rwkv7::detail::ThreadPool pool(threads);
    std::vector<rwkv7::detail::KernelScratch> scratch(threads);
    rwkv7::detail::Int8ActivationBuffer quantized;
    const rwkv7::detail::MatMul<K> matmul{rwkv7::detail::Executor(&pool), scratch.data(), nullptr, nullptr, &quantized};
    matmul(m, x.data(), p.n, y.data());

    const std::size_t blocks = rwkv7::detail::int8_blocks(p.in);
    std::vector<std::int8_t> q(p.in);
    std::vector<float> scale(blocks);
    std::vector<std::int32_t> offset(blocks);
    double worst = 0, worst_vs_float = 0;
    for (std::size_t c = 0; c < p.n; ++c) {
      rwkv7::detail::quantize_column(x.data() + c * p.in, p.in, q.data(), scale.data(), offset.data());
      for (std::size_t o = 0; o < p.out; ++o) {
        double exact = 0, magnitude = 0, unquantized = 0, rounding = 0;
        for (std::size_t b = 0; b < blocks; ++b) {
          std::int64_t dot = 0;
          for (std::size_t i = b * 64; i < std::min(p.in, b * 64 + 64); ++i) {
            dot += std::int64_t{w[o * p.in + i]} * q[i];
            magnitude += std::abs(static_cast<double>(w[o * p.in + i]) * q[i]) * scale[b];
            unquantized += static_cast<double>(w[o * p.in + i]) * x[c * p.in + i];
            rounding += std::abs(static_cast<double>(w[o * p.in + i])) * scale[b] / 2;
          }
          exact += static_cast<double>(dot) * scale[b];
        }
        const double s = row_scale[o];
        // fp32 sums of exact integer partial sums: a few roundings of each, relative to Σ|w q| s_b
        const double bound = (static_cast<double>(blocks) + 4) * std::ldexp(1.0, -23) * magnitude * s + 1e-30;
        worst = std::max(worst, std::abs(y[c * p.out + o] - exact * s) / bound);
        // and the product of the unquantized activations, within the activations' rounding
        worst_vs_float = std::max(worst_vs_float, std::abs(y[c * p.out + o] - unquantized * s) / (rounding * s * 1.001 + bound));
      }
    }
    CHECK(worst <= 1.0);  // NaN (an output never written) fails too
    CHECK(worst_vs_float <= 1.0);
  }
}
}  // namespace

TEST_CASE("int8 activations: products equal float64 sums of the integers they multiply, on every path") {
  for (unsigned threads : {1u, 2u}) {
    check_int8_products<rwkv7::detail::SimdKernels>(threads);
    check_int8_products<rwkv7::detail::ExactKernels>(threads);
  }
}

TEST_CASE("matrix products do not depend on the thread count, on the packed path too") {
  std::mt19937 rng(11);
  std::normal_distribution<float> normal;
  const std::size_t out = 100, in = 96, n = 50;
  std::vector<std::uint16_t> w(out * in);
  for (auto& v : w) v = float_to_bf16(normal(rng));
  std::vector<float> x(n * in);
  for (auto& v : x) v = normal(rng);
  const rwkv7::Linear m = bf16_linear(w, out, in);
  for (bool bf16_activations : {false, true}) {
    std::vector<float> y1(n * out), y2(n * out);
    rwkv7::detail::CacheAlignedVector<std::uint16_t> rounded;
    rwkv7::detail::ThreadPool one(1), two(2);
    std::vector<rwkv7::detail::KernelScratch> scratch(2);
    rwkv7::detail::MatMul<rwkv7::detail::SimdKernels>{rwkv7::detail::Executor(&one), scratch.data(), bf16_activations ? &rounded : nullptr}(m, x.data(), n, y1.data());
    rwkv7::detail::MatMul<rwkv7::detail::SimdKernels>{rwkv7::detail::Executor(&two), scratch.data(), bf16_activations ? &rounded : nullptr}(m, x.data(), n, y2.data());
    CHECK(y1 == y2);
  }
}

// Chunks under the packed kernels' minimum go through the row-dot tiles, which sum each row in the same chains as
// decoding does. bf16 weights with fp32 or bf16 activations, and int8 weights (quantized here, one scale a row).
TEST_CASE("a column alone gives the same bits as inside a chunk, also where decoding holds activations in registers") {
  std::mt19937 rng(13);
  std::normal_distribution<float> normal;
  enum class Weights { bf16, bf16_with_bf16_activations, int8 };
  for (Weights kind : {Weights::bf16, Weights::bf16_with_bf16_activations, Weights::int8})
    for (std::size_t in : {64, 255, 512, 768, 781, 784, 1050, 1100, 2688})
      for (std::size_t n : {2, 5, 7}) {
        INFO("in " << in << ", weights " << static_cast<int>(kind) << ", " << n << " columns");
        const std::size_t out = 37;
        std::vector<std::uint16_t> w(out * in);
        for (auto& v : w) v = float_to_bf16(normal(rng));
        std::vector<float> x(n * in), chunk(n * out), alone(out), scale(out);
        for (auto& v : x) v = normal(rng);
        rwkv7::Linear m = bf16_linear(w, out, in);
        std::vector<std::int8_t> q(out * in);
        if (kind == Weights::int8) {
          rwkv7::detail::quantize_rows<rwkv7::detail::LoadBF16>(m.w.data, out, in, scale.data(), q.data());
          m.w.dtype = rwkv7::DType::q8;
          m.w.data = reinterpret_cast<const std::byte*>(q.data());
          m.row_scale = scale.data();
        }
        rwkv7::detail::ThreadPool pool(2);
        std::vector<rwkv7::detail::KernelScratch> scratch(2);
        rwkv7::detail::CacheAlignedVector<std::uint16_t> rounded;
        rwkv7::detail::CacheAlignedVector<float> permuted;
        // With and without the buffer in which exact products over bf16 weights permute their activations into the
        // unpacks' lane order (AVX-512: decoding unpacks rows, chunks widen blocks of rows once): chunks and columns
        // alone, each way, must all give the same bits.
        for (bool permute_chunk : {false, true})
          for (bool permute_column : {false, true}) {
            auto with = [&](bool permute) {
              return rwkv7::detail::MatMul<rwkv7::detail::SimdKernels>{rwkv7::detail::Executor(&pool), scratch.data(), kind == Weights::bf16_with_bf16_activations ? &rounded : nullptr,
                                                                        permute ? &permuted : nullptr};
            };
            std::fill(chunk.begin(), chunk.end(), NAN);
            with(permute_chunk)(m, x.data(), n, chunk.data());
            for (std::size_t c = 0; c < n; ++c) {
              with(permute_column)(m, x.data() + c * in, 1, alone.data());
              CHECK(std::equal(alone.begin(), alone.end(), chunk.begin() + static_cast<std::ptrdiff_t>(c * out)));
            }
          }
      }
}

// LoRA factors are stored [in, out]. One column streams the matrix row by row with the sums in memory, chunks keep
// tiles of sums in registers: both sum each output in input order with the same multiply-adds.
TEST_CASE("[in, out]-stored products: a column alone gives the same bits as inside a chunk, and the float64 sum") {
  std::mt19937 rng(17);
  std::normal_distribution<float> normal;
  for (std::size_t out : {16, 64, 70, 100, 768, 781})
    for (std::size_t in : {1, 32, 64}) {
      INFO("in " << in << " out " << out);
      const std::size_t n = 6;
      std::vector<std::uint16_t> w(in * out);
      for (auto& v : w) v = float_to_bf16(normal(rng));
      std::vector<float> x(n * in), chunk(n * out, NAN), alone(out, NAN);
      for (auto& v : x) v = normal(rng);
      rwkv7::Linear m = bf16_linear(w, out, in);
      m.transposed = true;
      const rwkv7::detail::MatMul<rwkv7::detail::SimdKernels> matmul{};
      matmul(m, x.data(), n, chunk.data());
      double worst = 0;  // in units of the fp32 summation bound in·2⁻²⁴·Σ|w x|
      for (std::size_t c = 0; c < n; ++c) {
        matmul(m, x.data() + c * in, 1, alone.data());
        CHECK(std::equal(alone.begin(), alone.end(), chunk.begin() + static_cast<std::ptrdiff_t>(c * out)));
        for (std::size_t o = 0; o < out; ++o) {
          double exact = 0, magnitude = 0;
          for (std::size_t i = 0; i < in; ++i) {
            const double term = static_cast<double>(bf16_to_float(w[i * out + o])) * x[c * in + i];
            exact += term;
            magnitude += std::abs(term);
          }
          worst = std::max(worst, std::abs(alone[o] - exact) / (static_cast<double>(in) * std::ldexp(1.0, -24) * magnitude + 1e-30));
        }
      }
      CHECK(worst <= 1.0);  // NaN (an output never written) fails too
    }
}

TEST_CASE("the thread pool runs every index exactly once, in pieces that start on the grain, when threads help each other") {
  for (unsigned threads : {1u, 2u, 3u, 5u})
    for (std::size_t grain : {std::size_t{1}, std::size_t{4}, std::size_t{32}})
      for (std::size_t n : {std::size_t{0}, std::size_t{1}, std::size_t{7}, std::size_t{33}, std::size_t{100}, std::size_t{2689}, std::size_t{65536}})
        for (bool slow_first_part : {false, true}) {
          INFO(threads << " threads, grain " << grain << ", n " << n << (slow_first_part ? ", the first part slow" : ""));
          rwkv7::detail::ThreadPool pool(threads);
          std::vector<std::atomic<int>> runs(n);
          std::atomic<bool> misplaced{false};
          pool.parallel_for(
              n,
              [&](std::size_t begin, std::size_t end, unsigned thread) {
                if (begin >= end || end > n || begin % grain != 0 || thread >= threads) misplaced = true;
                // Slowing the pieces near the start makes the other threads take chunks from that part's back.
                if (slow_first_part && begin < n / 4) std::this_thread::sleep_for(std::chrono::microseconds(200));
                for (std::size_t i = begin; i < end && i < n; ++i) runs[i].fetch_add(1);
              },
              grain);
          CHECK_FALSE(misplaced.load());
          std::size_t wrong = 0;
          for (auto& r : runs) wrong += r.load() != 1;
          CHECK(wrong == 0);
        }
}

// together() runs several products and whole work items as one parallel job. Products of different grains (one
// column: rows one at a time; a chunk of 37: 32-row packed blocks with bf16 activations, 4-row tiles without; int8)
// must give the bits of separate calls, and every item must run exactly once, on one thread or two.
TEST_CASE("products run together give the bits of separate products, and each item runs once") {
  std::mt19937 rng(19);
  std::normal_distribution<float> normal;
  const std::size_t in = 96;
  const std::size_t outs[3] = {70, 33, 129};
  std::vector<std::uint16_t> w[3];
  std::vector<std::int8_t> q(outs[2] * in);
  std::vector<float> scale(outs[2]);
  rwkv7::Linear m[3];
  for (std::size_t p = 0; p < 3; ++p) {
    w[p].resize(outs[p] * in);
    for (auto& v : w[p]) v = float_to_bf16(normal(rng));
    m[p] = bf16_linear(w[p], outs[p], in);
  }
  rwkv7::detail::quantize_rows<rwkv7::detail::LoadBF16>(m[2].w.data, outs[2], in, scale.data(), q.data());
  m[2].w.dtype = rwkv7::DType::q8;
  m[2].w.data = reinterpret_cast<const std::byte*>(q.data());
  m[2].row_scale = scale.data();
  for (std::size_t n : {1, 37})
    for (bool bf16_activations : {false, true})
      for (unsigned threads : {1u, 2u})
        for (std::size_t items : {0, 1, 5}) {
          INFO(n << " columns, " << (bf16_activations ? "bf16" : "fp32") << " activations, " << threads << " threads, " << items << " items");
          std::vector<float> x[3], apart[3], joint[3];
          for (std::size_t p = 0; p < 3; ++p) {
            x[p].resize(n * in);
            for (auto& v : x[p]) v = normal(rng);
            apart[p].assign(n * outs[p], NAN);
            joint[p].assign(n * outs[p], NAN);
          }
          rwkv7::detail::ThreadPool pool(threads);
          std::vector<rwkv7::detail::KernelScratch> scratch(threads);
          rwkv7::detail::CacheAlignedVector<std::uint16_t> rounded;
          rwkv7::detail::CacheAlignedVector<float> permuted;
          const rwkv7::detail::MatMul<rwkv7::detail::SimdKernels> matmul{rwkv7::detail::Executor(&pool), scratch.data(), bf16_activations ? &rounded : nullptr, &permuted};
          for (std::size_t p = 0; p < 3; ++p) matmul(m[p], x[p].data(), n, apart[p].data());
          std::vector<std::atomic<int>> runs(items);
          // Enough work per item that two threads do split the job.
          matmul.together({{m[0], x[0].data(), joint[0].data()}, {m[1], x[1].data(), joint[1].data()}, {m[2], x[2].data(), joint[2].data()}}, n, items,
                          1 << 16, [&](std::size_t i) { runs.at(i).fetch_add(1); });
          for (std::size_t p = 0; p < 3; ++p) CHECK(std::equal(apart[p].begin(), apart[p].end(), joint[p].begin()));
          for (std::size_t i = 0; i < items; ++i) CHECK(runs[i].load() == 1);
        }
}
