// Broadcast arithmetic: the fast kernel gives the reference's bits at every SIMD level, over random
// broadcast patterns (tensor, per-channel, scalar, any axis stretched) and widths on the vector edges.
#include <gtest/gtest.h>

#include <random>

#include "ops/binary.hpp"
#include "test_util.hpp"

namespace strider {
namespace {

class Binary : public testing::EveryLevel {};

TEST_P(Binary, BroadcastsMatchReferenceBitwise) {
  std::mt19937_64 rng(5);
  const auto pick = [&](int64_t n) { return static_cast<int64_t>(rng() % static_cast<uint64_t>(n)); };
  for (int trial = 0; trial < 400; ++trial) {
    const int64_t dims[4] = {1 + pick(2), 1 + pick(4), 1 + pick(5), 1 + pick(2 * 16 + 3)};
    std::vector<int64_t> a(dims, dims + 4), b(dims, dims + 4);
    for (auto* t : {&a, &b})
      for (int64_t& d : *t)
        if (pick(3) == 0) d = 1;  // stretched along this axis
    if (pick(4) == 0) b.erase(b.begin(), b.begin() + pick(4));  // lower rank: aligned at the end
    if (b.empty()) b = {1};
    const Tensor x = Tensor::uniform(Shape(std::span<const int64_t>(a)), -2, 2, rng());
    Tensor y = Tensor::uniform(Shape(std::span<const int64_t>(b)), -2, 2, rng());
    for (const BinaryOp op : {BinaryOp::add, BinaryOp::sub, BinaryOp::mul, BinaryOp::div}) {
      SCOPED_TRACE(::testing::Message() << "op " << static_cast<int>(op) << ": " << x.shape() << ", " << y.shape());
      EXPECT_TRUE(testing::near(binary(op, x, y), binary_reference(op, x, y), 0.0));
      EXPECT_TRUE(testing::near(binary(op, y, x), binary_reference(op, y, x), 0.0));
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Simd, Binary, testing::every_simd_level, testing::level_name);

TEST(Binary, RejectsIncompatibleShapes) {
  EXPECT_TRUE(testing::rejects([] { binary(BinaryOp::mul, Tensor::zeros({2, 3}), Tensor::zeros({4})); },
                               {"mul", "size of tensor a (3)", "tensor b (4)", "[2, 3]"}));
}

}  // namespace
}  // namespace strider
