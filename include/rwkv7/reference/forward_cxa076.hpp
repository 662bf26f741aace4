// rwkv7/reference/forward_cxa076.hpp — the whole PRWKV "cxa076" model (and cxa076r) in one plain file, float64
// with Eigen, each formula as FORMATS.md §1.4 states it: one token at a time, no threads, no fused steps. The
// CPU backend is tested against it, and it against the independent numpy reference (tools/prwkv7_ref.py).
#pragma once

#include <algorithm>
#include <cmath>
#include <vector>

#include "../error.hpp"
#include "../token.hpp"
#include "eigen_weights.hpp"

namespace rwkv7::reference {

class ForwardCxa076 {
 public:
  // Only the WKV matrices: the variant shifts no tokens. wkv[layer][head], S[i][j], i value channel, j key channel.
  struct State {
    std::vector<std::vector<Matrix>> wkv;
  };

  explicit ForwardCxa076(const ModelWeights& w) : c_(w.config) {
    if (c_.arch.variant != Variant::cxa076) detail::fail(Errc::config, "reference::ForwardCxa076: not a cxa076 model");
    emb_ = matrix(Linear{w.emb, false, c_.n_embd, c_.vocab_size});
    head_ = matrix(w.head);
    ln_out_ = vec(w.ln_out_w);
    for (std::size_t l = 0; l < w.layers.size(); ++l) {
      const LayerWeights& L = w.layers[l];
      const TimeMixWeights& a = L.att;
      Layer x;
      x.ln1 = vec(L.ln1_w), x.ln2 = vec(L.ln2_w);
      x.receptance = matrix(a.receptance), x.key = matrix(a.key), x.value = matrix(a.value), x.output = matrix(a.output);
      x.b_r = vec(a.receptance_bias), x.b_k = vec(a.key_bias), x.b_v = vec(a.value_bias);  // empty when absent
      x.ln_r = vec(a.ln_r), x.ln_k = vec(a.ln_k);
      x.w0 = vec(a.w0), x.a0 = vec(a.a0), x.r_k = vec(a.r_k);
      x.w1 = matrix(a.w1), x.w2 = matrix(a.w2), x.a1 = matrix(a.a1), x.a2 = matrix(a.a2), x.g1 = matrix(a.g1), x.g2 = matrix(a.g2);
      if (l > 0) x.v0 = vec(a.v0), x.v1 = matrix(a.v1), x.v2 = matrix(a.v2);
      x.gate = matrix(L.ffn.gate), x.up = matrix(L.ffn.up), x.down = matrix(L.ffn.down);
      layers_.push_back(std::move(x));
    }
  }

  State new_state() const {
    const auto N = c_.head_size;
    return {std::vector<std::vector<Matrix>>(layers_.size(), std::vector<Matrix>(static_cast<std::size_t>(c_.n_head), Matrix::Zero(N, N)))};
  }

  // Feeds one token; returns the logits for the next one.
  Vector forward(Token token, State& s) const {
    Vector x = emb_.col(token);  // no norm after the embedding
    Vector v_first;
    for (std::size_t l = 0; l < layers_.size(); ++l) {
      const Layer& L = layers_[l];
      x += time_mix(L, l, rms_norm(x, L.ln1, c_.layer_norm_eps), s, v_first);
      x += ffn(L, rms_norm(x, L.ln2, c_.layer_norm_eps));
    }
    return head_.transpose() * rms_norm(x, ln_out_, c_.layer_norm_eps);
  }

 private:
  struct Layer {
    Vector ln1, ln2, b_r, b_k, b_v, ln_r, ln_k, w0, a0, v0, r_k;
    // Stored as [in, out] so that y = Mᵀ x reads the file's [out, in] rows as columns.
    Matrix receptance, key, value, output, w1, w2, a1, a2, v1, v2, g1, g2, gate, up, down;
  };

