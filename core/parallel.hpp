#pragma once
// Threading on oneTBB. Work is split over output ranges so that every output is written by exactly one
// task: results do not depend on the number of threads.
#include <cstdint>
#include <utility>

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

namespace strider {

// Caps the number of threads oneTBB runs in this whole process, like torch.set_num_threads: it installs
// a tbb::global_control, which also caps the host application's own oneTBB work and every ThreadPool.
// To give Strider fewer threads without touching the rest of the process, use a ThreadPool. n >= 1.
// Thread-safe.
void set_num_threads(int n);
// The current process-wide cap; by default all hardware threads.
int get_num_threads();

// Threads of Strider's own (a oneTBB task_arena): everything run() runs, and every operator it calls,
// uses at most `threads` threads, the calling thread included, whatever the rest of the process does
// with oneTBB. A model can be given one (OnnxModel::set_thread_pool); any call can run inside one:
//
//   ThreadPool two(2);
//   Tensor y = two.run([&] { return model.run(x); });
//
// Thread-safe: one pool may serve several threads at once (they share its threads).
class ThreadPool {
 public:
  explicit ThreadPool(int threads);
  int threads() const { return threads_; }

  template <class F>
  decltype(auto) run(F&& f) {
    return arena_.execute(std::forward<F>(f));
  }

 private:
  int threads_;
  tbb::task_arena arena_;
};

// Calls body(begin, end) on disjoint subranges covering [begin, end), in parallel.
template <class Body>
void parallel_for(int64_t begin, int64_t end, const Body& body) {
  tbb::parallel_for(tbb::blocked_range<int64_t>(begin, end),
                    [&](const tbb::blocked_range<int64_t>& r) { body(r.begin(), r.end()); });
}

}  // namespace strider
