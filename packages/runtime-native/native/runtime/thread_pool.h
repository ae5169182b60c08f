// A persistent thread pool: `threads - 1` workers plus the calling thread. Operators split their
// work into tasks and call ParallelFor; no threads are created per op or per run.
// Pools are shared per thread count across sessions (AcquireThreadPool); jobs from different
// sessions are serialised by a dispatch mutex, so one pool never oversubscribes the cores.
#pragma once
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>
#include <type_traits>
#include <vector>

namespace gc {

class ThreadPool {
 public:
  explicit ThreadPool(int threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  // Total threads that execute tasks (workers + caller).
  int size() const { return static_cast<int>(workers_.size()) + 1; }

  // Calls f(task, thread_index) for task in [0, n); thread_index < size() identifies per-thread
  // scratch. Blocks until all tasks finished; rethrows the first exception a task threw.
  template <class F>
  void ParallelFor(size_t n, F&& f) {
    if (n == 0) return;
    // Nested use from inside a task runs inline (dispatching would deadlock on dispatch_mu_).
    if (n == 1 || workers_.empty() || InTask()) {
      for (size_t i = 0; i < n; i++) f(i, 0);
      return;
    }
    using Fn = std::remove_reference_t<F>;
    Dispatch(n, [](const void* ctx, size_t i, int t) { (*static_cast<const Fn*>(ctx))(i, t); }, &f);
  }

 private:
  static bool& InTask();
  using TaskFn = void (*)(const void*, size_t, int);
  void Dispatch(size_t n, TaskFn fn, const void* ctx);
  void Work(int tid);
  void WorkerLoop(int tid);

  std::vector<std::thread> workers_;
  std::mutex dispatch_mu_;  // one job at a time
  // Sleeping workers wait on wake_cv_ (under mu_) for published_ to change; between the ops of
  // one run they spin on it instead, so a dispatch costs no syscall.
  std::mutex mu_;
  std::condition_variable wake_cv_;
  int sleepers_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> published_{0};
  // A worker joins job G only while open_ == G; the caller closes the job once every task is
  // claimed and then waits for the workers inside (active_) only. A worker that wakes late (e.g.
  // descheduled on a busy machine) finds the job closed and never delays the caller.
  std::atomic<uint64_t> open_{0};
  std::atomic<int> active_{0};
  // The current job (written before published_ is bumped, read after).
  TaskFn fn_ = nullptr;
  const void* ctx_ = nullptr;
  size_t n_ = 0;
  std::atomic<size_t> next_{0};
  std::exception_ptr error_;
  std::mutex error_mu_;
};

// A pool with `threads` threads shared by every session asking for that many (kept alive while used).
std::shared_ptr<ThreadPool> AcquireThreadPool(int threads);

}  // namespace gc
