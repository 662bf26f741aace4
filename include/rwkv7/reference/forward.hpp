// rwkv7/reference/forward.hpp — the whole x070 model in one plain file, in float64 with Eigen: read it top to bottom
// to see what every backend must compute. No threads, no chunks, no SIMD, no fused steps; one token at a time,
// each formula as FORMATS.md §0 states it. The fast backends are tested against it (tests/test_reference.cpp),
// and it is tested against the independent numpy reference (tools/rwkv7_ref.py) on the committed fixtures.
//
// It reads the same bound weight view the backends get (so int8 weights, once quantized, are read with their
// row scales), and copies every tensor to float64: meant for test-sized models.
#pragma once

#include <cmath>
#include <vector>

#include "../error.hpp"
#include "../token.hpp"
#include "eigen_weights.hpp"

namespace rwkv7::reference {

// What one sequence remembers, per layer: the last inputs of TimeMix and ChannelMix, and one N×N WKV matrix per
// head, S[i][j] with i the value channel and j the key channel.
struct State {
  std::vector<Vector> att_shift, ffn_shift;
  std::vector<std::vector<Matrix>> wkv;
};

class Forward {
 public:
  explicit Forward(const ModelWeights& w) : c_(w.config) {
    if (c_.arch.variant != Variant::x070) detail::fail(Errc::config, "reference::Forward: x070 only (cxa076: reference/forward_cxa076.hpp)");
    emb_ = matrix(Linear{w.emb, false, c_.n_embd, c_.vocab_size});
    ln0_ = {vec(w.ln0_w), vec(w.ln0_b)};
    ln_out_ = {vec(w.ln_out_w), vec(w.ln_out_b)};
    head_ = matrix(w.head);
    for (std::size_t l = 0; l < w.layers.size(); ++l) {
      const LayerWeights& L = w.layers[l];
      const TimeMixWeights& a = L.att;
      Layer x;
      x.ln1 = {vec(L.ln1_w), vec(L.ln1_b)};
      x.ln2 = {vec(L.ln2_w), vec(L.ln2_b)};
      x.x_r = vec(a.x_r), x.x_w = vec(a.x_w), x.x_k = vec(a.x_k), x.x_v = vec(a.x_v), x.x_a = vec(a.x_a), x.x_g = vec(a.x_g);
      x.w0 = vec(a.w0), x.a0 = vec(a.a0), x.k_k = vec(a.k_k), x.k_a = vec(a.k_a), x.r_k = vec(a.r_k);
      x.w1 = matrix(a.w1), x.w2 = matrix(a.w2), x.a1 = matrix(a.a1), x.a2 = matrix(a.a2), x.g1 = matrix(a.g1), x.g2 = matrix(a.g2);
      if (l > 0) x.v0 = vec(a.v0), x.v1 = matrix(a.v1), x.v2 = matrix(a.v2);
      x.receptance = matrix(a.receptance), x.key = matrix(a.key), x.value = matrix(a.value), x.output = matrix(a.output);
      x.ln_x = {vec(a.ln_x_w), vec(a.ln_x_b)};
      x.ffn_x_k = vec(L.ffn.x_k), x.ffn_key = matrix(L.ffn.key), x.ffn_value = matrix(L.ffn.value);
      layers_.push_back(std::move(x));
    }
  }

  State new_state() const {
    const auto C = c_.n_embd, N = c_.head_size;
    State s;
    s.att_shift.assign(layers_.size(), Vector::Zero(C));
    s.ffn_shift.assign(layers_.size(), Vector::Zero(C));
    s.wkv.assign(layers_.size(), std::vector<Matrix>(static_cast<std::size_t>(c_.n_head), Matrix::Zero(N, N)));
    return s;
  }

  // Feeds one token; returns the logits for the next one.
  Vector forward(Token token, State& s) const {
    Vector x = layer_norm(emb_.col(token), ln0_);
    Vector v_first;
    for (std::size_t l = 0; l < layers_.size(); ++l) {
      const Layer& L = layers_[l];
      x += time_mix(L, l, layer_norm(x, L.ln1), s, v_first);
      x += channel_mix(L, l, layer_norm(x, L.ln2), s);
    }
    return head_.transpose() * layer_norm(x, ln_out_);
  }

