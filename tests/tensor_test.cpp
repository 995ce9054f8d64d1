#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <sstream>
#include <type_traits>
#include <vector>

#include "core/memory.hpp"
#include "core/tensor.hpp"
#include "test_util.hpp"

namespace strider {
namespace {

using testing::rejects;

TEST(Shape, RankSizesAndNumel) {
  const Shape s{2, 3, 4, 5};
  EXPECT_EQ(s.rank(), 4);
  EXPECT_EQ(s[0], 2);
  EXPECT_EQ(s[-1], 5);
  EXPECT_EQ(s.numel(), 120);
  EXPECT_EQ(s.str(), "[2, 3, 4, 5]");
  EXPECT_EQ((Shape{0, 3}).numel(), 0);
}

TEST(Shape, RejectsBadDimensions) {
  EXPECT_TRUE(rejects([] { Shape({1, 2, 3, 4, 5}); }, {"rank", "5"}));
  EXPECT_TRUE(rejects([] { Shape(std::initializer_list<int64_t>{}); }, {"rank"}));
  EXPECT_TRUE(rejects([] { Shape({2, -1}); }, {"dimension 1", "-1"}));
  EXPECT_TRUE(rejects([] { Shape({1 << 30, 1 << 30, 1 << 30}); }, {"overflows"}));
  EXPECT_TRUE(rejects([] { (void)Shape({2, 3})[2]; }, {"axis 2"}));
}

TEST(Tensor, StorageIsAlignedWithZeroedReadSlack) {
  for (int64_t n : {1, 3, 16, 17, 1000}) {
    const Tensor t = Tensor::full({n}, 2.0f);
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(t.data()) % Tensor::alignment, 0u);
    for (std::size_t i = 0; i < Tensor::slack_bytes / sizeof(float); ++i) EXPECT_EQ(t.data()[n + i], 0.0f);
  }
}

TEST(Tensor, Factories) {
  const Tensor a = Tensor::arange({2, 3}, 1.0f, 0.5f);
  EXPECT_EQ(a.at(1, 2), 3.5f);
  EXPECT_EQ(Tensor::zeros({4})[3], 0.0f);
  const Tensor v = Tensor::from_values({2, 2}, {1, 2, 3, 4});
  EXPECT_EQ(v.at(1, 0), 3.0f);
  EXPECT_TRUE(rejects([] { Tensor::from_values({2, 2}, {1, 2, 3}); }, {"4 elements", "3 values"}));

  const Tensor u1 = Tensor::uniform({1000}, -1, 1, 7), u2 = Tensor::uniform({1000}, -1, 1, 7);
  EXPECT_EQ(max_abs_diff(u1, u2), 0.0);
  double mean = 0;
  for (float x : u1.values()) {
    EXPECT_TRUE(x >= -1 && x < 1);
    mean += x / 1000.0;
  }
  EXPECT_NEAR(mean, 0.0, 0.1);
  const Tensor n = Tensor::normal({4000}, 3.0f, 2.0f, 1);
  double sum = 0, sum2 = 0;
  for (float x : n.values()) sum += x, sum2 += double(x) * x;
  EXPECT_NEAR(sum / 4000, 3.0, 0.15);
  EXPECT_NEAR(std::sqrt(sum2 / 4000 - (sum / 4000) * (sum / 4000)), 2.0, 0.15);
  EXPECT_GT(max_abs_diff(Tensor::uniform({8}, -1, 1, 1), Tensor::uniform({8}, -1, 1, 2)), 0.0);
}

TEST(Tensor, StridesAndCheckedAccess) {
  Tensor t = Tensor::arange({2, 3, 4, 5});
  EXPECT_EQ(t.strides(), (std::array<int64_t, 4>{60, 20, 5, 1}));
  EXPECT_EQ(t.at(1, 2, 3, 4), 119.0f);
  t.at(0, 0, 0, 1) = -1.0f;
  EXPECT_EQ(t[1], -1.0f);
  EXPECT_TRUE(rejects([&] { (void)t.at(0, 3, 0, 0); }, {"index 3", "dimension 1", "size 3"}));
  EXPECT_TRUE(rejects([&] { (void)t.at(0, 0); }, {"expected 4 indices"}));
}

TEST(Tensor, MovesAreCheapAndCopiesExplicit) {
  Tensor a = Tensor::arange({3});
  const float* storage = a.data();
  Tensor b = std::move(a);
  EXPECT_EQ(b.data(), storage);
  EXPECT_FALSE(a.defined());  // NOLINT(bugprone-use-after-move): the moved-from state is specified
  Tensor c = b.clone();
  EXPECT_NE(c.data(), b.data());
  c[0] = 5;
  EXPECT_EQ(b[0], 0.0f);
  EXPECT_TRUE(c.owns_data());
}

TEST(Tensor, WrapsConstAndStridedMemory) {
  // A 3x4 buffer, of which the 3x2 block at column 1 is a strided view (a cv::Mat ROI, say).
  std::vector<float> buffer(12);
  for (std::size_t i = 0; i < buffer.size(); ++i) buffer[i] = static_cast<float>(i);
  const std::vector<float>& read_only = buffer;
  const ConstTensor whole = Tensor::wrap(read_only.data(), {3, 4});
  EXPECT_FALSE(whole.owns_data());
  EXPECT_EQ(whole.data(), buffer.data());
  static_assert(!std::is_convertible_v<ConstTensor, Tensor&> && !std::is_constructible_v<Tensor, ConstTensor>,
                "a const view must never become a writable Tensor");
  static_assert(std::is_same_v<decltype(whole.tensor().data()), const float*>);

  const std::array<int64_t, 2> roi_strides = {4, 1};
  const ConstTensor block = Tensor::wrap(read_only.data() + 1, {3, 2}, roi_strides);
  EXPECT_TRUE(block.owns_data());  // not row-major: packed
  const Tensor expected = Tensor::from_values({3, 2}, {1, 2, 5, 6, 9, 10});
  EXPECT_EQ(max_abs_diff(block, expected), 0.0);  // ConstTensor passes as const Tensor&
  // Row-major strides (any stride on a size-1 axis) give a view, writable when the memory is.
  const std::array<int64_t, 3> contiguous = {99, 4, 1};
  Tensor view = Tensor::wrap(buffer.data(), {1, 3, 4}, contiguous);
  EXPECT_FALSE(view.owns_data());
  view.at(0, 2, 3) = -1;
  EXPECT_EQ(buffer[11], -1.0f);
  EXPECT_TRUE(rejects([&] { Tensor::wrap(buffer.data() + 1, {3, 2}, roi_strides); }, {"[4, 1]", "not row-major"}));
  const std::array<int64_t, 2> negative = {-4, 1};
  EXPECT_TRUE(rejects([&] { Tensor::wrap(read_only.data(), {3, 2}, negative); }, {"-4", "non-negative"}));
  const std::array<int64_t, 1> too_few = {1};
  EXPECT_TRUE(rejects([&] { Tensor::wrap(read_only.data(), {3, 2}, too_few); }, {"2 strides"}));
}

TEST(Tensor, ViewsShareCallerMemory) {
  std::vector<float> buffer(6, 1.0f);
  Tensor w = Tensor::wrap(buffer.data(), {2, 3});
  EXPECT_FALSE(w.owns_data());
  w.at(1, 1) = 9;
  EXPECT_EQ(buffer[4], 9.0f);
  const Tensor v = w.view({3, 2});
  EXPECT_EQ(v.at(2, 0), 9.0f);
  EXPECT_TRUE(rejects([&] { (void)w.view({4, 2}); }, {"[4, 2]", "6 elements"}));
  EXPECT_TRUE(rejects([] { Tensor::wrap(static_cast<float*>(nullptr), {2}); }, {"null"}));

  Tensor owned = Tensor::arange({2, 6});
  const float* storage = owned.data();
  Tensor reshaped = std::move(owned).reshape({3, 4});
  EXPECT_EQ(reshaped.data(), storage);
  EXPECT_EQ(reshaped.at(2, 3), 11.0f);
}

TEST(Tensor, ComparisonTreatsNanAndInfinityExactly) {
  const float inf = std::numeric_limits<float>::infinity(), nan = std::numeric_limits<float>::quiet_NaN();
  const Tensor a = Tensor::from_values({4}, {1, inf, nan, 2});
  const Tensor b = Tensor::from_values({4}, {1, inf, nan, 2.5});
  EXPECT_EQ(max_abs_diff(a, b), 0.5);
  EXPECT_TRUE(std::isnan(max_abs_diff(a, Tensor::from_values({4}, {1, inf, 0, 2}))));
  EXPECT_FALSE(allclose(a, b, 0, 0.1, true));
  EXPECT_TRUE(allclose(a, b, 0, 0.5, true));
  EXPECT_FALSE(allclose(a, b, 0, 0.5, false));  // NaN != NaN unless equal_nan
  EXPECT_TRUE(rejects([&] { max_abs_diff(a, Tensor::zeros({2, 2})); }, {"shapes must match"}));
}

// The size limit: a bigger tensor is an error naming its shape and how to raise the limit.
TEST(Tensor, SizeLimitIsAnErrorAndCanBeRaised) {
  const int64_t limit = max_tensor_bytes();
  EXPECT_EQ(limit, int64_t{4} << 30);  // ctest sets no STRIDER_MAX_TENSOR_BYTES
  EXPECT_TRUE(rejects([] { Tensor({1, 3, 100000, 100000}); },
                      {"Tensor: shape [1, 3, 100000, 100000]", "more than the limit of 4294967296 bytes",
                       "STRIDER_MAX_TENSOR_BYTES", "set_max_tensor_bytes"}));
  set_max_tensor_bytes(1024);
  EXPECT_EQ(Tensor({256}).numel(), 256);
  EXPECT_TRUE(rejects([] { Tensor({257}); }, {"[257]", "1024 bytes"}));
  EXPECT_TRUE(rejects([] { set_max_tensor_bytes(0); }, {"set_max_tensor_bytes", "positive", "0"}));
  set_max_tensor_bytes(limit);
}

// Blocks of 32 MiB or more outlive their tensor in a bounded cache; a tensor of another size empties it.
TEST(Tensor, LargeBlocksAreReusedWithinBounds) {
  release_cached_memory();
  const Shape large{8, 1024, 1024};  // 32 MiB
  const float* first = nullptr;
  {
    Tensor t(large);
    first = t.data();
  }
  EXPECT_EQ(cached_memory_bytes(), int64_t{34} << 20);  // 32 MiB and the SIMD slack, in 2 MiB pages
  {
    Tensor again(large);
    EXPECT_EQ(again.data(), first);
    EXPECT_EQ(cached_memory_bytes(), 0);
  }
  { Tensor other({9, 1024, 1024}); }  // a miss: the 34 MiB block went back before this one was mapped
  EXPECT_EQ(cached_memory_bytes(), int64_t{38} << 20);
  {
    std::vector<Tensor> many;
    for (int i = 0; i < 6; ++i) many.emplace_back(Shape{16, 1024, 1024});
  }
  EXPECT_EQ(cached_memory_bytes(), int64_t{3 * 66} << 20);  // the last three 66 MiB blocks: 4 pass 256 MiB
  release_cached_memory();
  EXPECT_EQ(cached_memory_bytes(), 0);
  { Tensor small({1024}); }
  EXPECT_EQ(cached_memory_bytes(), 0);  // small blocks are glibc's
}

TEST(Tensor, PrintsShapeAndLeadingValues) {
  std::ostringstream os;
  os << Tensor::arange({2, 5});
  EXPECT_EQ(os.str(), "Tensor(shape=[2, 5], values=[0, 1, 2, 3, 4, 5, 6, 7, ...])");
}

}  // namespace
}  // namespace strider
