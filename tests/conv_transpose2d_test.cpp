#include <gtest/gtest.h>

#include <random>
#include <sstream>

#include "ops/conv2d.hpp"
#include "ops/conv_transpose2d.hpp"
#include "test_util.hpp"

namespace strider {
namespace {

using testing::near;
using testing::random_tensor;
using testing::rejects;

// The scatter form (x' = Cᵀ y, PYTORCH_SEMANTICS.md §2): every input pixel adds its kernel-weighted
// copy to a full canvas, which padding then crops; output_padding extends the crop at the end.
Tensor scatter_conv_transpose2d(const Tensor& x, const Tensor& w, const Tensor& b, const ConvTranspose2dParams& p) {
  const int64_t batch = x.size(0), cin = x.size(1), height = x.size(2), width = x.size(3);
  const int64_t group_in = cin / p.groups, group_out = w.size(1);
  const int64_t out_h = conv_transpose_output_size(height, p.kernel.h, p.stride.h, p.padding.h, p.dilation.h,
                                                   p.output_padding.h);
  const int64_t out_w = conv_transpose_output_size(width, p.kernel.w, p.stride.w, p.padding.w, p.dilation.w,
                                                   p.output_padding.w);
  std::vector<double> y(static_cast<std::size_t>(batch * group_out * p.groups * out_h * out_w), 0.0);
  for (int64_t n = 0; n < batch; ++n)
    for (int64_t c = 0; c < cin; ++c)
      for (int64_t h = 0; h < height; ++h)
        for (int64_t v = 0; v < width; ++v)
          for (int64_t o = 0; o < group_out; ++o)
            for (int64_t kh = 0; kh < p.kernel.h; ++kh)
              for (int64_t kw = 0; kw < p.kernel.w; ++kw) {
                const int64_t oh = h * p.stride.h + kh * p.dilation.h - p.padding.h;
                const int64_t ow = v * p.stride.w + kw * p.dilation.w - p.padding.w;
                if (oh < 0 || oh >= out_h || ow < 0 || ow >= out_w) continue;  // cropped
                const int64_t channel = c / group_in * group_out + o;
                y[static_cast<std::size_t>(((n * group_out * p.groups + channel) * out_h + oh) * out_w + ow)] +=
                    double(x.at(n, c, h, v)) * w.at(c, o, kh, kw);
              }
  Tensor out({batch, group_out * p.groups, out_h, out_w});
  for (int64_t i = 0; i < out.numel(); ++i)
    out[i] = static_cast<float>(y[static_cast<std::size_t>(i)] + (b.defined() ? b[i / (out_h * out_w) % out.size(1)] : 0));
  return out;
}

struct RandomConfig {
  int64_t groups, in_per_group, out_per_group;
  Hw kernel, stride, padding, dilation, input;
};

RandomConfig draw(std::mt19937& rng) {
  const auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(rng); };
  RandomConfig c;
  c.groups = pick(1, 3);
  c.in_per_group = pick(1, 3);
  c.out_per_group = pick(1, 3);
  c.kernel = {pick(1, 4), pick(1, 4)};
  c.stride = {pick(1, 4), pick(1, 4)};
  c.dilation = {pick(1, 3), pick(1, 3)};
  c.padding = {pick(0, 3), pick(0, 3)};
  c.input = {pick(1, 7), pick(1, 7)};
  return c;
}

TEST(ConvTranspose2d, ReferenceEqualsTheScatterForm) {
  std::mt19937 rng(11);
  int tested = 0;
  for (int trial = 0; trial < 300; ++trial) {
    const RandomConfig c = draw(rng);
    const Hw output_padding = {std::uniform_int_distribution<int64_t>(0, std::max(c.stride.h, c.dilation.h) - 1)(rng),
                               std::uniform_int_distribution<int64_t>(0, std::max(c.stride.w, c.dilation.w) - 1)(rng)};
    const ConvTranspose2dParams p{c.kernel, c.stride, c.padding, output_padding, c.dilation, c.groups};
    if (conv_transpose_output_size(c.input.h, c.kernel.h, c.stride.h, c.padding.h, c.dilation.h, output_padding.h) < 1 ||
        conv_transpose_output_size(c.input.w, c.kernel.w, c.stride.w, c.padding.w, c.dilation.w, output_padding.w) < 1)
      continue;
    SCOPED_TRACE(::testing::Message() << "trial " << trial << " groups=" << c.groups << " kernel=" << c.kernel
                                      << " stride=" << c.stride << " padding=" << c.padding << " dilation="
                                      << c.dilation << " output_padding=" << output_padding << " input=" << c.input);
    const Tensor x = random_tensor({2, c.groups * c.in_per_group, c.input.h, c.input.w}, trial);
    const Tensor w = random_tensor({c.groups * c.in_per_group, c.out_per_group, c.kernel.h, c.kernel.w}, trial + 1000);
    const Tensor b = random_tensor({c.groups * c.out_per_group}, trial + 2000);
    EXPECT_TRUE(near(ref::conv_transpose2d(x, w, b, p), scatter_conv_transpose2d(x, w, b, p), 1e-5));
    ++tested;
  }
  EXPECT_GT(tested, 200);
}

// <conv(x), y> = <x, conv_transpose(y)>: with the same weight, the transposed convolution is the adjoint
// of the convolution (ARITHMETIC.md, the matrix view), for every stride, padding, dilation and group.
TEST(ConvTranspose2d, IsTheAdjointOfConv2d) {
  std::mt19937 rng(5);
  int tested = 0;
  for (int trial = 0; trial < 300; ++trial) {
    RandomConfig c = draw(rng);
    c.input = {c.input.h + 6, c.input.w + 6};
    const int64_t in = c.groups * c.in_per_group, out = c.groups * c.out_per_group;
    Conv2d conv(in, out, c.kernel,
                {.stride = c.stride, .padding = Conv2dPadding(c.padding.h, c.padding.w), .dilation = c.dilation,
                 .groups = c.groups, .bias = false});
    const Shape x_shape{2, in, c.input.h, c.input.w};
    Shape y_shape;
    try {
      y_shape = conv.output_shape(x_shape);
    } catch (const std::invalid_argument&) {
      continue;  // input too small for this kernel
    }
    ConvTranspose2d transpose(out, in, c.kernel,
                              {.stride = c.stride, .padding = c.padding, .groups = c.groups, .bias = false,
                               .dilation = c.dilation});
    conv.reset_parameters(trial);
    transpose.set_weight(conv.weight().clone());  // [out, in/G, kh, kw] is the same tensor for both
    SCOPED_TRACE(::testing::Message() << "trial " << trial << " groups=" << c.groups << " kernel=" << c.kernel
                                      << " stride=" << c.stride << " padding=" << c.padding << " dilation="
                                      << c.dilation << " input=" << c.input);
    const Tensor x = random_tensor(x_shape, trial), y = random_tensor(y_shape, trial + 500);
    const Tensor cx = conv(x);
    const Tensor ty = transpose.forward(y, {c.input.h, c.input.w});  // output_size restores x's shape
    double lhs = 0, rhs = 0, scale = 0;
    for (int64_t i = 0; i < y.numel(); ++i) lhs += double(cx[i]) * y[i], scale += std::abs(double(cx[i]) * y[i]);
    for (int64_t i = 0; i < x.numel(); ++i) rhs += double(x[i]) * ty[i];
    EXPECT_NEAR(lhs, rhs, 1e-5 * scale + 1e-6);
    ++tested;
  }
  EXPECT_GT(tested, 200);
}

TEST(ConvTranspose2d, OutputSizesFollowTheGuidesFigures) {
  // Fig 4.5: 2x2 -> 5x5 (k=3, s=2); Fig 4.7: output_padding 1 gives 6x6 from 3x3.
  EXPECT_EQ(ConvTranspose2d(1, 1, 3, {.stride = 2}).output_shape({1, 1, 2, 2}), (Shape{1, 1, 5, 5}));
  EXPECT_EQ(ConvTranspose2d(1, 1, 3, {.stride = 2, .padding = 1, .output_padding = 1}).output_shape({1, 3, 3}),
            (Shape{1, 6, 6}));
  // Padding larger than k/2 is fine while the output is non-empty: k=3, p=2 on 3x3 gives 1x1.
  EXPECT_EQ(ConvTranspose2d(1, 1, 3, {.padding = 2}).output_shape({1, 3, 3}), (Shape{1, 1, 1}));
  // output_padding may reach the dilation when the stride is 1.
  EXPECT_EQ(ConvTranspose2d(1, 1, 3, {.output_padding = 2, .dilation = 3}).output_shape({1, 4, 4}),
            (Shape{1, 12, 12}));
}

TEST(ConvTranspose2d, OutputPaddingRowsCarryRealContributions) {
  // With p = 1 the extra row/column is the rest of the full canvas, not zeros.
  ConvTranspose2d up(1, 1, 3, {.stride = 2, .padding = 1, .output_padding = 1, .bias = false});
  up.set_weight(Tensor::full({1, 1, 3, 3}, 1.0f));
  const Tensor y = up(Tensor::full({1, 1, 2, 2}, 1.0f));
  EXPECT_EQ(y.shape(), (Shape{1, 1, 4, 4}));
  EXPECT_EQ(y.at(0, 0, 3, 3), 1.0f);
}

TEST(ConvTranspose2d, OutputSizeSelectsTheOutputPadding) {
  ConvTranspose2d up(2, 3, 3, {.stride = 2, .padding = 1});
  const Tensor x = random_tensor({1, 2, 4, 4}, 1);
  ConvTranspose2d explicit_padding(2, 3, 3, {.stride = 2, .padding = 1, .output_padding = {1, 0}});
  const Tensor a = up.forward(x, {8, 7}), b = explicit_padding(x);
  EXPECT_TRUE(near(a, b, 0));
  EXPECT_TRUE(near(up.forward(x, {5, 9, 8, 7}), b, 0));  // N and C are ignored, as in PyTorch
  EXPECT_TRUE(near(up.forward(x.view({2, 4, 4}), {3, 8, 7}), b.view({3, 8, 7}), 0));
}

TEST(ConvTranspose2d, RejectsEveryInvalidArgumentWithItsValue) {
  EXPECT_TRUE(rejects([] { ConvTranspose2d(4, 4, 3, {.groups = -1}); }, {"ConvTranspose2d", "groups=-1"}));
  EXPECT_TRUE(rejects([] { ConvTranspose2d(6, 4, 3, {.groups = 4}); }, {"in_channels must be divisible by groups"}));
  EXPECT_TRUE(rejects([] { ConvTranspose2d(4, 6, 3, {.groups = 4}); }, {"out_channels must be divisible by groups"}));
  EXPECT_TRUE(rejects([] { ConvTranspose2d(4, 4, 3, {.padding_mode = "reflect"}); },
                      {"Only \"zeros\" padding mode", "padding_mode='reflect'"}));
  EXPECT_TRUE(rejects([] { ConvTranspose2d(4, 4, {0, 3}); }, {"kernel size", "kernel_size=(0, 3)"}));
  EXPECT_TRUE(rejects([] { ConvTranspose2d(4, 4, 3, {.stride = -2}); }, {"non-positive stride", "stride=(-2, -2)"}));
  EXPECT_TRUE(rejects([] { ConvTranspose2d(4, 4, 3, {.padding = -1}); }, {"negative padding", "padding=(-1, -1)"}));
  EXPECT_TRUE(rejects([] { ConvTranspose2d(4, 4, 3, {.dilation = 0}); }, {"dilation", "dilation=(0, 0)"}));
  EXPECT_TRUE(rejects([] { ConvTranspose2d(4, 4, 3, {.output_padding = -1}); },
                      {"negative output_padding", "output_padding=(-1, -1)"}));
  EXPECT_TRUE(rejects([] { ConvTranspose2d(4, 4, 3, {.stride = {2, 1}, .output_padding = 1}); },
                      {"smaller than either stride or dilation", "output_padding=(1, 1)", "stride=(2, 1)"}));
  const ConvTranspose2d up(3, 2, 3, {.stride = 2, .padding = 1});
  EXPECT_TRUE(rejects([&] { up(Tensor::zeros({1, 4, 5, 5})); }, {"input[1, 4, 5, 5]", "3 channels", "got 4"}));
  EXPECT_TRUE(rejects([&] { up(Tensor::zeros({3, 25})); }, {"conv_transpose2d", "[3, 25]"}));
  EXPECT_TRUE(rejects([] { ConvTranspose2d(1, 1, 3, {.padding = 2})(Tensor::zeros({1, 1, 2, 2})); },
                      {"(2 x 2)", "(0 x 0)", "Output size is too small"}));
  const Tensor x = Tensor::zeros({1, 3, 4, 4});
  EXPECT_TRUE(rejects([&] { up.forward(x, {7, 7, 7}); }, {"4D input", "output_size must have 2 or 4 elements (got 3)"}));
  EXPECT_TRUE(rejects([&] { up.forward(x, {8, 9}); }, {"[8, 9]", "valid sizes range from [7, 7] to [8, 8]"}));
  EXPECT_TRUE(rejects([&] { up.forward(x, {6, 7}); }, {"[6, 7]", "output_size"}));
  EXPECT_TRUE(rejects([] { ConvTranspose2d(1, 1, 3, {.dilation = 3}).forward(Tensor::zeros({1, 4, 4}), {12, 12}); },
                      {"from [10, 10] to [10, 10]"}));
}

TEST(ConvTranspose2d, PrintsLikePyTorch) {
  std::ostringstream os;
  os << ConvTranspose2d(64, 32, 4, {.stride = 2, .padding = 1, .output_padding = 1, .bias = false});
  EXPECT_EQ(os.str(),
            "ConvTranspose2d(64, 32, kernel_size=(4, 4), stride=(2, 2), padding=(1, 1), output_padding=(1, 1), "
            "bias=False)");
}

struct PhaseConfig {
  Hw kernel, stride, padding;
};

// conv.forward(x) with a PReLU and a per-channel affine (in that order when `inlined`, else the other)
// and, when `with_residual`, a residual add fused into its store, against the reference with the same
// steps applied. The kernels apply a PReLU, an affine and a residual in that order as they store and walk
// any other chain over the stored rows.
void expect_epilogue_matches_reference(const ConvTranspose2d& conv, const Tensor& x, int trial, bool with_residual,
                                       bool inlined = false) {
  const int64_t out = conv.out_channels(), groups = conv.options().groups;
  Tensor expected = ref::conv_transpose2d(x, conv.weight(), conv.bias(), conv.params());
  const Tensor residual = random_tensor(expected.shape(), trial + 100);
  Activation prelu = prelu_activation(Tensor::full({1}, 0.0f));
  prelu.weight.clear();
  for (int64_t o = 0; o < out; ++o) prelu.weight.push_back(0.05f * static_cast<float>(o + 1));
  std::vector<float> scale, shift;
  for (int64_t o = 0; o < out; ++o) scale.push_back(0.5f + 0.1f * static_cast<float>(o)), shift.push_back(-0.2f);
  Epilogue epilogue;
  if (!inlined) epilogue.then_affine(scale, shift);
  epilogue.then(prelu);
  if (inlined) epilogue.then_affine(scale, shift);
  if (with_residual) epilogue.then_residual(&residual);
  SCOPED_TRACE(::testing::Message() << "trial " << trial << ": " << conv << " on " << x.shape() << ", "
                                    << epilogue.str());
  const int64_t plane = expected.size(2) * expected.size(3);
  const Tensor bound = ref::conv_transpose2d(testing::abs(x), testing::abs(conv.weight()),
                                             conv.bias().defined() ? testing::abs(conv.bias()) : Tensor(),
                                             conv.params());
  const Hw k = conv.kernel_size();
  Tensor tolerance = testing::summation_tolerance(bound, expected, x.size(1) / groups * k.h * k.w + 1);
  for (int64_t i = 0; i < expected.numel(); ++i) {
    expected[i] = apply(epilogue, expected[i], i / plane % out, residual[i]);
    tolerance[i] += 1e-6f * (1.0f + std::abs(expected[i]));  // the affine's and the residual's roundings
  }
  ASSERT_TRUE(near(conv.forward(x, epilogue), expected, tolerance));
}

// Few output channels per group (an image out, as FSRCNN's 9x9 stride-2 ConvTranspose to one channel):
// every phase runs as one merged convolution (ops/conv_transpose2d.hpp, MergedPhases), its per-channel
// epilogue spread over the phases. These configurations all qualify (stride > 1, dilation 1, at most 3
// output channels per group, the union window at most 1.5x the real taps); with a residual, the phases'
// own path runs: both against the reference, over output sizes the stride does not divide.
class MergedPhases : public testing::EveryLevel {};

TEST_P(MergedPhases, MatchReferenceWithEpilogues) {
  std::mt19937_64 engine(11);
  const auto rng = [&](int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(engine); };
  const PhaseConfig configs[] = {{9, 2, 4}, {5, 2, 2}, {{9, 5}, {2, 1}, {4, 2}}, {2, 2, 0}, {{1, 3}, {1, 2}, 0}};
  for (int trial = 0; trial < 60; ++trial) {
    const PhaseConfig& c = configs[trial % std::size(configs)];
    const int64_t groups = rng(1, 2), out = groups * rng(1, std::min<int64_t>(3, 8 / (c.stride.h * c.stride.w)));
    const Hw op{rng(0, c.stride.h - 1), rng(0, c.stride.w - 1)};
    ConvTranspose2d conv(groups * rng(1, 5), out, c.kernel,
                         {.stride = c.stride, .padding = c.padding, .output_padding = op, .groups = groups,
                          .bias = rng(0, 1) == 1});
    conv.reset_parameters(static_cast<uint64_t>(trial));
    const Tensor x = random_tensor({rng(1, 2), conv.in_channels(), rng(3, 9), rng(3, 40)}, trial);
    expect_epilogue_matches_reference(conv, x, trial, trial % 3 == 2);
    if (HasFatalFailure()) return;
  }
}

// More output channels: the phases run as stride-1 passes, which share each task's copy of the input rows
// when they read the same rows into outputs of one size (kernels::run_conv_passes: t3's four phases, the
// column phases of t1's, t2's and t4's row phases) and run one after another otherwise (output padding,
// windows too far apart), with enough input channels at times that the passes take K in chunks. A stride-2
// row phase's two column phases store their tiles together, interleaved (interleaves in
// ops/conv_kernel_simd.cpp), with inlined and walked epilogues alike.
class SharedPanelPhases : public testing::EveryLevel {};

TEST_P(SharedPanelPhases, MatchReferenceWithEpilogues) {
  std::mt19937_64 engine(12);
  const auto rng = [&](int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(engine); };
  const PhaseConfig configs[] = {{2, 2, 0}, {4, 2, 1}, {{2, 3}, {2, 3}, 0}, {3, 2, 1}, {{2, 3}, {2, 3}, {0, 1}}};
  for (int trial = 0; trial < 32; ++trial) {
    const PhaseConfig& c = configs[trial % std::size(configs)];
    const int64_t groups = rng(1, 2);
    const Hw op{trial % 8 < 4 ? 0 : rng(0, c.stride.h - 1), trial % 8 < 4 ? 0 : rng(0, c.stride.w - 1)};
    ConvTranspose2d conv(groups * (trial % 5 == 0 ? 52 : rng(1, 12)), groups * rng(4, 20), c.kernel,
                         {.stride = c.stride, .padding = c.padding, .output_padding = op, .groups = groups,
                          .bias = rng(0, 1) == 1});
    conv.reset_parameters(static_cast<uint64_t>(trial));
    const Tensor x = random_tensor({rng(1, 2), conv.in_channels(), rng(1, 9), rng(1, 40)}, trial);
    expect_epilogue_matches_reference(conv, x, trial, trial % 2 == 1, trial % 4 >= 2);
    if (HasFatalFailure()) return;
  }
}

INSTANTIATE_TEST_SUITE_P(Simd, SharedPanelPhases, testing::every_simd_level, testing::level_name);
INSTANTIATE_TEST_SUITE_P(Simd, MergedPhases, testing::every_simd_level, testing::level_name);

}  // namespace
}  // namespace strider
