#include "parallel.hpp"

#include <memory>
#include <mutex>

#include <tbb/global_control.h>

#include "check.hpp"

namespace strider {

namespace {

std::mutex control_mutex;
std::unique_ptr<tbb::global_control> control;  // absent: TBB's default, all hardware threads

}  // namespace

void set_num_threads(int n) {
  check(n >= 1, "set_num_threads: the number of threads must be at least 1, but got ", n);
  std::lock_guard lock(control_mutex);
  control.reset();  // a new control must not be capped by the old one
  control = std::make_unique<tbb::global_control>(tbb::global_control::max_allowed_parallelism,
                                                  static_cast<std::size_t>(n));
}

int get_num_threads() {
  return static_cast<int>(tbb::global_control::active_value(tbb::global_control::max_allowed_parallelism));
}

ThreadPool::ThreadPool(int threads) : threads_(threads) {
  check(threads >= 1, "ThreadPool: the number of threads must be at least 1, but got ", threads);
  arena_.initialize(threads);  // now, not lazily on the first run(): run() may come from several threads
}

}  // namespace strider
