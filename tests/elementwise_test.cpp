// The memory-bound fast paths against their references at every SIMD level: broadcast arithmetic (the
// same bits, over random broadcast patterns — tensor, per-channel, scalar, any axis stretched — and
// widths on the vector edges), unfused BatchNorm (within its stated bound) and Upsample (the same bits).
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "ops/batch_norm2d.hpp"
#include "ops/binary.hpp"
#include "ops/upsample.hpp"
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

// Operands and output past the last-level cache take the non-temporal stores: whole tensors (96 MiB),
// a tensor stretched along its first axis and a per-channel scale, both with rows of odd length, so
// that spans start off the vectors' alignment.
TEST_P(Binary, StreamedOutputsMatchReferenceBitwise) {
  const Tensor x = Tensor::uniform({3, 999, 4001}, -2, 2, 11), y = Tensor::uniform({999, 4001}, -2, 2, 12);
  const Tensor channel = Tensor::uniform({3, 1, 1}, -2, 2, 13);
  EXPECT_TRUE(testing::near(binary(BinaryOp::add, x, x), binary_reference(BinaryOp::add, x, x), 0.0));
  EXPECT_TRUE(testing::near(binary(BinaryOp::sub, x, y), binary_reference(BinaryOp::sub, x, y), 0.0));
  EXPECT_TRUE(testing::near(binary(BinaryOp::div, channel, x), binary_reference(BinaryOp::div, channel, x), 0.0));
}

TEST_P(Binary, BatchNormWithinTwoUlpsOfItsTerms) {
  for (int trial = 0; trial < 40; ++trial) {
    const int64_t c = 1 + trial % 5;
    const Tensor x = Tensor::uniform({1 + trial % 2, c, 1 + trial % 3, 1 + trial % 35}, -3, 3, trial);
    const Tensor mean = Tensor::uniform({c}, -1, 1, trial + 1), var = Tensor::uniform({c}, 0.1f, 2, trial + 2);
    const Tensor w = Tensor::uniform({c}, -2, 2, trial + 3), b = Tensor::uniform({c}, -1, 1, trial + 4);
    const ChannelAffine a = batch_norm_affine(mean, var, w, b);
    Tensor tolerance(x.shape());
    const int64_t plane = x.size(2) * x.size(3);
    for (int64_t i = 0; i < x.numel(); ++i) {
      const auto k = static_cast<std::size_t>(i / plane % c);
      tolerance[i] = static_cast<float>(0x1p-22 * (std::abs(x[i] * a.scale[k]) + std::abs(a.shift[k])));
    }
    EXPECT_TRUE(testing::near(batch_norm2d(x, mean, var, w, b), ref::batch_norm2d(x, mean, var, w, b), tolerance));
  }
}

TEST(Upsample, FastKernelsGiveTheReferenceBits) {
  for (int trial = 0; trial < 30; ++trial) {
    const Tensor x = Tensor::uniform({1 + trial % 2, 2, 1 + trial % 7, 1 + trial % 11}, -1, 1, trial);
    // A scale factor gives the size (as Upsample computes it); without one, any size.
    const std::optional<double> scale = trial % 2 ? std::optional<double>(2.0 + trial % 3) : std::nullopt;
    const Hw size = scale ? Hw{x.size(2) * (2 + trial % 3), x.size(3) * (2 + trial % 3)}
                          : Hw{1 + (trial * 7) % 23, 1 + (trial * 5) % 29};
    EXPECT_TRUE(testing::near(upsample_nearest2d(x, size, scale, scale, trial % 3 == 0),
                              ref::upsample_nearest2d(x, size, scale, scale, trial % 3 == 0), 0.0));
    EXPECT_TRUE(testing::near(upsample_bilinear2d(x, size, trial % 4 == 0, scale, scale),
                              ref::upsample_bilinear2d(x, size, trial % 4 == 0, scale, scale), 0.0));
  }
}

// Large enough to be split over threads: the kernels' reuse of a row (nearest's repeated source rows,
// bilinear's horizontal passes held across output rows) must not cross a task's or a plane's edge.
TEST(Upsample, ThreadedKernelsGiveTheReferenceBits) {
  const Tensor x = Tensor::uniform({2, 3, 61, 67}, -1, 1, 9);
  for (const Hw size : {Hw{122, 134}, Hw{183, 67}, Hw{97, 150}, Hw{40, 50}}) {
    for (const bool flag : {false, true}) {
      EXPECT_TRUE(testing::near(upsample_nearest2d(x, size, std::nullopt, std::nullopt, flag),
                                ref::upsample_nearest2d(x, size, std::nullopt, std::nullopt, flag), 0.0));
      EXPECT_TRUE(testing::near(upsample_bilinear2d(x, size, flag, std::nullopt, std::nullopt),
                                ref::upsample_bilinear2d(x, size, flag, std::nullopt, std::nullopt), 0.0));
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
