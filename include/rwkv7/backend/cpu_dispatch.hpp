// rwkv7/backend/cpu_dispatch.hpp — the CPU backend chosen at run time. With the compiled target rwkv7::dispatch,
// the CPU backend is built once per instruction set (src/dispatch_<isa>.cpp, each with its own -m flags), and
// the model picks the widest one this CPU supports when it loads. Each forward call then costs one virtual
// call; inside it everything is the statically compiled backend of that ISA.
#pragma once

#include <memory>
#include <span>
#include <vector>

#include "../forward_request.hpp"
#include "../model/weights.hpp"
#include "../options.hpp"
#include "cpu.hpp"

namespace rwkv7 {
namespace detail {

// The CPU backend behind a virtual interface, so one program can hold it compiled for several ISAs.
class CpuEngine {
 public:
  virtual ~CpuEngine() = default;
  virtual void forward(std::span<const ForwardRequest> requests) const = 0;
  virtual void set_threads(unsigned n) = 0;
  virtual unsigned threads() const = 0;
  virtual Isa isa() const = 0;
};

inline namespace RWKV7_ISA_NAMESPACE {
template <class Backend>
class EngineOf final : public CpuEngine {
 public:
  EngineOf(const ModelWeights& w, const LoadOptions& opts) : backend_(w, opts) {}
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
std::unique_ptr<CpuEngine> make_cpu_engine_baseline(const ModelWeights& w, const LoadOptions& opts);
std::unique_ptr<CpuEngine> make_cpu_engine_avx2(const ModelWeights& w, const LoadOptions& opts);
std::unique_ptr<CpuEngine> make_cpu_engine_avx512(const ModelWeights& w, const LoadOptions& opts);
std::unique_ptr<CpuEngine> make_cpu_engine_avx512_bf16(const ModelWeights& w, const LoadOptions& opts);

// The engine for opts.isa (best: the widest this CPU runs); fails naming the ISA when it cannot run here.
std::unique_ptr<CpuEngine> make_cpu_engine(const ModelWeights& w, const LoadOptions& opts);

}  // namespace detail

// The ISAs this program holds kernels for that this CPU can run, narrowest first (the last is what `best` picks).
std::vector<Isa> available_isas();

namespace backend {

class CpuDispatch {
 public:
  CpuDispatch(const ModelWeights& w, const LoadOptions& opts) : engine_(detail::make_cpu_engine(w, opts)) {}
  void forward(std::span<const ForwardRequest> requests) const { engine_->forward(requests); }
  void set_threads(unsigned n) { engine_->set_threads(n); }
  unsigned threads() const { return engine_->threads(); }
  Isa isa() const { return engine_->isa(); }

 private:
  std::unique_ptr<detail::CpuEngine> engine_;
};

}  // namespace backend
}  // namespace rwkv7
