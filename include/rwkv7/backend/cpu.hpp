// rwkv7/backend/cpu.hpp — the CPU backend: prepares the weight view for the CPU (small tensors to fp32, large
// matrices used in place) and runs tokens through the layers.
#pragma once

#include <cstdint>
#include <vector>

#include "../layers/channel_mix.hpp"
#include "../layers/time_mix.hpp"
#include "../state.hpp"

namespace rwkv7 {

using Token = std::uint32_t;

namespace backend {

class Cpu {
 public:
  explicit Cpu(const ModelWeights& w)
      : c_(w.config), emb_(w.emb), head_(w.head), ln0_w_(detail::to_float(w.ln0_w)), ln0_b_(detail::to_float(w.ln0_b)),
        ln_out_w_(detail::to_float(w.ln_out_w)), ln_out_b_(detail::to_float(w.ln_out_b)) {
    for (std::size_t i = 0; i < w.layers.size(); ++i) {
      const LayerWeights& L = w.layers[i];
      layers_.push_back(Layer{detail::to_float(L.ln1_w), detail::to_float(L.ln1_b), detail::to_float(L.ln2_w),
                              detail::to_float(L.ln2_b), detail::TimeMix(L.att, c_, i == 0), detail::ChannelMix(L.ffn, c_)});
    }
  }

  // Runs `n` tokens layer by layer (each layer sees the whole chunk before the next), then the head on the
  // last token. Per token this is the same arithmetic as one token at a time.
  void forward(const Token* tokens, std::size_t n, State& state, float* logits) const {
    const std::size_t C = static_cast<std::size_t>(c_.n_embd);
    std::vector<float> x(n * C), xn(n * C), v_first(n * C), delta(C);
    detail::TimeMix::Scratch att_scratch(c_);
    detail::ChannelMix::Scratch ffn_scratch(c_);

    for (std::size_t t = 0; t < n; ++t) {
      const std::byte* row = emb_.data + static_cast<std::size_t>(tokens[t]) * C * dtype_size(emb_.dtype);
      for (std::size_t i = 0; i < C; ++i) xn[t * C + i] = detail::element(row, emb_.dtype, i);
      detail::layer_norm(&xn[t * C], c_.n_embd, ln0_w_.data(), ln0_b_.data(), c_.layer_norm_eps, &x[t * C]);
    }
    for (std::size_t l = 0; l < layers_.size(); ++l) {
      const Layer& L = layers_[l];
      const auto li = static_cast<std::int64_t>(l);
      for (std::size_t t = 0; t < n; ++t) {
        float* xt = &x[t * C];
        detail::layer_norm(xt, c_.n_embd, L.ln1_w.data(), L.ln1_b.data(), c_.layer_norm_eps, &xn[t * C]);
        L.att.forward(&xn[t * C], state.att_shift(li), state.wkv(li), &v_first[t * C], delta.data(), att_scratch);
        for (std::size_t i = 0; i < C; ++i) xt[i] += delta[i];
        detail::layer_norm(xt, c_.n_embd, L.ln2_w.data(), L.ln2_b.data(), c_.layer_norm_eps, &xn[t * C]);
        L.ffn.forward(&xn[t * C], state.ffn_shift(li), delta.data(), ffn_scratch);
        for (std::size_t i = 0; i < C; ++i) xt[i] += delta[i];
      }
    }
    detail::layer_norm(&x[(n - 1) * C], c_.n_embd, ln_out_w_.data(), ln_out_b_.data(), c_.layer_norm_eps, xn.data());
    detail::matvec(head_, xn.data(), logits);
  }

 private:
  struct Layer {
    std::vector<float> ln1_w, ln1_b, ln2_w, ln2_b;
    detail::TimeMix att;
    detail::ChannelMix ffn;
  };
  ModelConfig c_;
  TensorView emb_;
  Linear head_;
  std::vector<float> ln0_w_, ln0_b_, ln_out_w_, ln_out_b_;
  std::vector<Layer> layers_;
};

}  // namespace backend
}  // namespace rwkv7
