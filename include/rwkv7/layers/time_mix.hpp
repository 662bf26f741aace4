// rwkv7/layers/time_mix.hpp — RWKV-7 TimeMix (the "attention" of RWKV): token shift, LoRA gates, WKV, GroupNorm.
// Matrix products run over all columns of a chunk at once; the WKV recurrence runs column by column.
#pragma once

#include <cmath>
#include <vector>

#include "../backend/cpu_matvec.hpp"
#include "columns.hpp"
#include "norm.hpp"
#include "wkv7.hpp"
#include "../detail/isa.hpp"

namespace rwkv7::detail {
inline namespace RWKV7_ISA_NAMESPACE {

template <class K>
class TimeMix {
 public:
  TimeMix(const TimeMixWeights& w, const ModelConfig& c, std::int64_t layer)
      : C_(c.n_embd), H_(c.n_head), N_(c.head_size), layer_(layer), gn_eps_(c.group_norm_eps),
        x_r_(to_float(w.x_r)), x_w_(to_float(w.x_w)), x_k_(to_float(w.x_k)), x_v_(to_float(w.x_v)),
        x_a_(to_float(w.x_a)), x_g_(to_float(w.x_g)), w0_(to_float(w.w0)), a0_(to_float(w.a0)),
        v0_(layer == 0 ? std::vector<float>() : to_float(w.v0)), k_k_(to_float(w.k_k)), k_a_(to_float(w.k_a)),
        r_k_(to_float(w.r_k)), ln_x_w_(to_float(w.ln_x_w)), ln_x_b_(to_float(w.ln_x_b)), w_(w) {}

  struct Scratch {
    ColumnBuffer xr, xw, xk, xv, xa, xg, r, w, k, v, a, g, kk, kka, o, tmp, lora_w, lora_a, lora_g, lora_v;
    TokenShift shift;
  };

  // xn: LayerNorm(ln1) of the residual, n columns × C. v_first: layer 0 writes it, later layers read it.
  // out: the residual update, n columns × C. Each segment's State (shift, WKV) is advanced.
  void forward(const float* xn, std::size_t n, const std::vector<Segment>& segments, float* v_first, float* out, Scratch& s,
               const MatMul<K>& matmul) const {
    const auto C = static_cast<std::size_t>(C_);
    float *xr = s.xr.get(n, C_), *xw = s.xw.get(n, C_), *xk = s.xk.get(n, C_), *xv = s.xv.get(n, C_), *xa = s.xa.get(n, C_),
          *xg = s.xg.get(n, C_), *r = s.r.get(n, C_), *w = s.w.get(n, C_), *k = s.k.get(n, C_), *v = s.v.get(n, C_),
          *a = s.a.get(n, C_), *g = s.g.get(n, C_), *kk = s.kk.get(n, C_), *kka = s.kka.get(n, C_), *o = s.o.get(n, C_),
          *tmp = s.tmp.get(n, C_);

    // Token shift: x + (x_prev − x) ⊙ x_Q; afterwards the State keeps each segment's last input.
    auto kept = [this](State& st) { return st.att_shift(layer_); };
    const float* const* prev = s.shift.inputs(xn, C, segments, n, kept);
    matmul.parallel(n, 12 * C, [&](std::size_t c0, std::size_t c1) {
      for (std::size_t c = c0; c < c1; ++c) {
        const float* x = xn + c * C;
        for (std::size_t i = 0; i < C; ++i) {
          const float d = prev[c][i] - x[i];
          xr[c * C + i] = x[i] + d * x_r_[i];
          xw[c * C + i] = x[i] + d * x_w_[i];
          xk[c * C + i] = x[i] + d * x_k_[i];
          xv[c * C + i] = x[i] + d * x_v_[i];
          xa[c * C + i] = x[i] + d * x_a_[i];
          xg[c * C + i] = x[i] + d * x_g_[i];
        }
      }
    });
    TokenShift::keep_last(xn, C, segments, kept);

    matmul(w_.receptance, xr, n, r);
    matmul(w_.key, xk, n, k);
    matmul(w_.value, xv, n, v);
    // The LoRA gates; their elementwise finish (decay, a, value residual) is done per column further down. The
    // four are independent chains of small products (~0.9 MB of weights a layer): threads take whole gates, so
    // they run side by side even for a single column, where no one product is worth splitting. Inside a gate the
    // products run on the calling thread, in fp32 (no shared bf16 rounding buffer).
    const MatMul<K> serial{};
    // result = up · squash(down · x), through the gate's own hidden buffer.
    auto lora = [&](const Linear& down, const Linear& up, const float* x, ColumnBuffer& hidden, float* result, auto squash) {
      float* h = hidden.get(n, down.out);
      serial(down, x, n, h);
      squash(h, down.out);
      serial(up, h, n, result);
    };
    auto tanh_of = [&](float* h, std::int64_t width) { apply(serial, h, n, width, [](auto lanes, auto z) { return lanes.tanh(z); }); };
    auto sigmoid_of = [&](float* h, std::int64_t width) { apply(serial, h, n, width, [](auto lanes, auto z) { return lanes.sigmoid(z); }); };
    auto linear = [](float*, std::int64_t) {};
    auto gate = [&](std::size_t which) {
      switch (which) {
        case 0: lora(w_.w1, w_.w2, xw, s.lora_w, w, tanh_of); break;
        case 1: lora(w_.a1, w_.a2, xa, s.lora_a, a, linear); break;
        case 2: lora(w_.g1, w_.g2, xg, s.lora_g, g, sigmoid_of); break;  // g = σ(xg·g1)·g2: output gate
        default:
          if (layer_ > 0) lora(w_.v1, w_.v2, xv, s.lora_v, tmp, linear);
      }
    };
    matmul.parallel(4, 2 * static_cast<std::size_t>(w_.g1.out) * C * n, [&](std::size_t g0, std::size_t g1) {
      for (std::size_t which = g0; which < g1; ++which) gate(which);
    });

    matmul.parallel(n, 40 * C, [&](std::size_t c0, std::size_t c1) {
      const float e_half = 0.6065306597126334f;
      for (std::size_t c = c0; c < c1; ++c) {
        float *wc = w + c * C, *ac = a + c * C, *vc = v + c * C, *kc = k + c * C, *kkc = kk + c * C, *kkac = kka + c * C;
        K::elementwise(C, [&](auto lanes, std::size_t i) {
          // decay = exp(−e^−0.5 · σ(w0 + tanh(xw·w1)·w2)); a = σ(a0 + xa·a1·a2): in-context learning rate
          lanes.store(wc, i, lanes.exp(-e_half * lanes.sigmoid(lanes.load(w0_.data(), i) + lanes.load(wc, i))));
          lanes.store(ac, i, lanes.sigmoid(lanes.load(a0_.data(), i) + lanes.load(ac, i)));
        });
        // Value residual: layer 0 defines v_first; later layers lerp towards it by σ(v0 + xv·v1·v2).
        if (layer_ == 0) {
          std::copy(vc, vc + C, v_first + c * C);
        } else {
          const float *vf = v_first + c * C, *tc = tmp + c * C;
          K::elementwise(C, [&](auto lanes, std::size_t i) {
            const auto vi = lanes.load(vc, i);
            lanes.store(vc, i, vi + (lanes.load(vf, i) - vi) * lanes.sigmoid(lanes.load(v0_.data(), i) + lanes.load(tc, i)));
          });
        }
        // kk = per-head L2-normalized k ⊙ k_k (eps 1e-12, as F.normalize); then k ← k ⊙ (1 + (a − 1) ⊙ k_a)
        for (std::size_t i = 0; i < C; ++i) kkc[i] = kc[i] * k_k_[i];
        for (std::int64_t h = 0; h < H_; ++h) {
          float* head = kkc + h * N_;
          float sq = 0.0f;
          for (std::int64_t j = 0; j < N_; ++j) sq += head[j] * head[j];
          const float inv = 1.0f / std::max(std::sqrt(sq), 1e-12f);
          for (std::int64_t j = 0; j < N_; ++j) head[j] *= inv;
        }
        for (std::size_t i = 0; i < C; ++i) {
          kc[i] = kc[i] * (1.0f + (ac[i] - 1.0f) * k_a_[i]);
          kkac[i] = kkc[i] * ac[i];
        }
      }
    });

    // The recurrence: in sequence order within each segment, on that segment's state; heads are independent.
    for (const Segment& seg : segments) {
      float* S = seg.state->wkv(layer_);
      matmul.parallel(static_cast<std::size_t>(H_), seg.count * static_cast<std::size_t>(4 * N_ * N_), [&](std::size_t h0, std::size_t h1) {
        for (std::size_t c = seg.first; c < seg.first + seg.count; ++c)
          for (auto h = static_cast<std::int64_t>(h0); h < static_cast<std::int64_t>(h1); ++h) {
            const std::size_t off = c * C + static_cast<std::size_t>(h * N_);
            K::wkv7_step(S + h * N_ * N_, N_, r + off, w + off, k + off, v + off, kk + off, kka + off, o + off);
          }
      });
    }

    matmul.parallel(n, 8 * C, [&](std::size_t c0, std::size_t c1) {
      for (std::size_t c = c0; c < c1; ++c) {
        const std::size_t base = c * C;
        group_norm(o + base, H_, N_, ln_x_w_.data(), ln_x_b_.data(), gn_eps_, tmp + base);
        // Bonus: o_h += (Σ_j r_hj k_hj r_k[h,j]) · v_h, then the gate.
        for (std::int64_t h = 0; h < H_; ++h) {
          const std::size_t off = base + static_cast<std::size_t>(h * N_);
          float rk = 0.0f;
          for (std::int64_t j = 0; j < N_; ++j) rk += r[off + j] * k[off + j] * r_k_[h * N_ + j];
          for (std::int64_t j = 0; j < N_; ++j) tmp[off + j] = (tmp[off + j] + rk * v[off + j]) * g[off + j];
        }
      }
    });
    matmul(w_.output, tmp, n, out);
  }

 private:
  // x ← f(lanes, x) over n columns of `width` (the LoRA activations). Column by column, so whether an element
  // takes the vector or the scalar path (the same bits either way only for the exact kernels) depends on its
  // place in its column, not on how many columns came with it.
  template <class F>
  static void apply(const MatMul<K>& matmul, float* x, std::size_t n, std::int64_t width, F f) {
    const auto W = static_cast<std::size_t>(width);
    matmul.parallel(n, 20 * W, [&](std::size_t c0, std::size_t c1) {
      for (std::size_t c = c0; c < c1; ++c) {
        float* column = x + c * W;
        K::elementwise(W, [&](auto lanes, std::size_t i) { lanes.store(column, i, f(lanes, lanes.load(column, i))); });
      }
    });
  }

  std::int64_t C_, H_, N_, layer_;
  double gn_eps_;
  std::vector<float> x_r_, x_w_, x_k_, x_v_, x_a_, x_g_, w0_, a0_, v0_, k_k_, k_a_, r_k_, ln_x_w_, ln_x_b_;
  TimeMixWeights w_;  // views of the large matrices, read in place
};

}  // namespace RWKV7_ISA_NAMESPACE
}  // namespace rwkv7::detail
