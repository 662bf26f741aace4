// rwkv7/backend/cpu/time_mix.hpp — the x070 TimeMix (the "attention" of RWKV-7): token shift, LoRA gates, WKV, GroupNorm.
// Matrix products run over all columns of a chunk at once; the WKV recurrence runs column by column.
#pragma once

#include <cmath>
#include <vector>

#include "../../kernels/matmul.hpp"
#include "../../model/weights.hpp"
#include "../../quant/element.hpp"
#include "../../detail/isa.hpp"
#include "../../kernels/norm.hpp"
#include "../../kernels/wkv7.hpp"
#include "columns.hpp"
#include "lora_gates.hpp"

namespace rwkv7::detail {
inline namespace RWKV7_ISA_NAMESPACE {

template <class K>
class TimeMix {
 public:
  TimeMix(const TimeMixWeights& w, const ModelConfig& c, std::int64_t layer)
      : C_(c.n_embd), H_(c.n_head), N_(c.head_size), layer_(layer), gn_eps_(c.group_norm_eps),
        decay_scale_(static_cast<float>(std::exp(c.arch.decay_offset))),
        x_r_(to_float(w.x_r)), x_w_(to_float(w.x_w)), x_k_(to_float(w.x_k)), x_v_(to_float(w.x_v)),
        x_a_(to_float(w.x_a)), x_g_(to_float(w.x_g)), w0_(to_float(w.w0)), a0_(to_float(w.a0)),
        v0_(to_float(w.v0)), k_k_(to_float(w.k_k)), k_a_(to_float(w.k_a)),
        r_k_(to_float(w.r_k)), ln_x_w_(to_float(w.ln_x_w)), ln_x_b_(to_float(w.ln_x_b)), w_(w) {}

  struct Scratch {
    ColumnBuffer xr, xw, xk, xv, xa, xg, r, w, k, v, a, g, kk, kka, o, tmp;
    typename LoraGates<K>::Scratch gates;
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
    matmul.exec.parallel(n, 12 * C, [&](std::size_t c0, std::size_t c1) {
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

    // The LoRA gates (their elementwise finish is done per head further down) run as items of one parallel job
    // with the r, k and v products.
    const typename LoraGates<K>::Io gate_io[] = {{xw, w}, {xa, a}, {xg, g}, {xv, tmp}};
    auto gate = [&](std::size_t which) { LoraGates<K>::run(which, w_, layer_, gate_io, n, s.gates); };
    matmul.together({{w_.receptance, xr, r}, {w_.key, xk, k}, {w_.value, xv, v}}, n, LoraGates<K>::kCount, LoraGates<K>::work(w_, n), gate);

    // From here to the output projection every step reads and writes only its own head's channels (the gates'
    // finish, the recurrence, GroupNorm, bonus and output gate), so threads take whole heads through all of it.
    const auto N = static_cast<std::size_t>(N_);
    matmul.exec.parallel(static_cast<std::size_t>(H_), n * (4 * N * N + 60 * N), [&](std::size_t h0, std::size_t h1) {
      for (std::size_t h = h0; h < h1; ++h) {
        for (std::size_t c = 0; c < n; ++c) finish(c * C + h * N, v_first, w, a, v, k, kk, kka, tmp);
        // The recurrence: in sequence order within each segment, on that segment's state.
        for (const Segment& seg : segments) {
          float* S = seg.state->wkv(layer_) + h * N * N;
          for (std::size_t c = seg.first; c < seg.first + seg.count; ++c) {
            const std::size_t off = c * C + h * N;
            K::wkv7_step(S, N_, r + off, w + off, k + off, v + off, kk + off, kka + off, o + off);
          }
        }
        for (std::size_t c = 0; c < n; ++c) {
          const std::size_t off = c * C + h * N;
          layer_norm(o + off, N_, ln_x_w_.data() + h * N, ln_x_b_.data() + h * N, gn_eps_, tmp + off);  // GroupNorm, one group a head
          // Bonus: o_h += (Σ_j r_hj k_hj r_k[h,j]) · v_h, then the gate.
          float rk = 0.0f;
          for (std::size_t j = 0; j < N; ++j) rk += r[off + j] * k[off + j] * r_k_[h * N + j];
          for (std::size_t j = 0; j < N; ++j) tmp[off + j] = (tmp[off + j] + rk * v[off + j]) * g[off + j];
        }
      }
    });
    matmul(w_.output, tmp, n, out);
  }

 private:
  // The gates' elementwise finish over the N channels of one head in one column, starting at channel `at` of the
  // chunk. Reads the raw gate outputs in w, a and tmp (value gate), writes: decay into w, a, the value after its
  // residual into v (layer 0: into v_first), k ← k ⊙ (1 + (a − 1) ⊙ k_a), kk and kka = kk ⊙ a.
  void finish(std::size_t at, float* v_first, float* w, float* a, float* v, float* k, float* kk, float* kka, const float* tmp) const {
    const auto N = static_cast<std::size_t>(N_);
    const std::size_t ch = at % static_cast<std::size_t>(C_);  // channel within the column, for the per-channel weights
    float *wc = w + at, *ac = a + at, *vc = v + at, *kc = k + at, *kkc = kk + at, *kkac = kka + at;
    K::elementwise(N, [&](auto lanes, std::size_t i) {
      // decay = exp(−e^offset · σ(w0 + tanh(xw·w1)·w2)), offset −0.5 in x070; a = σ(a0 + xa·a1·a2): in-context learning rate
      lanes.store(wc, i, lanes.exp(-decay_scale_ * lanes.sigmoid(lanes.load(w0_.data() + ch, i) + lanes.load(wc, i))));
      lanes.store(ac, i, lanes.sigmoid(lanes.load(a0_.data() + ch, i) + lanes.load(ac, i)));
    });
    LoraGates<K>::value_residual(layer_, N, vc, v_first + at, layer_ == 0 ? nullptr : v0_.data() + ch, tmp + at);
    // kk = L2-normalized k ⊙ k_k (eps 1e-12, as F.normalize)
    float sq = 0.0f;
    for (std::size_t j = 0; j < N; ++j) {
      kkc[j] = kc[j] * k_k_[ch + j];
      sq += kkc[j] * kkc[j];
    }
    const float inv = 1.0f / std::max(std::sqrt(sq), 1e-12f);
    for (std::size_t j = 0; j < N; ++j) {
      kkc[j] *= inv;
      kc[j] = kc[j] * (1.0f + (ac[j] - 1.0f) * k_a_[ch + j]);
      kkac[j] = kkc[j] * ac[j];
    }
  }

  std::int64_t C_, H_, N_, layer_;
  double gn_eps_;
  float decay_scale_;  // e^decay_offset
  std::vector<float> x_r_, x_w_, x_k_, x_v_, x_a_, x_g_, w0_, a0_, v0_, k_k_, k_a_, r_k_, ln_x_w_, ln_x_b_;
  const TimeMixWeights& w_;  // views of the large matrices, read in place; owned by the backend
};

}  // namespace RWKV7_ISA_NAMESPACE
}  // namespace rwkv7::detail
