#include "runtime/thread_pool.h"

#include <map>

namespace gc {

ThreadPool::ThreadPool(int threads) {
  const int workers = threads > 1 ? threads - 1 : 0;
  workers_.reserve(workers);
  for (int i = 0; i < workers; i++) workers_.emplace_back([this, i] { WorkerLoop(i + 1); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_.store(true);
    published_.fetch_add(1, std::memory_order_release);
  }
  wake_cv_.notify_all();
  for (auto& t : workers_) t.join();
}

namespace {
inline void CpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}
// ~50 us of spinning: covers the gap between consecutive ops of a run, not idle time (a longer
// spin steals the core from the caller when threads outnumber free cores).
constexpr int kSpinIterations = 1000;
}  // namespace

bool& ThreadPool::InTask() {
  static thread_local bool in_task = false;
  return in_task;
}

void ThreadPool::Work(int tid) {
  InTask() = true;
  for (;;) {
    const size_t i = next_.fetch_add(1, std::memory_order_relaxed);
    if (i >= n_) break;
    try {
      fn_(ctx_, i, tid);
    } catch (...) {
      std::lock_guard<std::mutex> lock(error_mu_);
      if (!error_) error_ = std::current_exception();
      next_.store(n_, std::memory_order_relaxed);  // skip the remaining tasks
    }
  }
  InTask() = false;
}

void ThreadPool::Dispatch(size_t n, TaskFn fn, const void* ctx) {
  std::lock_guard<std::mutex> job(dispatch_mu_);
  fn_ = fn;
  ctx_ = ctx;
  n_ = n;
  error_ = nullptr;
  next_.store(0, std::memory_order_relaxed);
  bool wake;
  {
    // Under mu_ so a worker going to sleep either sees the new generation or gets the notify.
    std::lock_guard<std::mutex> lock(mu_);
    const uint64_t gen = published_.load(std::memory_order_relaxed) + 1;
    open_.store(gen, std::memory_order_seq_cst);
    published_.store(gen, std::memory_order_seq_cst);
    wake = sleepers_ > 0;
  }
  if (wake) wake_cv_.notify_all();
  Work(0);  // the caller participates; returns once every task is claimed
  open_.store(0, std::memory_order_seq_cst);
  for (int spin = 0; active_.load(std::memory_order_seq_cst) != 0; spin++) {
    if (spin < kSpinIterations * 4) {
      CpuRelax();
    } else {
      std::this_thread::yield();
    }
  }
  if (error_) std::rethrow_exception(error_);
}

void ThreadPool::WorkerLoop(int tid) {
  uint64_t seen = 0;
  for (;;) {
    uint64_t now = published_.load(std::memory_order_acquire);
    for (int spin = 0; now == seen && spin < kSpinIterations; spin++) {
      CpuRelax();
      now = published_.load(std::memory_order_acquire);
    }
    if (now == seen) {
      std::unique_lock<std::mutex> lock(mu_);
      sleepers_++;
      wake_cv_.wait(lock, [&] { return published_.load(std::memory_order_acquire) != seen; });
      sleepers_--;
      now = published_.load(std::memory_order_acquire);
    }
    if (stop_.load(std::memory_order_acquire)) return;
    seen = now;
    // Register first, then check the job is still open (pairs with the caller's close-then-wait).
    active_.fetch_add(1, std::memory_order_seq_cst);
    if (open_.load(std::memory_order_seq_cst) == now) Work(tid);
    active_.fetch_sub(1, std::memory_order_seq_cst);
  }
}

std::shared_ptr<ThreadPool> AcquireThreadPool(int threads) {
  static std::mutex mu;
  static std::map<int, std::weak_ptr<ThreadPool>> pools;
  std::lock_guard<std::mutex> lock(mu);
  auto& slot = pools[threads];
  std::shared_ptr<ThreadPool> pool = slot.lock();
  if (!pool) {
    pool = std::make_shared<ThreadPool>(threads);
    slot = pool;
  }
  return pool;
}

}  // namespace gc