  static Vector rms_norm(const Vector& x, const Vector& w, double eps) {
    return (x.array() / std::sqrt(x.squaredNorm() / static_cast<double>(x.size()) + eps) * w.array()).matrix();
  }
  static Vector softplus(const Vector& z) {
    return z.unaryExpr([](double t) { return std::max(t, 0.0) + std::log1p(std::exp(-std::abs(t))); });
  }

  Vector time_mix(const Layer& L, std::size_t l, const Vector& x, State& s, Vector& v_first) const {
    const auto H = c_.n_head, N = c_.head_size, group = c_.n_head / c_.n_kv_head;
    Vector r = L.receptance.transpose() * x;
    Vector k_grouped = L.key.transpose() * x;
    Vector v_grouped = L.value.transpose() * x;
    if (L.b_r.size()) r += L.b_r, k_grouped += L.b_k, v_grouped += L.b_v;
    if (L.ln_r.size()) {  // cxa076r: RMSNorm per head of r and of each key/value head's k
      for (std::int64_t h = 0; h < H; ++h) r.segment(h * N, N) = rms_norm(r.segment(h * N, N), L.ln_r, c_.rk_norm_eps);
      for (std::int64_t j = 0; j < c_.n_kv_head; ++j) k_grouped.segment(j * N, N) = rms_norm(k_grouped.segment(j * N, N), L.ln_k, c_.rk_norm_eps);
    }
    // RepeatKV: head h reads key/value head h / (H / Hkv).
    Vector k(H * N), v(H * N);
    for (std::int64_t h = 0; h < H; ++h) {
      k.segment(h * N, N) = k_grouped.segment(h / group * N, N);
      v.segment(h * N, N) = v_grouped.segment(h / group * N, N);
    }
    // Log-domain decay w = offset − softplus(−(w0 + tanh(x·w1)·w2)); the decay itself is exp(−e^w).
    const Vector w_log = (c_.arch.decay_offset - softplus(-(L.w0 + L.w2.transpose() * (L.w1.transpose() * x).array().tanh().matrix())).array()).matrix();
    const Vector decay = (-w_log.array().exp()).exp().matrix();
    const Vector a = sigmoid(L.a0 + L.a2.transpose() * (L.a1.transpose() * x));
    const Vector g = L.g2.transpose() * sigmoid(L.g1.transpose() * x);
    if (l == 0) v_first = v;
    else v += (v_first - v).cwiseProduct(sigmoid(L.v0 + L.v2.transpose() * (L.v1.transpose() * x)));
    const Vector k_raw = k;
    k = k.cwiseProduct((1.0 - w_log.array() + a.array()).matrix());

    Vector out(H * N);
    for (std::int64_t h = 0; h < H; ++h) {
      const auto head = [&](const Vector& t) { return t.segment(h * N, N); };
      const Vector kk = head(k_raw) / std::max(head(k_raw).norm(), 1e-12);
      Matrix& S = s.wkv[l][static_cast<std::size_t>(h)];
      // The WKV-7 recurrence, as in x070: S ← S·diag(decay) + (S·(−kk))·(kk⊙a)ᵀ + v·kᵀ;  o = S·r
      S = S * head(decay).asDiagonal() + (S * -kk) * kk.cwiseProduct(head(a)).transpose() + head(v) * head(k).transpose();
      const Vector o = S * head(r) / std::sqrt(static_cast<double>(N));
      const double bonus = head(r).cwiseProduct(head(k)).cwiseProduct(L.r_k.segment(h * N, N)).sum();
      out.segment(h * N, N) = o + bonus * head(v);
    }
    return L.output.transpose() * out.cwiseProduct(g);
  }

  // SwiGLU: down · (SiLU(gate·x) ⊙ up·x).
  static Vector ffn(const Layer& L, const Vector& x) {
    const Vector gate = L.gate.transpose() * x;
    const Vector silu = gate.cwiseProduct(sigmoid(gate));
    return L.down.transpose() * silu.cwiseProduct(L.up.transpose() * x);
  }

  ModelConfig c_;
  Matrix emb_, head_;
  Vector ln_out_;
  std::vector<Layer> layers_;
};

}  // namespace rwkv7::reference
