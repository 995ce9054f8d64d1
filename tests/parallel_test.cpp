#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "core/parallel.hpp"
#include "test_util.hpp"

namespace strider {
namespace {

TEST(Parallel, ThreadCountIsSettable) {
  const int all = get_num_threads();
  EXPECT_EQ(all, static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
  set_num_threads(1);
  EXPECT_EQ(get_num_threads(), 1);
  set_num_threads(all);
  EXPECT_EQ(get_num_threads(), all);
  EXPECT_TRUE(testing::rejects([] { set_num_threads(0); }, {"set_num_threads", "at least 1", "0"}));
}

TEST(Parallel, ForCoversTheRangeExactlyOnce) {
  std::vector<std::atomic<int>> hits(10007);
  parallel_for(0, static_cast<int64_t>(hits.size()), [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) hits[static_cast<std::size_t>(i)]++;
  });
  for (const auto& h : hits) ASSERT_EQ(h.load(), 1);
}

TEST(Parallel, ThreadPoolCapsItsWorkAndLeavesTheProcessAlone) {
  const int all = get_num_threads();
  ThreadPool one(1);
  EXPECT_EQ(one.threads(), 1);
  EXPECT_EQ(one.run([] { return tbb::this_task_arena::max_concurrency(); }), 1);
  EXPECT_EQ(get_num_threads(), all);
  std::vector<std::atomic<int>> hits(1000);
  one.run([&] {
    parallel_for(0, static_cast<int64_t>(hits.size()), [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) hits[static_cast<std::size_t>(i)]++;
    });
  });
  for (const auto& h : hits) ASSERT_EQ(h.load(), 1);
  EXPECT_TRUE(testing::rejects([] { ThreadPool none(0); }, {"ThreadPool", "at least 1", "0"}));
}

}  // namespace
}  // namespace strider
