// rwkv7/detail/thread_pool.hpp — the library's own small thread pool (no OpenMP: games own their threads and
// choose how many the model may use). parallel_for gives each thread one contiguous part of a range (the caller
// runs part 0) and lets threads that finish early help with the others' parts. Workers spin briefly between
// calls, since a decode step issues many short jobs.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "isa.hpp"

namespace rwkv7::detail {
inline namespace RWKV7_ISA_NAMESPACE {

// A pause between polls of a flag another core is about to set: cheaper than sched_yield, a system call
// (costly under a hypervisor, and it delays the reaction; docs/performance.md, "Kernel evidence").
inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  __asm__ __volatile__("yield");
#endif
}

class ThreadPool {
 public:
  explicit ThreadPool(unsigned threads) : size_(threads < 1 ? 1 : threads), parts_(new Part[size_]) {
    for (unsigned w = 1; w < size_; ++w) workers_.emplace_back([this, w] { work(w); });
  }
  ~ThreadPool() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
      generation_.fetch_add(1);
    }
    cv_.notify_all();
    for (auto& t : workers_) t.join();
  }
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  unsigned size() const { return size_; }

  // Runs fn(begin, end) over [0, n) in pieces and returns when all are done. Each thread owns one contiguous
  // part and runs it front to back in chunks (so its rows stay one memory stream); a thread that finishes early
  // takes chunks from the back of the others' parts, which evens out cores that stream at different speeds
  // (else the slowest core's thread makes every other one wait; docs/performance.md, "Kernel evidence"). Chunk
  // boundaries fall on multiples of `grain`. fn's third argument is the index of the thread running the piece
  // (0 = the caller), for per-thread scratch. Calls from several threads at once are serialised.
  using Job = std::function<void(std::size_t, std::size_t, unsigned)>;
  void parallel_for(std::size_t n, const Job& fn, std::size_t grain = 1) {
    std::lock_guard<std::mutex> call(call_mu_);
    job_ = &fn;
    const std::size_t grains = (n + grain - 1) / grain;
    chunk_ = std::max<std::size_t>(1, grains / (size_ * kChunksPerPart)) * grain;
    for (unsigned w = 0; w < size_; ++w) {
      const std::size_t begin = std::min(n, grains * w / size_ * grain), end = std::min(n, grains * (w + 1) / size_ * grain);
      parts_[w].span.store(pack(begin, end));
    }
    pending_.store(size_ - 1);
    {
      std::lock_guard<std::mutex> lock(mu_);
      generation_.fetch_add(1);
    }
    cv_.notify_all();
    run_part(0);
    for (int spin = 0; pending_.load() != 0; ++spin) {
      if (spin < kPauses) cpu_relax();
      else std::this_thread::yield();
    }
    job_ = nullptr;
  }

 private:
  // A part's unclaimed range [front, back), packed in one word so that its owner (taking from the front) and a
  // helper (taking from the back) claim chunks with one compare-and-swap. Ranges here stay far below 2^32.
  struct alignas(64) Part {
    std::atomic<std::uint64_t> span{0};
  };
  static std::uint64_t pack(std::size_t front, std::size_t back) { return std::uint64_t{front} << 32 | back; }

  template <bool FromFront>
  bool claim(Part& part, std::size_t& begin, std::size_t& end) const {
    std::uint64_t s = part.span.load();
    for (;;) {
      const std::size_t front = s >> 32, back = s & 0xffffffffu;
      if (front >= back) return false;
      // Up to the next (from the back: down to the previous) multiple of chunk_, so pieces start on grains.
      begin = FromFront ? front : std::max(front, (back - 1) / chunk_ * chunk_);
      end = FromFront ? std::min(back, (front / chunk_ + 1) * chunk_) : back;
      if (part.span.compare_exchange_weak(s, FromFront ? pack(end, back) : pack(front, begin))) return true;
    }
  }

  void run_part(unsigned w) {
    std::size_t begin, end;
    while (claim<true>(parts_[w], begin, end)) (*job_)(begin, end, w);
    for (unsigned k = 1; k < size_; ++k)
      while (claim<false>(parts_[(w + k) % size_], begin, end)) (*job_)(begin, end, w);
  }

  void work(unsigned w) {
    std::uint64_t seen = 0;
    for (;;) {
      // Spin a little (a decode step's next job usually comes within microseconds), then sleep.
      for (int spin = 0; spin < kPauses && generation_.load() == seen; ++spin) cpu_relax();
      for (int spin = 0; spin < 2000 && generation_.load() == seen; ++spin) std::this_thread::yield();
      if (generation_.load() == seen) {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [&] { return generation_.load() != seen; });
      }
      seen = generation_.load();
      if (stop_) return;
      run_part(w);
      pending_.fetch_sub(1);
    }
  }

  static constexpr int kPauses = 4000;  // ~tens of microseconds before falling back to sched_yield
  static constexpr std::size_t kChunksPerPart = 16;
  unsigned size_;
  std::unique_ptr<Part[]> parts_;
  std::size_t chunk_ = 1;
  std::vector<std::thread> workers_;
  std::mutex mu_, call_mu_;
  std::condition_variable cv_;
  std::atomic<std::uint64_t> generation_{0};
  std::atomic<unsigned> pending_{0};
  const Job* job_ = nullptr;
  bool stop_ = false;
};

// Runs the parallel parts of a forward call: on the pool's threads when there is one and the work is worth
// waking them for, else on the caller's thread.
class Executor {
 public:
  Executor() = default;
  explicit Executor(ThreadPool* pool) : pool_(pool) {}

  unsigned threads() const { return pool_ ? pool_->size() : 1; }

  // f(begin, end, thread) over [0, count) independent items of about `work` operations each; pieces start on
  // multiples of `grain`; `thread` < threads() names the thread running the piece.
  template <class F>
  void parallel_indexed(std::size_t count, std::size_t work, F&& f, std::size_t grain = 1) const {
    if (pool_ && pool_->size() > 1 && count > 1 && count * work >= kParallelWork) pool_->parallel_for(count, f, grain);
    else f(std::size_t{0}, count, 0u);
  }
  template <class F>
  void parallel(std::size_t count, std::size_t work, F&& f, std::size_t grain = 1) const {
    parallel_indexed(count, work, [&](std::size_t begin, std::size_t end, unsigned) { f(begin, end); }, grain);
  }

 private:
  // Below this many operations a job is not worth waking other threads for.
  static constexpr std::size_t kParallelWork = 1 << 16;
  ThreadPool* pool_ = nullptr;
};

}  // namespace RWKV7_ISA_NAMESPACE
}  // namespace rwkv7::detail
