// rwkv7/layers/time_mix.hpp — RWKV-7 TimeMix (the "attention" of RWKV): token shift, LoRA gates, WKV, GroupNorm.
#pragma once

#include <cmath>
#include <vector>

#include "../backend/cpu_matvec.hpp"
#include "norm.hpp"
#include "wkv7.hpp"

namespace rwkv7::detail {

class TimeMix {
 public:
  TimeMix(const TimeMixWeights& w, const ModelConfig& c, bool first_layer)
      : C_(c.n_embd), H_(c.n_head), N_(c.head_size), gn_eps_(c.group_norm_eps), first_(first_layer),
        x_r_(to_float(w.x_r)), x_w_(to_float(w.x_w)), x_k_(to_float(w.x_k)), x_v_(to_float(w.x_v)),
        x_a_(to_float(w.x_a)), x_g_(to_float(w.x_g)), w0_(to_float(w.w0)), a0_(to_float(w.a0)),
        v0_(first_layer ? std::vector<float>() : to_float(w.v0)), k_k_(to_float(w.k_k)), k_a_(to_float(w.k_a)),
        r_k_(to_float(w.r_k)), ln_x_w_(to_float(w.ln_x_w)), ln_x_b_(to_float(w.ln_x_b)), w_(w) {}

  // Per-call buffers, sized once per sequence so the token loop does not allocate.
  struct Scratch {
    explicit Scratch(const ModelConfig& c)
        : xr(n(c.n_embd)), xw(n(c.n_embd)), xk(n(c.n_embd)), xv(n(c.n_embd)), xa(n(c.n_embd)), xg(n(c.n_embd)),
          r(n(c.n_embd)), w(n(c.n_embd)), k(n(c.n_embd)), v(n(c.n_embd)), a(n(c.n_embd)), g(n(c.n_embd)),
          kk(n(c.n_embd)), kka(n(c.n_embd)), o(n(c.n_embd)), tmp(n(c.n_embd)),
          lora(n(std::max({c.lora_w, c.lora_a, c.lora_v, c.lora_g, std::int64_t{1}}))) {}
    static std::size_t n(std::int64_t v) { return static_cast<std::size_t>(v); }
    std::vector<float> xr, xw, xk, xv, xa, xg, r, w, k, v, a, g, kk, kka, o, tmp, lora;
  };

  // x: LayerNorm(ln1) of the residual [C]; shift: previous token's x [C] (updated); S: [H,N,N] (updated);
  // v_first: layer 0 writes it, later layers read it; out: the residual update [C].
  void forward(const float* x, float* shift, float* S, float* v_first, float* out, Scratch& s) const {
    for (std::int64_t i = 0; i < C_; ++i) {
      const float d = shift[i] - x[i];
      s.xr[i] = x[i] + d * x_r_[i];
      s.xw[i] = x[i] + d * x_w_[i];
      s.xk[i] = x[i] + d * x_k_[i];
      s.xv[i] = x[i] + d * x_v_[i];
      s.xa[i] = x[i] + d * x_a_[i];
      s.xg[i] = x[i] + d * x_g_[i];
      shift[i] = x[i];
    }
    matvec(w_.receptance, s.xr.data(), s.r.data());
    matvec(w_.key, s.xk.data(), s.k.data());
    matvec(w_.value, s.xv.data(), s.v.data());

    // decay = exp(−e^−0.5 · σ(w0 + tanh(xw·w1)·w2))
    matvec(w_.w1, s.xw.data(), s.lora.data());
    for (std::int64_t i = 0; i < w_.w1.out; ++i) s.lora[i] = std::tanh(s.lora[i]);
    matvec(w_.w2, s.lora.data(), s.w.data());
    const float e_half = 0.6065306597126334f;
    for (std::int64_t i = 0; i < C_; ++i) s.w[i] = std::exp(-e_half * sigmoid(w0_[i] + s.w[i]));

    // a = σ(a0 + xa·a1·a2): in-context learning rate
    matvec(w_.a1, s.xa.data(), s.lora.data());
    matvec(w_.a2, s.lora.data(), s.a.data());
    for (std::int64_t i = 0; i < C_; ++i) s.a[i] = sigmoid(a0_[i] + s.a[i]);

    // g = σ(xg·g1)·g2: output gate
    matvec(w_.g1, s.xg.data(), s.lora.data());
    for (std::int64_t i = 0; i < w_.g1.out; ++i) s.lora[i] = sigmoid(s.lora[i]);
    matvec(w_.g2, s.lora.data(), s.g.data());

    // kk = per-head L2-normalized k ⊙ k_k (eps 1e-12, as F.normalize); then k ← k ⊙ (1 + (a − 1) ⊙ k_a)
    for (std::int64_t i = 0; i < C_; ++i) s.kk[i] = s.k[i] * k_k_[i];
    for (std::int64_t h = 0; h < H_; ++h) {
      float* kk = s.kk.data() + h * N_;
      float sq = 0.0f;
      for (std::int64_t j = 0; j < N_; ++j) sq += kk[j] * kk[j];
      const float inv = 1.0f / std::max(std::sqrt(sq), 1e-12f);
      for (std::int64_t j = 0; j < N_; ++j) kk[j] *= inv;
    }
    for (std::int64_t i = 0; i < C_; ++i) {
      s.k[i] = s.k[i] * (1.0f + (s.a[i] - 1.0f) * k_a_[i]);
      s.kka[i] = s.kk[i] * s.a[i];
    }

    // Value residual: layer 0 defines v_first; later layers lerp towards it by σ(v0 + xv·v1·v2).
    if (first_) {
      std::copy(s.v.begin(), s.v.end(), v_first);
    } else {
      matvec(w_.v1, s.xv.data(), s.lora.data());
      matvec(w_.v2, s.lora.data(), s.tmp.data());
      for (std::int64_t i = 0; i < C_; ++i) s.v[i] = s.v[i] + (v_first[i] - s.v[i]) * sigmoid(v0_[i] + s.tmp[i]);
    }

    for (std::int64_t h = 0; h < H_; ++h) {
      const std::int64_t off = h * N_;
      wkv7_step(S + h * N_ * N_, N_, s.r.data() + off, s.w.data() + off, s.k.data() + off, s.v.data() + off,
                s.kk.data() + off, s.kka.data() + off, s.o.data() + off);
    }
    group_norm(s.o.data(), H_, N_, ln_x_w_.data(), ln_x_b_.data(), gn_eps_, s.tmp.data());

    // Bonus: o_h += (Σ_j r_hj k_hj r_k[h,j]) · v_h, then gate and project.
    for (std::int64_t h = 0; h < H_; ++h) {
      const std::int64_t off = h * N_;
      float rk = 0.0f;
      for (std::int64_t j = 0; j < N_; ++j) rk += s.r[off + j] * s.k[off + j] * r_k_[off + j];
      for (std::int64_t j = 0; j < N_; ++j) s.tmp[off + j] = (s.tmp[off + j] + rk * s.v[off + j]) * s.g[off + j];
    }
    matvec(w_.output, s.tmp.data(), out);
  }

 private:
  std::int64_t C_, H_, N_;
  double gn_eps_;
  bool first_;
  std::vector<float> x_r_, x_w_, x_k_, x_v_, x_a_, x_g_, w0_, a0_, v0_, k_k_, k_a_, r_k_, ln_x_w_, ln_x_b_;
  TimeMixWeights w_;  // views of the large matrices, read in place
};

}  // namespace rwkv7::detail
