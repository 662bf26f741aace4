// quant/: each weight encoding against an independent decoding of its bits (IEEE-754 arithmetic in double,
// std::ldexp), and the per-row int8 quantizer against its definition, row by row.
#include <doctest/doctest.h>

#include <rwkv7/rwkv7.hpp>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

namespace {

using rwkv7::detail::bf16_to_float;
using rwkv7::detail::f16_to_float;
using rwkv7::detail::float_to_bf16;

// A binary floating-point encoding decoded from its fields in double: (−1)^s · 1.m · 2^(e − bias), subnormals
// 0.m · 2^(1 − bias), all-ones exponent = infinity (mantissa 0) or NaN.
double decode(std::uint32_t bits, int exponent_bits, int mantissa_bits) {
  const std::uint32_t man = bits & ((1u << mantissa_bits) - 1);
  const std::uint32_t exp = (bits >> mantissa_bits) & ((1u << exponent_bits) - 1);
  const bool negative = (bits >> (mantissa_bits + exponent_bits)) & 1u;
  const int bias = (1 << (exponent_bits - 1)) - 1;
  double v;
  if (exp == (1u << exponent_bits) - 1)
    v = man ? std::numeric_limits<double>::quiet_NaN() : std::numeric_limits<double>::infinity();
  else if (exp == 0)
    v = std::ldexp(static_cast<double>(man), 1 - bias - mantissa_bits);
  else
    v = std::ldexp(static_cast<double>(man | (1u << mantissa_bits)), static_cast<int>(exp) - bias - mantissa_bits);
  return negative ? -v : v;
}

bool same_value(float got, double want) {
  if (std::isnan(want)) return std::isnan(got);
  return static_cast<double>(got) == want && std::signbit(got) == std::signbit(want);
}

std::uint32_t bits_of(float f) {
  std::uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
}

}  // namespace

TEST_SUITE("quant/widen.hpp") {
  TEST_CASE("every bf16 bit pattern widens to the value its fields encode") {
    std::size_t wrong = 0;
    for (std::uint32_t h = 0; h <= 0xffff; ++h)
      if (!same_value(bf16_to_float(static_cast<std::uint16_t>(h)), decode(h, 8, 7))) ++wrong;
    CHECK(wrong == 0);
  }

  TEST_CASE("every IEEE fp16 bit pattern widens to the value its fields encode, subnormals and signed zeros included") {
    std::size_t wrong = 0;
    for (std::uint32_t h = 0; h <= 0xffff; ++h)
      if (!same_value(f16_to_float(static_cast<std::uint16_t>(h)), decode(h, 5, 10))) ++wrong;
    CHECK(wrong == 0);
    CHECK(f16_to_float(0x3c00) == 1.0f);
    CHECK(f16_to_float(0x0001) == static_cast<float>(std::ldexp(1.0, -24)));
  }

  TEST_CASE("fp32 to bf16 rounds to the nearest bf16, ties to even, and keeps NaN a NaN") {
    std::mt19937 rng(7);
    std::uniform_int_distribution<std::uint32_t> any;
    std::size_t wrong = 0, ties = 0;
    for (int n = 0; n < 200000; ++n) {
      std::uint32_t u = any(rng);
      if (n % 4 == 0) u = (u & 0xffff0000u) | 0x8000u;  // exactly halfway between two bf16 values
      float f;
      std::memcpy(&f, &u, sizeof f);
      const std::uint16_t got = float_to_bf16(f);
      if (std::isnan(f)) {
        wrong += !std::isnan(bf16_to_float(got));
        continue;
      }
      // The two bf16 neighbours of f: truncation and the next value away from zero.
      const auto low = static_cast<std::uint16_t>(u >> 16), high = static_cast<std::uint16_t>(low + 1);
      // Rounding treats infinity as 2^128, the next exponent step: halfway past the largest finite value overflows.
      const double high_value = std::isinf(decode(high, 8, 7)) ? std::copysign(std::ldexp(1.0, 128), static_cast<double>(f)) : decode(high, 8, 7);
      const double x = f, dl = std::abs(decode(low, 8, 7) - x), dh = std::abs(high_value - x);
      std::uint16_t want = dl < dh ? low : high;
      if (dl == dh) {
        ++ties;
        want = (low & 1u) ? high : low;
      }
      wrong += got != want;
    }
    CHECK(wrong == 0);
    CHECK(ties > 40000);  // the halfway inputs were really tested
  }
}

