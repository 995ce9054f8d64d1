#pragma once
// Threading on oneTBB. Work is split over output ranges so that every output is written by exactly one
// task: results do not depend on the number of threads.
#include <cstdint>

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

namespace strider {

// Caps the threads every Strider operator uses (process-wide, like torch.set_num_threads). n >= 1.
void set_num_threads(int n);
// The current cap; by default all hardware threads.
int get_num_threads();

// Calls body(begin, end) on disjoint subranges covering [begin, end), in parallel.
template <class Body>
void parallel_for(int64_t begin, int64_t end, const Body& body) {
  tbb::parallel_for(tbb::blocked_range<int64_t>(begin, end),
                    [&](const tbb::blocked_range<int64_t>& r) { body(r.begin(), r.end()); });
}

}  // namespace strider
