// rwkv7/detail/scratch_pool.hpp — scratch owned by a backend and lent to one call at a time: concurrent calls on
// one model each borrow their own, and a warm decode step allocates nothing.
#pragma once

#include <memory>
#include <mutex>
#include <vector>

namespace rwkv7::detail {

template <class T>
class ScratchPool {
 public:
  class Lease {
   public:
    Lease(ScratchPool& pool, std::unique_ptr<T> item) : pool_(pool), item_(std::move(item)) {}
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease() { pool_.give_back(std::move(item_)); }
    T& operator*() const { return *item_; }
    T* operator->() const { return item_.get(); }

   private:
    ScratchPool& pool_;
    std::unique_ptr<T> item_;
  };

  Lease lease() {
    std::unique_ptr<T> item;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!free_.empty()) {
        item = std::move(free_.back());
        free_.pop_back();
      }
    }
    if (!item) item = std::make_unique<T>();
    return Lease(*this, std::move(item));
  }

 private:
  void give_back(std::unique_ptr<T> item) {
    std::lock_guard<std::mutex> lock(mu_);
    free_.push_back(std::move(item));
  }

  std::mutex mu_;
  std::vector<std::unique_ptr<T>> free_;
};

}  // namespace rwkv7::detail
