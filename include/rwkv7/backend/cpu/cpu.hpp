// rwkv7/backend/cpu/cpu.hpp — the CPU backend (backend/contract.hpp): prepares the weight view for the CPU (small
// tensors to fp32, large matrices used in place), keeps states in host memory (rwkv7::State) and runs chunks of
// tokens through the layers of backend/cpu/.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <tuple>
#include <variant>
#include <vector>

#include "../../detail/huge_pages.hpp"
#include "../../detail/isa.hpp"
#include "../../detail/scratch_pool.hpp"
#include "../../forward_request.hpp"
#include "../../options.hpp"
#include "../../quant/element.hpp"
#include "channel_mix.hpp"
#include "options.hpp"
#include "swiglu.hpp"
#include "time_mix.hpp"
#include "time_mix_cxa076.hpp"

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
      : weights_(std::make_unique<const ModelWeights>(prepared(std::move(weights), load, packed_))), activations_(load.activations), c_(weights_->config) {
    if (activations_ == Activations::int8 && load.quant != Quant::int8)
      detail::fail(Errc::argument, "LoadOptions: int8 activations multiply int8 weights; load with Quant::int8 too");
    if (opts.isa != Isa::best && opts.isa != Isa::RWKV7_ISA)
      detail::fail(Errc::argument, std::string("CpuOptions::isa: this program runs the ") + isa_name(Isa::RWKV7_ISA) + " kernels it was compiled for, not " +
                                       isa_name(opts.isa) + " (link rwkv7::dispatch to choose at run time)");
    const ModelWeights& w = *weights_;
    rms_norm_ = c_.arch.norm == NormKind::rms_norm;
    ln0_ = {detail::to_float(w.ln0_w), detail::to_float(w.ln0_b)};
    ln_out_ = {detail::to_float(w.ln_out_w), detail::to_float(w.ln_out_b)};
    set_threads(opts.threads);
    for (std::size_t i = 0; i < w.layers.size(); ++i) {
      const LayerWeights& L = w.layers[i];
      const auto li = static_cast<std::int64_t>(i);
      Norm ln1{detail::to_float(L.ln1_w), detail::to_float(L.ln1_b)}, ln2{detail::to_float(L.ln2_w), detail::to_float(L.ln2_b)};
      if (c_.arch.variant == Variant::x070)
        layers_.push_back(Layer{std::move(ln1), std::move(ln2), detail::TimeMix<K>(L.att, c_, li), detail::ChannelMix<K>(L.ffn, c_, li)});
      else
        layers_.push_back(Layer{std::move(ln1), std::move(ln2), detail::TimeMixCxa076<K>(L.att, c_, li), detail::SwiGlu<K>(L.ffn, c_, li)});
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
    const detail::MatMul<K> matmul{exec, ws.kernels.data(), activations_ == Activations::bf16 ? &ws.bf16_activations : nullptr,
                                   &ws.permuted_activations, activations_ == Activations::int8 ? &ws.int8_activations : nullptr};
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
      float* v_first = ws.v_first.get(n, c_.attention_width());
      float* delta = ws.delta.get(n, c_.n_embd);
      for (std::size_t s = 0; s < segments.size(); ++s)
        for (std::size_t j = 0; j < segments[s].count; ++j) {
          const std::size_t c = segments[s].first + j;
          const Token t = requests[owner[s]].tokens[done[owner[s]] + j];
          const TensorView& emb = weights_->emb;
          const std::byte* row = emb.data + static_cast<std::size_t>(t) * encoded_bytes(emb.dtype, C);
          for (std::size_t i = 0; i < C; ++i) xn[c * C + i] = detail::element(row, emb.dtype, i);
          if (c_.arch.embedding_norm) block_norm(xn + c * C, ln0_, x + c * C);
          else std::copy(xn + c * C, xn + (c + 1) * C, x + c * C);
        }
      // x ← x + delta (unless first), then xn = norm(x), column by column.
      auto residual_then_norm = [&](bool add, const Norm& norm) {
        exec.parallel(n, 8 * C, [&](std::size_t c0, std::size_t c1) {
          for (std::size_t c = c0; c < c1; ++c) {
            if (add)
              for (std::size_t i = c * C; i < (c + 1) * C; ++i) x[i] += delta[i];
            block_norm(x + c * C, norm, xn + c * C);
          }
        });
      };
      for (std::size_t l = 0; l < layers_.size(); ++l) {
        const Layer& L = layers_[l];
        residual_then_norm(l > 0, L.ln1);
        std::visit([&](const auto& att) { att.forward(xn, n, segments, v_first, delta, scratch_for(ws.att, att), matmul); }, L.att);
        residual_then_norm(true, L.ln2);
        std::visit([&](const auto& ffn) { ffn.forward(xn, n, segments, delta, scratch_for(ws.ffn, ffn), matmul); }, L.ffn);
      }
      for (std::size_t i = 0; i < n * C; ++i) x[i] += delta[i];
      // Heads for the requests whose last token was in this pass.
      for (std::size_t s = 0; s < segments.size(); ++s) {
        const ForwardRequest& req = requests[owner[s]];
        const std::size_t before = done[owner[s]];
        done[owner[s]] += segments[s].count;
        if (req.every_position && req.logits) {  // a head row block per token of the segment
          const std::size_t width = req.rows.empty() ? static_cast<std::size_t>(c_.vocab_size) : req.rows.size();
          for (std::size_t j = 0; j < segments[s].count; ++j) block_norm(x + (segments[s].first + j) * C, ln_out_, xn + j * C);
          if (req.rows.empty()) matmul(weights_->head, xn, segments[s].count, req.logits + before * width);
          else
            for (std::size_t j = 0; j < segments[s].count; ++j) matmul.subset(weights_->head, xn + j * C, req.rows, req.logits + (before + j) * width);
          continue;
        }
        if (done[owner[s]] != req.tokens.size() || !req.logits) continue;
        const std::size_t c = segments[s].first + segments[s].count - 1;
        block_norm(x + c * C, ln_out_, xn);
        if (req.rows.empty()) matmul(weights_->head, xn, 1, req.logits);
        else matmul.subset(weights_->head, xn, req.rows, req.logits);
      }
      while (next < requests.size() && done[next] == requests[next].tokens.size()) ++next;
    }
  }

 private:
  struct Norm {
    std::vector<float> w, b;  // b empty for RMSNorm
  };
  // The blocks a layer composes, chosen by the architecture (model/architecture.hpp).
  struct Layer {
    Norm ln1, ln2;
    std::variant<detail::TimeMix<K>, detail::TimeMixCxa076<K>> att;
    std::variant<detail::ChannelMix<K>, detail::SwiGlu<K>> ffn;
  };
  // A scratch per block type (a model uses one of each), found by the block's type.
  template <class... Blocks>
  using ScratchOf = std::tuple<typename Blocks::Scratch...>;
  template <class Scratches, class Block>
  static auto& scratch_for(Scratches& all, const Block&) {
    return std::get<typename Block::Scratch>(all);
  }
  struct Workspace {
    detail::ColumnBuffer x, xn, v_first, delta;
    ScratchOf<detail::TimeMix<K>, detail::TimeMixCxa076<K>> att;
    ScratchOf<detail::ChannelMix<K>, detail::SwiGlu<K>> ffn;
    std::vector<std::size_t> done, owner;
    std::vector<detail::Segment> segments;
    detail::CacheAlignedVector<std::uint16_t> bf16_activations;
    detail::CacheAlignedVector<float> permuted_activations;
    detail::Int8ActivationBuffer int8_activations;
    std::vector<detail::KernelScratch> kernels;  // one per thread of the executor
  };
  // Owns the file bytes every view points into. The blocks refer to its views rather than copy them: a copy
  // made in an ISA translation unit could be emitted with that ISA's instructions outside any ISA namespace
  // (tests/check_isa_symbols.sh), and it would be a copy of names nothing here reads. For the same reason the
  // packed copy of the matrices is held here rather than appended to ModelWeights::owned (growing that vector
  // here would emit its reallocation with this ISA's instructions).
  std::shared_ptr<const std::byte[]> packed_;
  std::unique_ptr<const ModelWeights> weights_;
  Activations activations_;
  ModelConfig c_;
  bool rms_norm_ = false;
  Norm ln0_, ln_out_;
  std::vector<Layer> layers_;
  std::shared_ptr<detail::ThreadPool> pool_;
  std::unique_ptr<detail::ScratchPool<Workspace>> scratch_ = std::make_unique<detail::ScratchPool<Workspace>>();

  // bf16 activations, where the kernels multiply them in packed row blocks (AVX512-BF16): the bf16 matrices are
  // packed once here, so that no product packs them again (a sixth of a prefill's product time) and decoding reads
  // the same blocks, and the file's pages of each are released (the packed copy replaces them). A head tied to the
  // embedding stays in place, as the embedding's rows are still read.
  //
  // int8 activations, where the kernels multiply them in packed row blocks (VNNI): the int8 matrices are packed
  // (and flipped to unsigned) in place, block by block (quantize_int8 padded them to whole blocks), so that
  // decoding streams each block once, with no per-row reductions, and chunks skip their repacking.
  static ModelWeights prepared(ModelWeights w, const LoadOptions& load, std::shared_ptr<const std::byte[]>& packed) {
    if constexpr (K::kInt8Packed) {
      static_assert(K::kInt8PackedRows == detail::kInt8PackRows, "quantize_int8 pads matrices to the packed block");
      if (load.activations == Activations::int8) {
        const std::vector<Linear*> order = large_matrices(w);
        std::size_t widest = 0;
        for (const Linear* L : order) widest = std::max(widest, static_cast<std::size_t>(L->in));
        const auto rows = detail::huge_page_bytes(detail::kInt8PackRows * widest);
        for (Linear* L : order) {
          // Only the copies quantize_int8 made (writable, padded) are q8; a layer's unbound matrices are empty.
          if (L->w.dtype != DType::q8 || L->in % 4 != 0 || !L->w.data) continue;
          const auto out = static_cast<std::size_t>(L->out), in = static_cast<std::size_t>(L->in);
          auto* target = const_cast<std::byte*>(L->w.data);
          for (std::size_t k = 0; k < out; k += detail::kInt8PackRows) {
            const std::size_t live = std::min(detail::kInt8PackRows, out - k);
            std::memcpy(rows.get(), target + k * in, live * in);
            const std::byte* tile_rows[detail::kInt8PackRows];
            for (std::size_t j = 0; j < live; ++j) tile_rows[j] = rows.get() + j * in;
            auto* block = reinterpret_cast<std::uint32_t*>(target + k * in);
            K::pack_int8_rows(tile_rows, live, in / 4, block);
            K::flip_packed(block, detail::kInt8PackRows * in / 4);
          }
          L->packed = true;
        }
      }
    }
    if constexpr (K::kPackedBf16) {
      if (load.activations != Activations::bf16) return w;
      auto packs = [&](const Linear& L) { return L.w.dtype == DType::bf16 && !L.transposed && L.in % 2 == 0 && L.w.data != w.emb.data; };
      const std::vector<Linear*> order = large_matrices(w);
      std::size_t total = 0;
      for (const Linear* L : order)
        if (packs(*L)) total += K::packed_matrix_words(static_cast<std::size_t>(L->out), static_cast<std::size_t>(L->in));
      auto storage = detail::huge_page_bytes(total * sizeof(std::uint32_t));
      auto* next = reinterpret_cast<std::uint32_t*>(storage.get());
      for (Linear* L : order) {
        if (!packs(*L)) continue;
        const auto out = static_cast<std::size_t>(L->out), in = static_cast<std::size_t>(L->in);
        K::pack_matrix(L->w.data, out, in, next);
        w.table.release(L->w.data, out * in * 2);
        L->w.data = reinterpret_cast<const std::byte*>(next);
        L->packed = true;
        next += K::packed_matrix_words(out, in);
      }
      packed = std::move(storage);
    }
    (void)load;
    (void)packed;
    return w;
  }

  void block_norm(const float* x, const Norm& norm, float* out) const {
    if (rms_norm_) detail::rms_norm(x, c_.n_embd, norm.w.data(), c_.layer_norm_eps, out);
    else detail::layer_norm(x, c_.n_embd, norm.w.data(), norm.b.data(), c_.layer_norm_eps, out);
  }

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
