// rwkv7/backend/cpu/dispatch.hpp — the CPU backend chosen at run time. With the compiled target rwkv7::dispatch,
// the CPU backend is built once per instruction set (src/dispatch_<isa>.cpp, each with its own -m flags), and
// the model picks the widest one this CPU supports when it loads. Each forward call then costs one virtual
// call; inside it everything is the statically compiled backend of that ISA.
#pragma once

#include <memory>
#include <span>
#include <vector>

#include "../../forward_request.hpp"
#include "../../model/weights.hpp"
#include "../../options.hpp"
#include "cpu.hpp"

namespace rwkv7 {
namespace detail {

// The CPU backend behind a virtual interface, so one program can hold it compiled for several ISAs.
class CpuEngine {
 public:
  virtual ~CpuEngine() = default;
  virtual const ModelConfig& config() const = 0;
  virtual const ModelWeights& weights() const = 0;
  virtual void forward(std::span<const ForwardRequest> requests) const = 0;
  virtual void set_threads(unsigned n) = 0;
  virtual unsigned threads() const = 0;
  virtual Isa isa() const = 0;
};

inline namespace RWKV7_ISA_NAMESPACE {
template <class Backend>
class EngineOf final : public CpuEngine {
 public:
  EngineOf(ModelWeights w, const LoadOptions& load, const CpuOptions& opts) : backend_(std::move(w), load, opts) {}
  const ModelConfig& config() const override { return backend_.config(); }
  const ModelWeights& weights() const override { return backend_.weights(); }
  void forward(std::span<const ForwardRequest> requests) const override { backend_.forward(requests); }
  void set_threads(unsigned n) override { backend_.set_threads(n); }
  unsigned threads() const override { return backend_.threads(); }
  Isa isa() const override { return backend_.isa(); }

 private:
  Backend backend_;
};
}  // namespace RWKV7_ISA_NAMESPACE

// One per compiled ISA, each defined in src/dispatch_<isa>.cpp; the baseline (the target's own flags: sse2 on
// x86-64, neon64 on AArch64) in src/dispatch.cpp. The x86-64 levels above the baseline exist on x86-64 only.
std::unique_ptr<CpuEngine> make_cpu_engine_baseline(ModelWeights w, const LoadOptions& load, const CpuOptions& opts);
std::unique_ptr<CpuEngine> make_cpu_engine_avx2(ModelWeights w, const LoadOptions& load, const CpuOptions& opts);
std::unique_ptr<CpuEngine> make_cpu_engine_avx512(ModelWeights w, const LoadOptions& load, const CpuOptions& opts);
std::unique_ptr<CpuEngine> make_cpu_engine_avx512_bf16(ModelWeights w, const LoadOptions& load, const CpuOptions& opts);

// The engine for opts.isa (best: the widest this CPU runs); fails naming the ISA when it cannot run here.
std::unique_ptr<CpuEngine> make_cpu_engine(ModelWeights w, const LoadOptions& load, const CpuOptions& opts);

}  // namespace detail

// The ISAs this program holds kernels for that this CPU can run, narrowest first (the last is what `best` picks).
std::vector<Isa> available_isas();

namespace backend {

// The CPU backend of rwkv7::DispatchModel: the same contract and states as backend::Cpu.
class CpuDispatch {
 public:
  using StateType = State;
  using Options = CpuOptions;

  CpuDispatch(ModelWeights w, const LoadOptions& load, const CpuOptions& opts) : engine_(detail::make_cpu_engine(std::move(w), load, opts)) {}
  const ModelConfig& config() const { return engine_->config(); }
  const ModelWeights& weights() const { return engine_->weights(); }
  State new_state() const { return State(config()); }
  State clone_state(const State& s) const { return s; }
  void reset_state(State& s) const { s.reset(); }
  void to_host(const State& s, State& host) const { host = s; }
  void from_host(const State& host, State& s) const {
    if (!host.matches(config())) detail::fail(Errc::state, "from_host: the state was made for a different model shape");
    s = host;
  }
  void forward(std::span<const ForwardRequest> requests) const { engine_->forward(requests); }
  void set_threads(unsigned n) { engine_->set_threads(n); }
  unsigned threads() const { return engine_->threads(); }
  Isa isa() const { return engine_->isa(); }

 private:
  std::unique_ptr<detail::CpuEngine> engine_;
};

}  // namespace backend
}  // namespace rwkv7
