#include <gtest/gtest.h>

#include <sstream>

#include "ops/conv2d.hpp"
#include "test_util.hpp"

namespace strider {
namespace {

using testing::near;
using testing::random_tensor;
using testing::rejects;

// Direct summation (whatever STRIDER_CONV_ALGO says), so that small integers come out exact.
Conv2d with_weight(Conv2d conv, Tensor weight) {
  conv.set_weight(std::move(weight));
  conv.set_algorithm(ConvAlgorithm::direct);
  return conv;
}

TEST(Conv2d, Fig2_1ByHand) {
  // 4x4 input 0..15, 3x3 kernel of ones, no bias: each output sums a 3x3 block.
  const Conv2d conv = with_weight(Conv2d(1, 1, 3, {.bias = false}), Tensor::full({1, 1, 3, 3}, 1.0f));
  const Tensor y = conv(Tensor::arange({1, 1, 4, 4}));
  EXPECT_TRUE(near(y, Tensor::from_values({1, 1, 2, 2}, {45, 54, 81, 90}), 0));
}

TEST(Conv2d, IsCrossCorrelationWithStrideDilationAndBias) {
  Conv2d conv(1, 1, {1, 2}, {.stride = {1, 2}, .dilation = {1, 2}});
  conv.set_weight(Tensor::from_values({1, 1, 1, 2}, {1, 10}));  // not flipped: x[w] + 10 x[w + 2]
  conv.set_bias(Tensor::from_values({1}, {0.5f}));
  const Tensor y = conv(Tensor::arange({1, 1, 1, 6}));
  EXPECT_TRUE(near(y, Tensor::from_values({1, 1, 1, 2}, {20.5f, 42.5f}), 0));
}

TEST(Conv2d, PaddingModesOnARow) {
  // A 1x1 identity kernel over padding (0, 2) shows the padded row itself (PYTORCH_SEMANTICS.md §1).
  const Tensor row = Tensor::from_values({1, 1, 1, 3}, {1, 2, 3});
  const auto padded = [&](const char* mode) {
    const Conv2d conv = with_weight(Conv2d(1, 1, 1, {.padding = {0, 2}, .bias = false, .padding_mode = mode}),
                                    Tensor::full({1, 1, 1, 1}, 1.0f));
    return conv(row);
  };
  EXPECT_TRUE(near(padded("zeros"), Tensor::from_values({1, 1, 1, 7}, {0, 0, 1, 2, 3, 0, 0}), 0));
  EXPECT_TRUE(near(padded("reflect"), Tensor::from_values({1, 1, 1, 7}, {3, 2, 1, 2, 3, 2, 1}), 0));
  EXPECT_TRUE(near(padded("replicate"), Tensor::from_values({1, 1, 1, 7}, {1, 1, 1, 2, 3, 3, 3}), 0));
  EXPECT_TRUE(near(padded("circular"), Tensor::from_values({1, 1, 1, 7}, {2, 3, 1, 2, 3, 1, 2}), 0));
}

TEST(Conv2d, SamePaddingKeepsTheSizeAndPadsTheEndMore) {
  // k=2: pad 0 before, 1 after, so the last output reads one zero.
  const Conv2d conv = with_weight(Conv2d(1, 1, {1, 2}, {.padding = "same", .bias = false}),
                                  Tensor::from_values({1, 1, 1, 2}, {1, 1}));
  EXPECT_TRUE(near(conv(Tensor::from_values({1, 1, 1, 3}, {1, 2, 3})), Tensor::from_values({1, 1, 1, 3}, {3, 5, 3}), 0));
  const Conv2d valid(2, 3, 3, {.padding = "valid"});
  EXPECT_EQ(valid.output_shape({1, 2, 7, 6}), (Shape{1, 3, 5, 4}));
}

TEST(Conv2d, GroupsAreIndependentConvolutions) {
  const Tensor x = random_tensor({2, 6, 7, 5}, 1);
  Conv2d grouped(6, 4, 3, {.padding = 1, .groups = 2});
  grouped.reset_parameters(3);
  for (int64_t g = 0; g < 2; ++g) {
    Conv2d part(3, 2, 3, {.padding = 1});
    Tensor w({2, 3, 3, 3}), b({2}), xg({2, 3, 7, 5});
    for (int64_t i = 0; i < w.numel(); ++i) w[i] = grouped.weight()[g * w.numel() + i];
    for (int64_t o = 0; o < 2; ++o) b[o] = grouped.bias()[g * 2 + o];
    for (int64_t n = 0; n < 2; ++n)
      for (int64_t c = 0; c < 3; ++c)
        for (int64_t h = 0; h < 7; ++h)
          for (int64_t v = 0; v < 5; ++v) xg.at(n, c, h, v) = x.at(n, g * 3 + c, h, v);
    part.set_weight(std::move(w));
    part.set_bias(std::move(b));
    const Tensor expected = part(xg), y = grouped(x);
    for (int64_t n = 0; n < 2; ++n)
      for (int64_t o = 0; o < 2; ++o)
        for (int64_t h = 0; h < 7; ++h)
          for (int64_t v = 0; v < 5; ++v) EXPECT_EQ(y.at(n, g * 2 + o, h, v), expected.at(n, o, h, v));
  }
}

TEST(Conv2d, UnbatchedAndEmptyBatches) {
  const Conv2d conv(3, 4, 3, {.stride = 2});
  const Tensor x = random_tensor({3, 9, 8}, 2);
  const Tensor y = conv(x);
  EXPECT_EQ(y.shape(), (Shape{4, 4, 3}));
  EXPECT_TRUE(near(y, conv(x.view({1, 3, 9, 8})).view({4, 4, 3}), 0));
  EXPECT_EQ(conv(Tensor::zeros({0, 3, 9, 8})).shape(), (Shape{0, 4, 4, 3}));
}

TEST(Conv2d, DefaultInitialisationIsPyTorchsAndSeeded) {
  Conv2d conv(4, 8, 3);
  const float bound = 1.0f / 6.0f;  // 1 / sqrt(fan_in = 4 * 3 * 3)
  for (float w : conv.weight().values()) EXPECT_LE(std::abs(w), bound);
  for (float b : conv.bias().values()) EXPECT_LE(std::abs(b), bound);
  Tensor before = conv.weight().clone();
  conv.reset_parameters(0);
  EXPECT_EQ(max_abs_diff(before, conv.weight()), 0.0);
  conv.reset_parameters(1);
  EXPECT_GT(max_abs_diff(before, conv.weight()), 0.0);
  EXPECT_FALSE(Conv2d(4, 8, 3, {.bias = false}).bias().defined());
}

TEST(Conv2d, ParametersAreShapeChecked) {
  Conv2d conv(4, 8, {3, 2}, {.groups = 2});
  EXPECT_TRUE(rejects([&] { conv.set_weight(Tensor::zeros({8, 4, 3, 2})); },
                      {"Conv2d", "weight", "[8, 2, 3, 2]", "[8, 4, 3, 2]"}));
  EXPECT_TRUE(rejects([&] { conv.set_bias(Tensor::zeros({4})); }, {"Conv2d", "bias", "[8]"}));
  Conv2d no_bias(4, 8, 3, {.bias = false});
  EXPECT_TRUE(rejects([&] { no_bias.set_bias(Tensor::zeros({8})); }, {"bias=false"}));
}

TEST(Conv2d, RejectsEveryInvalidArgumentWithItsValue) {
  // Decided by the arguments alone: at construction.
  EXPECT_TRUE(rejects([] { Conv2d(4, 4, 3, {.groups = 0}); }, {"Conv2d", "groups", "groups=0"}));
  EXPECT_TRUE(rejects([] { Conv2d(6, 4, 3, {.groups = 4}); }, {"in_channels must be divisible by groups", "6"}));
  EXPECT_TRUE(rejects([] { Conv2d(4, 6, 3, {.groups = 4}); }, {"out_channels must be divisible by groups", "6"}));
  EXPECT_TRUE(rejects([] { Conv2d(4, 0, 3); }, {"out_channels", "out_channels=0"}));
  EXPECT_TRUE(rejects([] { Conv2d(0, 4, 3); }, {"in_channels", "in_channels=0"}));
  EXPECT_TRUE(rejects([] { Conv2d(4, 4, 3, {.padding = "full"}); }, {"padding string 'full'", "'same', 'valid'"}));
  EXPECT_TRUE(rejects([] { Conv2d(4, 4, 3, {.stride = {1, 2}, .padding = "same"}); },
                      {"padding='same'", "strided", "stride=(1, 2)"}));
  EXPECT_TRUE(rejects([] { Conv2d(4, 4, 3, {.padding_mode = "constant"}); }, {"padding_mode='constant'"}));
  EXPECT_TRUE(rejects([] { Conv2d(4, 4, {3, 0}); }, {"kernel size", "kernel_size=(3, 0)"}));
  EXPECT_TRUE(rejects([] { Conv2d(4, 4, -1); }, {"kernel size", "kernel_size=(-1, -1)"}));
  EXPECT_TRUE(rejects([] { Conv2d(4, 4, 3, {.stride = {0, 1}}); }, {"non-positive stride", "stride=(0, 1)"}));
  EXPECT_TRUE(rejects([] { Conv2d(4, 4, 3, {.padding = {1, -1}}); }, {"negative padding", "padding=(1, -1)"}));
  EXPECT_TRUE(rejects([] { Conv2d(4, 4, 3, {.dilation = {1, -1}}); }, {"dilation", "dilation=(1, -1)"}));
  // Decided by the input: at forward.
  const Conv2d conv(4, 4, 3, {.groups = 2});
  EXPECT_TRUE(rejects([&] { conv(Tensor::zeros({1, 2, 5, 5})); }, {"input[1, 2, 5, 5]", "4 channels", "got 2"}));
  EXPECT_TRUE(rejects([&] { conv(Tensor::zeros({4, 25})); }, {"3D", "4D", "[4, 25]"}));
  EXPECT_TRUE(rejects([&] { conv(Tensor::zeros({1, 4, 0, 5})); }, {"non-zero height and width", "[1, 4, 0, 5]"}));
  EXPECT_TRUE(rejects([] { Conv2d(1, 1, 7)(Tensor::zeros({1, 1, 6, 6})); },
                      {"(6 x 6)", "(7 x 7)", "Kernel size can't be greater than actual input size"}));
  EXPECT_TRUE(rejects([] { Conv2d(1, 1, 3, {.padding = 1, .dilation = 4})(Tensor::zeros({1, 1, 6, 6})); },
                      {"(8 x 8)", "(9 x 9)"}));  // the kernel is reported dilated
  EXPECT_TRUE(rejects([] { Conv2d(1, 1, 3, {.padding = 3, .padding_mode = "reflect"})(Tensor::zeros({1, 1, 5, 3})); },
                      {"reflect", "padding", "[1, 1, 5, 3]"}));
  EXPECT_TRUE(rejects([] { Conv2d(1, 1, 3, {.padding = 4, .padding_mode = "circular"})(Tensor::zeros({1, 1, 3, 5})); },
                      {"circular", "wrapping around more than once"}));
  // Accepted: reflect pad < size, circular pad == size, replicate and zeros of any size.
  EXPECT_EQ(Conv2d(1, 1, 3, {.padding = 2, .padding_mode = "reflect"}).output_shape({1, 3, 3}), (Shape{1, 5, 5}));
  EXPECT_EQ(Conv2d(1, 1, 3, {.padding = 3, .padding_mode = "circular"}).output_shape({1, 3, 3}), (Shape{1, 7, 7}));
  EXPECT_EQ(Conv2d(1, 1, 3, {.padding = 4, .padding_mode = "replicate"}).output_shape({1, 3, 3}), (Shape{1, 9, 9}));
  EXPECT_EQ(Conv2d(1, 1, 3, {.padding = 5}).output_shape({1, 1, 1}), (Shape{1, 9, 9}));
}

TEST(Conv2d, PrintsLikePyTorch) {
  const auto repr = [](const Conv2d& conv) {
    std::ostringstream os;
    os << conv;
    return os.str();
  };
  EXPECT_EQ(repr(Conv2d(3, 32, 3)), "Conv2d(3, 32, kernel_size=(3, 3), stride=(1, 1))");
  EXPECT_EQ(repr(Conv2d(3, 32, 3, {.stride = 2, .padding = 1, .bias = false})),
            "Conv2d(3, 32, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1), bias=False)");
  EXPECT_EQ(repr(Conv2d(4, 8, {1, 3}, {.padding = "same", .dilation = 2, .groups = 4, .padding_mode = "reflect"})),
            "Conv2d(4, 8, kernel_size=(1, 3), stride=(1, 1), padding=same, dilation=(2, 2), groups=4, "
            "padding_mode=reflect)");
}

}  // namespace
}  // namespace strider