TEST_SUITE("quant/int8.hpp") {
  template <class Load, class Encode>
  void check_rows(Encode encode, std::size_t element_size) {
    constexpr std::size_t rows = 37, cols = 300;
    std::mt19937 rng(11);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    std::vector<std::byte> w(rows * cols * element_size);
    std::vector<double> value(rows * cols);
    for (std::size_t o = 0; o < rows; ++o) {
      const float row_scale = std::ldexp(1.0f, static_cast<int>(o % 9) - 4);  // rows of very different magnitudes
      for (std::size_t i = 0; i < cols; ++i) {
        const float x = o == 5 ? 0.0f : normal(rng) * row_scale;  // row 5 is all zeros
        value[o * cols + i] = encode(x, w.data() + (o * cols + i) * element_size);
      }
    }
    std::vector<float> scale(rows, -1.0f);
    std::vector<std::int8_t> q(rows * cols);
    REQUIRE(rwkv7::detail::quantize_rows<Load>(w.data(), rows, cols, scale.data(), q.data()) == rows);
    for (std::size_t o = 0; o < rows; ++o) {
      double peak = 0.0;
      for (std::size_t i = 0; i < cols; ++i) peak = std::max(peak, std::abs(value[o * cols + i]));
      INFO("row " << o);
      if (peak == 0.0) {
        CHECK(scale[o] == 1.0f);  // any positive scale reconstructs zeros; 1 keeps the row finite
        for (std::size_t i = 0; i < cols; ++i) CHECK(q[o * cols + i] == 0);
        continue;
      }
      const double s = scale[o];
      CHECK(std::abs(s - peak / 127.0) <= 1e-6 * s);
      int extreme = 0;
      double worst = 0.0;
      for (std::size_t i = 0; i < cols; ++i) {
        const double qv = q[o * cols + i];
        extreme = std::max(extreme, std::abs(static_cast<int>(qv)));
        worst = std::max(worst, std::abs(qv * s - value[o * cols + i]) / s);  // nearest level: within half a step
      }
      CHECK(extreme == 127);
      CHECK(worst <= 0.5 + 1e-5);
      CHECK(worst > 0.3);
    }
  }

  TEST_CASE("quantize_rows: one scale per row, max|w| / 127, every weight on the nearest level, for each source encoding") {
    SUBCASE("fp32") {
      check_rows<rwkv7::detail::LoadF32>([](float x, std::byte* p) { std::memcpy(p, &x, 4); return static_cast<double>(x); }, 4);
    }
    SUBCASE("bf16") {
      check_rows<rwkv7::detail::LoadBF16>(
          [](float x, std::byte* p) {
            const std::uint16_t h = float_to_bf16(x);
            std::memcpy(p, &h, 2);
            return decode(h, 8, 7);
          },
          2);
    }
    SUBCASE("fp16") {
      check_rows<rwkv7::detail::LoadF16>(
          [](float x, std::byte* p) {
            // fp16 by truncating an fp32 whose mantissa has no more than 10 bits and whose exponent is in range
            const std::uint32_t u = bits_of(x) & 0xffffe000u;
            const std::uint32_t exp = (u >> 23) & 0xffu;
            std::uint16_t h = static_cast<std::uint16_t>((u >> 16) & 0x8000u);
            if (exp > 112 && exp < 143) h = static_cast<std::uint16_t>(h | ((exp - 112) << 10) | ((u >> 13) & 0x3ffu));
            std::memcpy(p, &h, 2);
            return decode(h, 5, 10);
          },
          2);
    }
  }

  TEST_CASE("quantize_rows halves are rounded away from zero, and the sign is kept") {
    // Row peak 127 → scale 1: the values are their own levels, and x.5 must go to the larger magnitude.
    const float row[] = {127.0f, 2.5f, -2.5f, 0.5f, -0.5f, 0.49f, -126.5f, 3.0f};
    const std::int8_t want[] = {127, 3, -3, 1, -1, 0, -127, 3};
    float scale = 0.0f;
    std::int8_t q[8];
    REQUIRE(rwkv7::detail::quantize_rows<rwkv7::detail::LoadF32>(reinterpret_cast<const std::byte*>(row), 1, 8, &scale, q) == 1);
    CHECK(scale == 1.0f);
    for (int i = 0; i < 8; ++i) CHECK(q[i] == want[i]);
  }

  TEST_CASE("quantize_rows stops at the first row holding a NaN or an infinity and names it") {
    for (const float bad : {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity(), -std::numeric_limits<float>::infinity()}) {
      std::vector<float> w(4 * 16, 0.25f);
      w[2 * 16 + 7] = bad;
      std::vector<float> scale(4);
      std::vector<std::int8_t> q(w.size());
      CHECK(rwkv7::detail::quantize_rows<rwkv7::detail::LoadF32>(reinterpret_cast<const std::byte*>(w.data()), 4, 16, scale.data(), q.data()) == 2);
    }
  }
}

TEST_SUITE("quant/element.hpp") {
  TEST_CASE("element reads each kernel encoding at any byte offset, and q8 unscaled") {
    const float f = -3.75f;
    const std::uint16_t b = float_to_bf16(1.5f), h = 0xc500;  // fp16 −5
    const std::int8_t i8 = -100;
    std::byte buf[16] = {};
    std::memcpy(buf + 1, &f, 4);
    std::memcpy(buf + 5, &b, 2);
    std::memcpy(buf + 7, &h, 2);
    std::memcpy(buf + 9, &i8, 1);
    CHECK(rwkv7::detail::element(buf + 1, rwkv7::DType::f32, 0) == -3.75f);
    CHECK(rwkv7::detail::element(buf + 5, rwkv7::DType::bf16, 0) == 1.5f);
    CHECK(rwkv7::detail::element(buf + 7, rwkv7::DType::f16, 0) == -5.0f);
    CHECK(rwkv7::detail::element(buf + 9, rwkv7::DType::q8, 0) == -100.0f);
  }
}