 private:
  struct Norm {
    Vector w, b;
  };
  struct Layer {
    Norm ln1, ln2, ln_x;
    Vector x_r, x_w, x_k, x_v, x_a, x_g, w0, a0, v0, k_k, k_a, r_k, ffn_x_k;
    // Stored as [in, out] so that y = Mᵀ x reads the file's [out, in] rows as columns.
    Matrix w1, w2, a1, a2, v1, v2, g1, g2, receptance, key, value, output, ffn_key, ffn_value;
  };

  // (x − mean) / sqrt(var + eps) ⊙ w + b, biased variance.
  static Vector normalize(const Vector& x, const Vector& w, const Vector& b, double eps) {
    const double mean = x.mean();
    const double var = (x.array() - mean).square().mean();
    return ((x.array() - mean) / std::sqrt(var + eps) * w.array() + b.array()).matrix();
  }
  Vector layer_norm(const Vector& x, const Norm& n) const { return normalize(x, n.w, n.b, c_.layer_norm_eps); }

  Vector time_mix(const Layer& L, std::size_t l, const Vector& x, State& s, Vector& v_first) const {
    const auto H = c_.n_head, N = c_.head_size;
    const Vector dx = s.att_shift[l] - x;
    s.att_shift[l] = x;
    const Vector xr = x + dx.cwiseProduct(L.x_r), xw = x + dx.cwiseProduct(L.x_w), xk = x + dx.cwiseProduct(L.x_k);
    const Vector xv = x + dx.cwiseProduct(L.x_v), xa = x + dx.cwiseProduct(L.x_a), xg = x + dx.cwiseProduct(L.x_g);

    const Vector r = L.receptance.transpose() * xr;
    Vector k = L.key.transpose() * xk;
    Vector v = L.value.transpose() * xv;
    // decay = exp(−e^offset · σ(w0 + tanh(xw·w1)·w2)) (offset −0.5), in (0, 1)
    const Vector w_lora = L.w2.transpose() * (L.w1.transpose() * xw).array().tanh().matrix();
    const Vector decay = (-std::exp(c_.arch.decay_offset) * sigmoid(L.w0 + w_lora).array()).exp().matrix();
    const Vector a = sigmoid(L.a0 + L.a2.transpose() * (L.a1.transpose() * xa));  // in-context learning rate
    const Vector g = L.g2.transpose() * sigmoid(L.g1.transpose() * xg);            // output gate
    if (l == 0) v_first = v;
    else v += (v_first - v).cwiseProduct(sigmoid(L.v0 + L.v2.transpose() * (L.v1.transpose() * xv)));

    const Vector kk_raw = k.cwiseProduct(L.k_k);
    k = k.cwiseProduct((1.0 + ((a.array() - 1.0) * L.k_a.array())).matrix());

    Vector out(c_.n_embd);
    for (std::int64_t h = 0; h < H; ++h) {
      const auto head = [&](const Vector& t) { return t.segment(h * N, N); };
      // kk: the removal key, unit length per head (F.normalize, eps 1e-12).
      const Vector kk = head(kk_raw) / std::max(head(kk_raw).norm(), 1e-12);
      Matrix& S = s.wkv[l][static_cast<std::size_t>(h)];
      // The WKV-7 recurrence: S ← S·diag(decay) + (S·(−kk))·(kk⊙a)ᵀ + v·kᵀ;  o = S·r
      S = S * head(decay).asDiagonal() + (S * -kk) * kk.cwiseProduct(head(a)).transpose() + head(v) * head(k).transpose();
      const Vector o = S * head(r);
      // GroupNorm (one group a head), then the bonus (Σ_j r_j k_j r_k[h,j]) · v.
      const Vector gn = normalize(o, L.ln_x.w.segment(h * N, N), L.ln_x.b.segment(h * N, N), c_.group_norm_eps);
      const double bonus = head(r).cwiseProduct(head(k)).cwiseProduct(L.r_k.segment(h * N, N)).sum();
      out.segment(h * N, N) = gn + bonus * head(v);
    }
    return L.output.transpose() * out.cwiseProduct(g);
  }

  Vector channel_mix(const Layer& L, std::size_t l, const Vector& x, State& s) const {
    const Vector xk = x + (s.ffn_shift[l] - x).cwiseProduct(L.ffn_x_k);
    s.ffn_shift[l] = x;
    const Vector h = (L.ffn_key.transpose() * xk).cwiseMax(0.0).array().square().matrix();  // squared ReLU
    return L.ffn_value.transpose() * h;
  }

  ModelConfig c_;
  Matrix emb_, head_;
  Norm ln0_, ln_out_;
  std::vector<Layer> layers_;
};

}  // namespace rwkv7::reference
