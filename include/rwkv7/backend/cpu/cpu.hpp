// rwkv7/backend/cpu/cpu.hpp — the CPU backend (backend/contract.hpp): prepares the weight view for the CPU (small
// tensors to fp32, large matrices used in place), keeps states in host memory (rwkv7::State) and runs chunks of
// tokens through the layers of backend/cpu/.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "../../detail/isa.hpp"
#include "../../detail/scratch_pool.hpp"
#include "../../forward_request.hpp"
#include "../../options.hpp"
#include "../../quant/element.hpp"
#include "channel_mix.hpp"
#include "options.hpp"
#include "time_mix.hpp"

namespace rwkv7::backend {
inline namespace RWKV7_ISA_NAMESPACE {

// K: the kernel set (detail::SimdKernels for speed, detail::ExactKernels as the reference).
template <class K>
class CpuWith {
 public:
  using StateType = State;
  using Options = CpuOptions;

  // Columns per pass: enough to reuse each weight row from cache many times, small enough that activations stay
  // ~9 MB however long the prompt (docs/performance.md, "chunk width").
  static constexpr std::size_t kMaxColumns = 128;

  CpuWith(ModelWeights weights, const LoadOptions& load, const CpuOptions& opts)
      : weights_(std::make_unique<const ModelWeights>(std::move(weights))), bf16_activations_(load.activations == Activations::bf16), c_(weights_->config) {
    if (opts.isa != Isa::best && opts.isa != Isa::RWKV7_ISA)
      detail::fail(Errc::argument, std::string("CpuOptions::isa: this program runs the ") + isa_name(Isa::RWKV7_ISA) + " kernels it was compiled for, not " +
                                       isa_name(opts.isa) + " (link rwkv7::dispatch to choose at run time)");
    if (c_.arch.variant != Variant::x070)
      detail::fail(Errc::config, weights_->table.file() + ": the CPU backend does not run the " + variant_name(c_.arch.variant) + " variant yet");
    const ModelWeights& w = *weights_;
    emb_ = w.emb;
    head_ = w.head;
    ln0_w_ = detail::to_float(w.ln0_w), ln0_b_ = detail::to_float(w.ln0_b);
    ln_out_w_ = detail::to_float(w.ln_out_w), ln_out_b_ = detail::to_float(w.ln_out_b);
    set_threads(opts.threads);
    for (std::size_t i = 0; i < w.layers.size(); ++i) {
      const LayerWeights& L = w.layers[i];
      const auto li = static_cast<std::int64_t>(i);
      layers_.push_back(Layer{detail::to_float(L.ln1_w), detail::to_float(L.ln1_b), detail::to_float(L.ln2_w),
                              detail::to_float(L.ln2_b), detail::TimeMix<K>(L.att, c_, li), detail::ChannelMix<K>(L.ffn, c_, li)});
    }
  }

  // Runs every request. Tokens of all requests are packed into passes of up to kMaxColumns columns; within a
  // pass each layer sees all columns before the next layer, and the arithmetic per column is the same as
  // for a lone token, so results do not depend on how work is chunked or batched.
  void forward(std::span<const ForwardRequest> requests) const {
    const std::size_t C = static_cast<std::size_t>(c_.n_embd);
    const auto lease = scratch_->lease();
    Workspace& ws = *lease;
    const detail::Executor exec(pool_.get());
    if (ws.kernels.size() < exec.threads()) ws.kernels.resize(exec.threads());
    const detail::MatMul<K> matmul{exec, ws.kernels.data(), bf16_activations_ ? &ws.bf16_activations : nullptr, &ws.permuted_activations};
    std::vector<std::size_t>& done = ws.done;
    done.assign(requests.size(), 0);
    std::size_t next = 0;  // first request with tokens left
    while (next < requests.size()) {
      // Fill one pass.
      std::vector<detail::Segment>& segments = ws.segments;
      std::vector<std::size_t>& owner = ws.owner;  // request index of each segment
      segments.clear();
      owner.clear();
      std::size_t n = 0;
      for (std::size_t r = next; r < requests.size() && n < kMaxColumns; ++r) {
        std::size_t take = std::min(requests[r].tokens.size() - done[r], kMaxColumns - n);
        if (take == 0) continue;
        segments.push_back({requests[r].state, n, take});
        owner.push_back(r);
        n += take;
      }
      float* x = ws.x.get(n, c_.n_embd);
      float* xn = ws.xn.get(n, c_.n_embd);
      float* v_first = ws.v_first.get(n, c_.n_embd);
      float* delta = ws.delta.get(n, c_.n_embd);
      for (std::size_t s = 0; s < segments.size(); ++s)
        for (std::size_t j = 0; j < segments[s].count; ++j) {
          const std::size_t c = segments[s].first + j;
          const Token t = requests[owner[s]].tokens[done[owner[s]] + j];
          const std::byte* row = emb_.data + static_cast<std::size_t>(t) * C * dtype_size(emb_.dtype);
          for (std::size_t i = 0; i < C; ++i) xn[c * C + i] = detail::element(row, emb_.dtype, i);
          detail::layer_norm(xn + c * C, c_.n_embd, ln0_w_.data(), ln0_b_.data(), c_.layer_norm_eps, x + c * C);
        }
      // x ← x + delta (unless first), then xn = LayerNorm(x), column by column.
      auto residual_then_norm = [&](bool add, const std::vector<float>& w, const std::vector<float>& b) {
        exec.parallel(n, 8 * C, [&](std::size_t c0, std::size_t c1) {
          for (std::size_t c = c0; c < c1; ++c) {
            if (add)
              for (std::size_t i = c * C; i < (c + 1) * C; ++i) x[i] += delta[i];
            detail::layer_norm(x + c * C, c_.n_embd, w.data(), b.data(), c_.layer_norm_eps, xn + c * C);
          }
        });
      };
      for (std::size_t l = 0; l < layers_.size(); ++l) {
        const Layer& L = layers_[l];
        residual_then_norm(l > 0, L.ln1_w, L.ln1_b);
        L.att.forward(xn, n, segments, v_first, delta, ws.att, matmul);
        residual_then_norm(true, L.ln2_w, L.ln2_b);
        L.ffn.forward(xn, n, segments, delta, ws.ffn, matmul);
      }
      for (std::size_t i = 0; i < n * C; ++i) x[i] += delta[i];
      // Heads for the requests whose last token was in this pass.
      for (std::size_t s = 0; s < segments.size(); ++s) {
        const ForwardRequest& req = requests[owner[s]];
        done[owner[s]] += segments[s].count;
        if (done[owner[s]] != req.tokens.size() || !req.logits) continue;
        const std::size_t c = segments[s].first + segments[s].count - 1;
        detail::layer_norm(x + c * C, c_.n_embd, ln_out_w_.data(), ln_out_b_.data(), c_.layer_norm_eps, xn);
        if (req.rows.empty()) matmul(head_, xn, 1, req.logits);
        else matmul.subset(head_, xn, req.rows, req.logits);
      }
      while (next < requests.size() && done[next] == requests[next].tokens.size()) ++next;
    }
  }

 private:
  struct Layer {
    std::vector<float> ln1_w, ln1_b, ln2_w, ln2_b;
    detail::TimeMix<K> att;
    detail::ChannelMix<K> ffn;
  };
  struct Workspace {
    detail::ColumnBuffer x, xn, v_first, delta;
    typename detail::TimeMix<K>::Scratch att;
    typename detail::ChannelMix<K>::Scratch ffn;
    std::vector<std::size_t> done, owner;
    std::vector<detail::Segment> segments;
    detail::CacheAlignedVector<std::uint16_t> bf16_activations;
    detail::CacheAlignedVector<float> permuted_activations;
    std::vector<detail::KernelScratch> kernels;  // one per thread of the executor
  };
  std::unique_ptr<const ModelWeights> weights_;  // owns the file bytes every view below points into
  bool bf16_activations_;
  ModelConfig c_;
  TensorView emb_;
  Linear head_;
  std::vector<float> ln0_w_, ln0_b_, ln_out_w_, ln_out_b_;
  std::vector<Layer> layers_;
  std::shared_ptr<detail::ThreadPool> pool_;
  std::unique_ptr<detail::ScratchPool<Workspace>> scratch_ = std::make_unique<detail::ScratchPool<Workspace>>();

 public:
  const ModelConfig& config() const { return c_; }
  const ModelWeights& weights() const { return *weights_; }
  State new_state() const { return State(c_); }
  State clone_state(const State& s) const { return s; }
  void reset_state(State& s) const { s.reset(); }
  void to_host(const State& s, State& host) const { host = s; }
  void from_host(const State& host, State& s) const {
    if (!host.matches(c_)) detail::fail(Errc::state, "from_host: the state was made for a different model shape");
    s = host;
  }

  // Threads used inside each call (1 = the calling thread only). Results do not depend on it.
  void set_threads(unsigned n) { pool_ = n > 1 ? std::make_shared<detail::ThreadPool>(n) : nullptr; }
  unsigned threads() const { return pool_ ? pool_->size() : 1; }
  static Isa isa() { return Isa::RWKV7_ISA; }
};

using Cpu = CpuWith<detail::SimdKernels>;
using CpuReference = CpuWith<detail::ExactKernels>;

}  // namespace RWKV7_ISA_NAMESPACE
}  // namespace rwkv7::backend
