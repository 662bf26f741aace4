// rwkv7/backend/cpu/time_mix_cxa076.hpp — the PRWKV "cxa076" TimeMix (FORMATS.md §1.4): the RWKV-7 recurrence
// inside a Qwen decoder. No token shift (every branch reads the normed input), grouped key/value heads repeated
// to every head, optional r/k/v biases and per-head r/k RMSNorm (cxa076r), k scaled by (1 − w + a) with w the
// log-domain decay, and the WKV output scaled by N^−½ instead of GroupNorm.
#pragma once

#include <algorithm>
#include <cmath>
#include <vector>

#include "../../detail/isa.hpp"
#include "../../kernels/matmul.hpp"
#include "../../kernels/norm.hpp"
#include "../../kernels/wkv7.hpp"
#include "../../model/weights.hpp"
#include "../../quant/element.hpp"
#include "columns.hpp"
#include "lora_gates.hpp"

namespace rwkv7::detail {
inline namespace RWKV7_ISA_NAMESPACE {

template <class K>
class TimeMixCxa076 {
 public:
  TimeMixCxa076(const TimeMixWeights& w, const ModelConfig& c, std::int64_t layer)
      : H_(c.n_head), N_(c.head_size), group_(c.n_head / c.n_kv_head), layer_(layer), rk_norm_(c.arch.rk_norm),
        rk_eps_(c.rk_norm_eps), decay_offset_(static_cast<float>(c.arch.decay_offset)), w0_(to_float(w.w0)), a0_(to_float(w.a0)),
        v0_(to_float(w.v0)), r_k_(to_float(w.r_k)), b_r_(to_float(w.receptance_bias)), b_k_(to_float(w.key_bias)),
        b_v_(to_float(w.value_bias)), ln_r_(to_float(w.ln_r)), ln_k_(to_float(w.ln_k)), w_(w) {}

  struct Scratch {
    ColumnBuffer r, w, k_grouped, v_grouped, k, v, a, g, kk, kka, o, tmp;
    typename LoraGates<K>::Scratch gates;
  };

  // xn: RMSNorm(ln1) of the residual, n columns × C. v_first (n × A): layer 0 writes it, later layers read it.
  // out: the residual update, n columns × C. Each segment's WKV state is advanced.
  void forward(const float* xn, std::size_t n, const std::vector<Segment>& segments, float* v_first, float* out, Scratch& s,
               const MatMul<K>& matmul) const {
    const std::int64_t A = H_ * N_, Kw = H_ / group_ * N_;
    float *r = s.r.get(n, A), *w = s.w.get(n, A), *kg = s.k_grouped.get(n, Kw), *vg = s.v_grouped.get(n, Kw), *k = s.k.get(n, A),
          *v = s.v.get(n, A), *a = s.a.get(n, A), *g = s.g.get(n, A), *kk = s.kk.get(n, A), *kka = s.kka.get(n, A),
          *o = s.o.get(n, A), *tmp = s.tmp.get(n, A);
    const typename LoraGates<K>::Io gate_io[] = {{xn, w}, {xn, a}, {xn, g}, {xn, tmp}};
    auto gate = [&](std::size_t which) { LoraGates<K>::run(which, w_, layer_, gate_io, n, s.gates); };
    matmul.together({{w_.receptance, xn, r}, {w_.key, xn, kg}, {w_.value, xn, vg}}, n, LoraGates<K>::kCount, LoraGates<K>::work(w_, n), gate);

    // Every step to the output projection reads and writes only its own head's channels, so threads take whole
    // heads through all of it.
    const auto N = static_cast<std::size_t>(N_);
    const float scale = 1.0f / std::sqrt(static_cast<float>(N_));
    matmul.exec.parallel(static_cast<std::size_t>(H_), n * (4 * N * N + 80 * N), [&](std::size_t h0, std::size_t h1) {
      for (std::size_t h = h0; h < h1; ++h) {
        for (std::size_t c = 0; c < n; ++c) head_inputs(c, h, r, kg, vg, k, v);
        for (std::size_t c = 0; c < n; ++c) finish(c * static_cast<std::size_t>(A) + h * N, v_first, w, a, v, k, kk, kka, tmp);
        for (const Segment& seg : segments) {
          float* S = seg.state->wkv(layer_) + h * N * N;
          for (std::size_t c = seg.first; c < seg.first + seg.count; ++c) {
            const std::size_t off = c * static_cast<std::size_t>(A) + h * N;
            K::wkv7_step(S, N_, r + off, w + off, k + off, v + off, kk + off, kka + off, o + off);
          }
        }
        for (std::size_t c = 0; c < n; ++c) {
          const std::size_t off = c * static_cast<std::size_t>(A) + h * N;
          // Bonus: o_h·N^−½ + (Σ_j r_hj k_hj r_k[h,j]) · v_h, then the gate.
          float rk = 0.0f;
          for (std::size_t j = 0; j < N; ++j) rk += r[off + j] * k[off + j] * r_k_[h * N + j];
          for (std::size_t j = 0; j < N; ++j) tmp[off + j] = (o[off + j] * scale + rk * v[off + j]) * g[off + j];
        }
      }
    });
    matmul(w_.output, tmp, n, out);
  }

 private:
  // Head h of column c: r with its bias (and norm), and k, v read from the key/value head the group shares
  // (RepeatKV: head h reads kv head h / group), with their biases (and k's norm).
  void head_inputs(std::size_t c, std::size_t h, float* r, const float* kg, const float* vg, float* k, float* v) const {
    const auto N = static_cast<std::size_t>(N_);
    const std::size_t at = c * static_cast<std::size_t>(H_) * N + h * N;
    const std::size_t kv_head = h / static_cast<std::size_t>(group_);
    const std::size_t kv_at = c * static_cast<std::size_t>(H_ / group_) * N + kv_head * N;
    float *rh = r + at, *kh = k + at, *vh = v + at;
    for (std::size_t j = 0; j < N; ++j) {
      kh[j] = kg[kv_at + j];
      vh[j] = vg[kv_at + j];
    }
    if (!b_r_.empty())
      for (std::size_t j = 0; j < N; ++j) {
        rh[j] += b_r_[h * N + j];
        kh[j] += b_k_[kv_head * N + j];
        vh[j] += b_v_[kv_head * N + j];
      }
    if (rk_norm_) {  // per-head RMSNorm of r and of the (shared) k, before the key is adjusted
      rms_norm(rh, N_, ln_r_.data(), rk_eps_, rh);
      rms_norm(kh, N_, ln_k_.data(), rk_eps_, kh);
    }
  }

  // The gates' elementwise finish over the N channels of one head in one column, starting at channel `at`:
  // kk = k / ‖k‖ from the k before its adjustment; the log-domain decay w = offset − softplus(−(w0 + raw)),
  // written as the decay exp(−e^w); a = σ(a0 + raw); k ← k ⊙ (1 − w + a); kka = kk ⊙ a; the value residual.
  void finish(std::size_t at, float* v_first, float* w, float* a, float* v, float* k, float* kk, float* kka, const float* tmp) const {
    const auto N = static_cast<std::size_t>(N_);
    const std::size_t ch = at % static_cast<std::size_t>(H_ * N_);
    float *wc = w + at, *ac = a + at, *vc = v + at, *kc = k + at, *kkc = kk + at, *kkac = kka + at;
    float sq = 0.0f;
    for (std::size_t j = 0; j < N; ++j) sq += kc[j] * kc[j];
    const float inv = 1.0f / std::max(std::sqrt(sq), 1e-12f);
    K::elementwise(N, [&](auto lanes, std::size_t i) {
      const auto log_decay = decay_offset_ - lanes.softplus(-(lanes.load(w0_.data() + ch, i) + lanes.load(wc, i)));
      const auto ai = lanes.sigmoid(lanes.load(a0_.data() + ch, i) + lanes.load(ac, i));
      const auto kki = lanes.load(kc, i) * inv;
      lanes.store(wc, i, lanes.exp(-lanes.exp(log_decay)));
      lanes.store(ac, i, ai);
      lanes.store(kkc, i, kki);
      lanes.store(kkac, i, kki * ai);
      lanes.store(kc, i, lanes.load(kc, i) * (1.0f - log_decay + ai));
    });
    LoraGates<K>::value_residual(layer_, N, vc, v_first + at, layer_ == 0 ? nullptr : v0_.data() + ch, tmp + at);
  }

  std::int64_t H_, N_, group_, layer_;
  bool rk_norm_;
  double rk_eps_;
  float decay_offset_;
  std::vector<float> w0_, a0_, v0_, r_k_, b_r_, b_k_, b_v_, ln_r_, ln_k_;
  const TimeMixWeights& w_;  // views of the large matrices, read in place; owned by the backend
};

}  // namespace RWKV7_ISA_NAMESPACE
}  // namespace rwkv7::detail
