// rwkv7/detail/thread_pool.hpp — the library's own small thread pool (no OpenMP: games own their threads and
// choose how many the model may use). parallel_for splits a range into one contiguous part per thread; the
// caller runs part 0. Workers spin briefly between calls, since a decode step issues many short jobs.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "isa.hpp"

namespace rwkv7::detail {
inline namespace RWKV7_ISA_NAMESPACE {

// A pause between polls of a flag another core is about to set: cheaper than sched_yield, a system call
// (under a hypervisor its cost showed as ~15% of a 2-thread decode profile, and it delays the reaction).
inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  __asm__ __volatile__("yield");
#endif
}

class ThreadPool {
 public:
  explicit ThreadPool(unsigned threads) : size_(threads < 1 ? 1 : threads) {
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

  // Runs fn(begin, end) on [0, n) split into size() parts; returns when all parts are done.
  // Calls from several threads at once are serialised.
  void parallel_for(std::size_t n, const std::function<void(std::size_t, std::size_t)>& fn) {
    std::lock_guard<std::mutex> call(call_mu_);
    job_ = &fn;
    n_ = n;
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
  void run_part(unsigned w) {
    std::size_t begin = n_ * w / size_, end = n_ * (w + 1) / size_;
    if (begin < end) (*job_)(begin, end);
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
  unsigned size_;
  std::vector<std::thread> workers_;
  std::mutex mu_, call_mu_;
  std::condition_variable cv_;
  std::atomic<std::uint64_t> generation_{0};
  std::atomic<unsigned> pending_{0};
  const std::function<void(std::size_t, std::size_t)>* job_ = nullptr;
  std::size_t n_ = 0;
  bool stop_ = false;
};

}  // namespace RWKV7_ISA_NAMESPACE
}  // namespace rwkv7::detail
