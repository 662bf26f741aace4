// big_int.hpp — the few arbitrary-precision integer operations the checker needs (parse, print, +, −, ×,
// compare). Numbers in reasoning text are short, so schoolbook base-10^9 arithmetic is plenty, and a game
// embedding the checker takes on no compiled or LGPL dependency (GMP) for it.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace arith {

class BigInt {
 public:
  BigInt() = default;
  BigInt(std::int64_t v) {  // NOLINT: implicit from small integers reads naturally in checks
    negative_ = v < 0;
    std::uint64_t m = negative_ ? 0 - static_cast<std::uint64_t>(v) : static_cast<std::uint64_t>(v);
    while (m) {
      limbs_.push_back(static_cast<std::uint32_t>(m % kBase));
      m /= kBase;
    }
  }

  // Optional '-' then decimal digits (leading zeros allowed). Anything else: nullopt.
  static std::optional<BigInt> parse(std::string_view s) {
    BigInt r;
    bool neg = false;
    if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
      neg = s[0] == '-';
      s.remove_prefix(1);
    }
    if (s.empty() || s.find_first_not_of("0123456789") != std::string_view::npos) return std::nullopt;
    for (std::size_t end = s.size(); end > 0;) {
      std::size_t begin = end >= 9 ? end - 9 : 0;
      std::uint32_t limb = 0;
      for (std::size_t i = begin; i < end; ++i) limb = limb * 10 + static_cast<std::uint32_t>(s[i] - '0');
      r.limbs_.push_back(limb);
      end = begin;
    }
    r.trim();
    r.negative_ = neg && !r.is_zero();
    return r;
  }

  std::string to_string() const {
    if (is_zero()) return "0";
    std::string out = std::to_string(limbs_.back());
    for (std::size_t i = limbs_.size() - 1; i-- > 0;) {
      std::string part = std::to_string(limbs_[i]);
      out += std::string(9 - part.size(), '0') + part;
    }
    return negative_ ? "-" + out : out;
  }

  bool is_zero() const { return limbs_.empty(); }
  bool negative() const { return negative_; }
  BigInt abs() const {
    BigInt r = *this;
    r.negative_ = false;
    return r;
  }

  friend bool operator==(const BigInt& a, const BigInt& b) { return a.negative_ == b.negative_ && a.limbs_ == b.limbs_; }
  friend bool operator!=(const BigInt& a, const BigInt& b) { return !(a == b); }
  friend bool operator<(const BigInt& a, const BigInt& b) {
    if (a.negative_ != b.negative_) return a.negative_;
    int c = compare_magnitude(a, b);
    return a.negative_ ? c > 0 : c < 0;
  }

  friend BigInt operator+(const BigInt& a, const BigInt& b) {
    if (a.negative_ == b.negative_) {
      BigInt r = add_magnitude(a, b);
      r.negative_ = a.negative_ && !r.is_zero();
      return r;
    }
    // Signs differ: subtract the smaller magnitude from the larger.
    int c = compare_magnitude(a, b);
    if (c == 0) return BigInt();
    const BigInt& big = c > 0 ? a : b;
    const BigInt& small = c > 0 ? b : a;
    BigInt r = sub_magnitude(big, small);
    r.negative_ = big.negative_;
    return r;
  }
  friend BigInt operator-(const BigInt& a, const BigInt& b) {
    BigInt nb = b;
    nb.negative_ = !b.negative_ && !b.is_zero();
    return a + nb;
  }
  friend BigInt operator*(const BigInt& a, const BigInt& b) {
    if (a.is_zero() || b.is_zero()) return BigInt();
    BigInt r;
    r.limbs_.assign(a.limbs_.size() + b.limbs_.size(), 0);
    for (std::size_t i = 0; i < a.limbs_.size(); ++i) {
      std::uint64_t carry = 0;
      for (std::size_t j = 0; j < b.limbs_.size() || carry; ++j) {
        std::uint64_t cur = r.limbs_[i + j] + carry + (j < b.limbs_.size() ? std::uint64_t{a.limbs_[i]} * b.limbs_[j] : 0);
        r.limbs_[i + j] = static_cast<std::uint32_t>(cur % kBase);
        carry = cur / kBase;
      }
    }
    r.trim();
    r.negative_ = a.negative_ != b.negative_;
    return r;
  }

 private:
  static constexpr std::uint64_t kBase = 1000000000;

  void trim() {
    while (!limbs_.empty() && limbs_.back() == 0) limbs_.pop_back();
  }
  static int compare_magnitude(const BigInt& a, const BigInt& b) {
    if (a.limbs_.size() != b.limbs_.size()) return a.limbs_.size() < b.limbs_.size() ? -1 : 1;
    for (std::size_t i = a.limbs_.size(); i-- > 0;)
      if (a.limbs_[i] != b.limbs_[i]) return a.limbs_[i] < b.limbs_[i] ? -1 : 1;
    return 0;
  }
  static BigInt add_magnitude(const BigInt& a, const BigInt& b) {
    BigInt r;
    std::uint64_t carry = 0;
    for (std::size_t i = 0; i < std::max(a.limbs_.size(), b.limbs_.size()) || carry; ++i) {
      std::uint64_t cur = carry + (i < a.limbs_.size() ? a.limbs_[i] : 0) + (i < b.limbs_.size() ? b.limbs_[i] : 0);
      r.limbs_.push_back(static_cast<std::uint32_t>(cur % kBase));
      carry = cur / kBase;
    }
    r.trim();
    return r;
  }
  static BigInt sub_magnitude(const BigInt& big, const BigInt& small) {  // |big| >= |small|
    BigInt r;
    std::int64_t borrow = 0;
    for (std::size_t i = 0; i < big.limbs_.size(); ++i) {
      std::int64_t cur = static_cast<std::int64_t>(big.limbs_[i]) - borrow - (i < small.limbs_.size() ? small.limbs_[i] : 0);
      borrow = cur < 0;
      if (cur < 0) cur += static_cast<std::int64_t>(kBase);
      r.limbs_.push_back(static_cast<std::uint32_t>(cur));
    }
    r.trim();
    return r;
  }

  bool negative_ = false;
  std::vector<std::uint32_t> limbs_;  // base 10^9, least significant first
};

}  // namespace arith
