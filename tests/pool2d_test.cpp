#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <sstream>

#include "ops/pool2d.hpp"
#include "test_util.hpp"

namespace strider {
namespace {

using testing::near;
using testing::rejects;

constexpr float inf = std::numeric_limits<float>::infinity();
constexpr float nan = std::numeric_limits<float>::quiet_NaN();

TEST(AvgPool2d, CeilModeDivisorCountsPaddingButNotTheOverhang) {
  // PYTORCH_SEMANTICS.md §3: ones 4x4, k=3, s=2, p=1, ceil_mode, count_include_pad.
  const AvgPool2d pool(3, {.stride = 2, .padding = 1, .ceil_mode = true});
  const Tensor y = pool(Tensor::full({1, 1, 4, 4}, 1.0f));
  EXPECT_TRUE(near(y,
                   Tensor::from_values({1, 1, 3, 3}, {4 / 9.f, 6 / 9.f, 3 / 9.f, 6 / 9.f, 1, 3 / 6.f, 3 / 9.f, 3 / 6.f,
                                                      1 / 4.f}),
                   1e-7));
  // p = 0: the overhang past the input is not counted even with count_include_pad.
  EXPECT_TRUE(near(AvgPool2d(2, {.ceil_mode = true})(Tensor::full({1, 3, 3}, 1.0f)), Tensor::full({1, 2, 2}, 1.0f), 0));
}

TEST(AvgPool2d, CountIncludePadAndDivisorOverride) {
  const Tensor x = Tensor::full({1, 1, 2, 2}, 1.0f);
  EXPECT_EQ(AvgPool2d(3, {.stride = 1, .padding = 1})(x).at(0, 0, 0, 0), 4 / 9.f);
  EXPECT_EQ(AvgPool2d(3, {.stride = 1, .padding = 1, .count_include_pad = false})(x).at(0, 0, 0, 0), 1.0f);
  EXPECT_EQ(AvgPool2d(3, {.stride = 1, .padding = 1, .divisor_override = -2})(x).at(0, 0, 0, 0), -2.0f);
}

TEST(AvgPool2d, PropagatesNanAndInfinity) {
  EXPECT_EQ(AvgPool2d(2)(Tensor::from_values({1, 2, 2}, {1, 2, inf, 3}))[0], inf);
  EXPECT_TRUE(std::isnan(AvgPool2d(2)(Tensor::from_values({1, 2, 2}, {1, nan, inf, -inf}))[0]));
}

TEST(AvgPool2d, DilationDividesByTheTapsCounted) {
  // Strider's extension: a 3-tap window (k=2, d=2) over a 1x5 row; padding 1 puts the first tap outside.
  const Tensor row = Tensor::from_values({1, 1, 5}, {1, 2, 3, 4, 5});
  const AvgPool2d with_pad({1, 2}, {.stride = {1, 2}, .padding = {0, 1}, .dilation = {1, 2}});
  // Windows start at -1, 1, 3 with taps {-1, 1}, {1, 3}, {3, 5}: -1 and 5 lie in the padding, so they
  // count for count_include_pad and not otherwise.
  EXPECT_TRUE(near(with_pad(row), Tensor::from_values({1, 1, 3}, {2 / 2.f, (2 + 4) / 2.f, 4 / 2.f}), 0));
  const AvgPool2d valid_only({1, 2}, {.stride = {1, 2}, .padding = {0, 1}, .count_include_pad = false,
                                      .dilation = {1, 2}});
  EXPECT_TRUE(near(valid_only(row), Tensor::from_values({1, 1, 3}, {2, 3, 4}), 0));
  // d = 1 is PyTorch's AvgPool2d.
  EXPECT_TRUE(near(AvgPool2d({1, 2}, {.dilation = {1, 1}})(row), AvgPool2d({1, 2})(row), 0));
}

TEST(MaxPool2d, NanWinsTiesKeepTheFirstIndexPaddingNeverWins) {
  const MaxPool2d pool(2, {.return_indices = true});
  // Plane 2x4: window 0 = {1, 3, 3, 0} (tie of 3s), window 1 = {nan, 5, 7, nan}.
  const MaxPool2dResult r = pool.forward_with_indices(Tensor::from_values({1, 2, 4}, {1, 3, nan, 5, 3, 0, 7, nan}));
  EXPECT_EQ(r.output[0], 3.0f);
  EXPECT_EQ(r.indices[0], 1);
  EXPECT_TRUE(std::isnan(r.output[1]));
  EXPECT_EQ(r.indices[1], 7);  // the last NaN
  const MaxPool2dResult neg = MaxPool2d(3, {.stride = 1, .padding = 1, .return_indices = true})
                                  .forward_with_indices(Tensor::from_values({1, 1, 2}, {-5, -3}));
  EXPECT_TRUE(near(neg.output, Tensor::from_values({1, 1, 2}, {-3, -3}), 0));
  EXPECT_EQ(neg.indices, (std::vector<int64_t>{1, 1}));
  const MaxPool2dResult all_inf = MaxPool2d(2, {.return_indices = true})
                                      .forward_with_indices(Tensor::full({1, 1, 2, 4}, -inf));
  EXPECT_EQ(all_inf.output[1], -inf);
  EXPECT_EQ(all_inf.indices[1], 2);  // the window's first tap
  EXPECT_TRUE(std::isnan(MaxPool2d({1, 2})(Tensor::from_values({1, 1, 2}, {inf, nan}))[0]));
}

TEST(MaxPool2d, DilatedCeilModeIndicesArePerPlane) {
  const MaxPool2d pool(3, {.stride = 2, .padding = 1, .dilation = 2, .return_indices = true, .ceil_mode = true});
  const Tensor x = Tensor::arange({2, 3, 6, 7});  // increasing: the max is the last in-range tap
  const MaxPool2dResult r = pool.forward_with_indices(x);
  EXPECT_EQ(r.output.shape(), (Shape{2, 3, 3, 3}));
  for (int64_t i = 0; i < r.output.numel(); ++i) {
    const int64_t plane = i / 9, index = r.indices[static_cast<std::size_t>(i)];
    ASSERT_TRUE(index >= 0 && index < 42);
    EXPECT_EQ(r.output[i], x[plane * 42 + index]);
  }
  EXPECT_EQ(r.indices[0], 3 * 7 + 3);  // taps -1, 1, 3 on both axes: the largest in-range one is (3, 3)
}

TEST(Pool2d, RejectsEveryInvalidArgumentWithItsValue) {
  EXPECT_TRUE(rejects([] { MaxPool2d(0); }, {"MaxPool2d", "stride should not be zero", "stride=(0, 0)"}));
  EXPECT_TRUE(rejects([] { MaxPool2d(-2); }, {"pad should be at most half of kernel size", "kernel_size=(-2, -2)"}));
  EXPECT_TRUE(rejects([] { MaxPool2d({2, 0}, {.stride = 1}); }, {"kernel size", "kernel_size=(2, 0)"}));
  EXPECT_TRUE(rejects([] { AvgPool2d(2, {.stride = -1}); }, {"AvgPool2d", "greater than zero", "stride=(-1, -1)"}));
  EXPECT_TRUE(rejects([] { AvgPool2d(3, {.padding = 2}); }, {"at most half", "padding=(2, 2)", "kernel_size=(3, 3)"}));
  EXPECT_TRUE(rejects([] { MaxPool2d(3, {.padding = 2, .dilation = 2}); }, {"at most half", "padding=(2, 2)"}));
  EXPECT_TRUE(rejects([] { MaxPool2d(3, {.padding = -1}); }, {"non-negative", "padding=(-1, -1)"}));
  EXPECT_TRUE(rejects([] { MaxPool2d(3, {.dilation = 0}); }, {"dilation", "dilation=(0, 0)"}));
  EXPECT_TRUE(rejects([] { AvgPool2d(2, {.divisor_override = 0}); }, {"divisor", "divisor_override=0"}));
  EXPECT_TRUE(rejects([] { MaxPool2d(3, {.stride = 1})(Tensor::zeros({1, 2, 2})); },
                      {"(1x2x2)", "(1x0x0)", "Output size is too small"}));
  EXPECT_TRUE(rejects([] { AvgPool2d(2)(Tensor::zeros({1, 1, 0, 4})); }, {"non-zero", "[1, 1, 0, 4]"}));
  EXPECT_TRUE(rejects([] { AvgPool2d(2)(Tensor::zeros({4, 4})); }, {"3D or 4D", "[4, 4]"}));
  EXPECT_TRUE(rejects([] { MaxPool2d(2)(Tensor::zeros({16})); }, {"3D or 4D", "[16]"}));
  // PyTorch returns -inf with an index outside the plane here; Strider rejects the window.
  EXPECT_TRUE(rejects([] { MaxPool2d(2, {.padding = 1, .dilation = 3})(Tensor::zeros({1, 2, 2})); },
                      {"no tap inside the input", "dilation=3"}));
  EXPECT_TRUE(rejects([] { MaxPool2d(2, {.return_indices = false}).forward_with_indices(Tensor::zeros({1, 2, 2})); },
                      {"return_indices"}));
  // Accepted: ceil_mode with a kernel larger than the input.
  EXPECT_EQ(MaxPool2d(3, {.ceil_mode = true}).output_shape({1, 2, 2}), (Shape{1, 1, 1}));
}

TEST(Pool2d, PrintsLikePyTorch) {
  std::ostringstream os;
  os << MaxPool2d(3, {.stride = {2, 1}, .padding = 1}) << ' ' << AvgPool2d(2);
  EXPECT_EQ(os.str(),
            "MaxPool2d(kernel_size=3, stride=(2, 1), padding=1, dilation=1, ceil_mode=False) "
            "AvgPool2d(kernel_size=2, stride=2, padding=0)");
}

}  // namespace
}  // namespace strider
