// The fast kernels against the reference operators, at every SIMD level this CPU has: random
// configurations over every argument, with output widths on the SIMD and tile edges.
#include <gtest/gtest.h>

#include <cstdlib>
#include <set>
#include <thread>

#include "core/parallel.hpp"
#include "core/simd.hpp"
#include "ops/activation.hpp"
#include "ops/conv2d.hpp"
#include "ops/conv_transpose2d.hpp"
#include "ops/pool2d.hpp"
#include "test_util.hpp"

namespace strider {
namespace {

using testing::abs;
using testing::as_conv2d_weight;
using testing::edge_widths;
using testing::EveryLevel;
using testing::every_simd_level;
using testing::level_name;
using testing::near;
using testing::random_tensor;
using testing::Rng;
using testing::summation_tolerance;
using testing::row_winograd_tolerance;
using testing::winograd_tolerance;


// An input size whose convolution output is `out` (any of the s sizes that floor to it), at least 1.
int64_t input_for_output(Rng& rng, int64_t out, int64_t k, int64_t s, int64_t p_total, int64_t d) {
  return std::max<int64_t>(1, (out - 1) * s + dilated_kernel_size(k, d) - p_total + rng(0, s - 1));
}

// Runs conv, its parameters drawn from `trial`, on a random input of x_shape with a random epilogue, and
// checks it against the reference. False when the layer rejects the shape (e.g. reflect padding wider
// than the input): nothing was tested.
bool matches_reference(Conv2d& conv, const Shape& x_shape, int trial, Rng& rng) {
  try {
    conv.output_shape(x_shape);
  } catch (const std::invalid_argument&) {
    return false;
  }
  conv.reset_parameters(trial);
  SCOPED_TRACE(::testing::Message() << "trial " << trial << ": " << conv << " on " << x_shape);
  const Tensor x = random_tensor(x_shape, trial);
  const Epilogue epilogue = rng.pick({Epilogue{}, Epilogue::relu(), Epilogue::leaky_relu(0.2f)});
  Tensor expected = ref::conv2d(x, conv.weight(), conv.bias(), conv.params());
  for (float& v : expected.values()) v = apply(epilogue, v);
  const Tensor actual = conv.forward(x, epilogue);
  if (conv.algorithm_for(x_shape) == ConvAlgorithm::winograd) {
    const auto tolerance = conv.options().stride.h == 2 ? row_winograd_tolerance : winograd_tolerance;
    EXPECT_TRUE(near(actual, expected, tolerance(x, conv.weight(), conv.bias(), conv.options().groups, expected)));
    return true;
  }
  const Tensor bound = ref::conv2d(abs(x), abs(conv.weight()), conv.bias().defined() ? abs(conv.bias()) : Tensor(),
                                   conv.params());
  const Shape& w = conv.weight().shape();
  const int64_t terms = w[1] * w[2] * w[3] + 1;  // per output: in_channels / groups · kernel taps, and the bias
  EXPECT_TRUE(near(actual, expected, summation_tolerance(bound, expected, terms)));
  return true;
}

TEST_P(EveryLevel, Conv2dMatchesReference) {
  Rng rng(1);
  int tested = 0;
  for (int trial = 0; trial < 700; ++trial) {
    const int64_t groups = rng.pick<int64_t>({1, 1, 1, 2, 3}), depthwise = rng(0, 5) == 0;
    const int64_t in = depthwise ? groups * rng(1, 3) : groups * rng(1, 4);
    const int64_t out = depthwise ? in * rng(1, 2) : groups * rng(1, 10);
    const Hw k{rng(1, 5), rng(1, 5)}, d{rng.pick<int64_t>({1, 1, 2, 3}), rng.pick<int64_t>({1, 1, 2, 4})};
    const char* mode = rng.pick({"zeros", "zeros", "reflect", "replicate", "circular"});
    const bool same = std::string(mode) == "zeros" && rng(0, 5) == 0;
    const Hw s = same ? Hw(1) : Hw(rng(1, 3), rng(1, 4));
    const Hw p{rng(0, 3), rng(0, 3)};
    const int64_t out_w = edge_widths[trial % std::size(edge_widths)], out_h = rng(1, 5);
    const Pad ph = same ? same_padding(k.h, d.h) : Pad(p.h), pw = same ? same_padding(k.w, d.w) : Pad(p.w);
    const Shape x_shape{rng(1, 2), depthwise ? groups : in, input_for_output(rng, out_h, k.h, s.h, ph.begin + ph.end, d.h),
                        input_for_output(rng, out_w, k.w, s.w, pw.begin + pw.end, d.w)};
    const int64_t channels = x_shape[1];
    Conv2d conv(channels, depthwise ? channels * (out / in) : out, k,
                {.stride = s, .padding = same ? Conv2dPadding("same") : Conv2dPadding(p.h, p.w), .dilation = d,
                 .groups = depthwise ? channels : groups, .bias = rng.coin(), .padding_mode = mode});
    if (!matches_reference(conv, x_shape, trial, rng)) continue;
    if (HasFailure()) return;
    ++tested;
  }
  EXPECT_GE(tested, 600);
}

// Long reductions, which the direct kernel runs in chunks of K = in_channels / groups · kernel taps, its
// sums kept between chunks: K on and around the chunk edges (128, 256, 384), up to 700, with every block
// width, strides, dilations, groups, odd widths and epilogues, on the direct path.
TEST_P(EveryLevel, LongReductionsMatchReference) {
  Rng rng(7);
  int tested = 0;
  for (int trial = 0; trial < 120; ++trial) {
    const int64_t kh = rng.pick<int64_t>({1, 1, 2, 3, 3});
    const Hw k{kh, kh + rng(0, 1)};
    const int64_t taps = k.h * k.w, groups = rng.pick<int64_t>({1, 1, 2});
    const int64_t target_k = rng.pick<int64_t>({127, 128, 129, 255, 256, 257, 384, 385, 700}) + rng(-2, 2);
    const int64_t in = groups * std::max<int64_t>(1, target_k / taps), out = groups * rng(1, 13);
    const Hw s{rng(1, 2), rng(1, 2)}, d{rng.pick<int64_t>({1, 1, 2}), rng.pick<int64_t>({1, 1, 2})};
    const int64_t out_w = edge_widths[trial % std::size(edge_widths)], out_h = rng(1, 3);
    const Shape x_shape{rng(1, 2), in, input_for_output(rng, out_h, k.h, s.h, 2, d.h),
                        input_for_output(rng, out_w, k.w, s.w, 2, d.w)};
    Conv2d conv(in, out, k, {.stride = s, .padding = 1, .dilation = d, .groups = groups, .bias = rng.coin()});
    conv.set_algorithm(ConvAlgorithm::direct);
    if (!matches_reference(conv, x_shape, trial, rng)) continue;
    if (HasFailure()) return;
    ++tested;
  }
  EXPECT_GE(tested, 100);
}

// Sparse windows (ops/window_gather.hpp): strides and dilations far beyond the kernel, single outputs
// under huge strides, pooling kernels far larger than the input. The passes then gather taps, drop
// stride phases and clip kernels, which must not change a bit of the result's definition.
TEST_P(EveryLevel, SparseWindowsMatchReference) {
  Rng rng(4);
  int tested = 0;
  for (int trial = 0; trial < 80; ++trial) {
    const Hw k{rng(1, 3), rng(1, 3)}, p{rng(0, 2), rng(0, 2)};
    const Hw s{rng.pick<int64_t>({1, 2, 30, 90, int64_t{1} << 40}), rng.pick<int64_t>({1, 3, 70, 200, int64_t{1} << 40})};
    const Hw d{rng.pick<int64_t>({1, 1, 20, 40}), rng.pick<int64_t>({1, 45, 100})};
    const int64_t out_h = s.h > 1000 ? 1 : rng(1, 3), out_w = s.w > 1000 ? 1 : rng(1, 4);
    const auto in_size = [&](int64_t out, int64_t kk, int64_t ss, int64_t pp, int64_t dd) {
      return input_for_output(rng, out, kk, std::min<int64_t>(ss, 200), 2 * pp, dd);
    };
    const Shape x_shape{rng(1, 2), 2, in_size(out_h, k.h, s.h, p.h, d.h), in_size(out_w, k.w, s.w, p.w, d.w)};
    Conv2d conv(2, rng(1, 5), k,
                {.stride = s, .padding = Conv2dPadding(p.h, p.w), .dilation = d,
                 .padding_mode = rng.pick({"zeros", "zeros", "reflect", "replicate", "circular"})});
    if (!matches_reference(conv, x_shape, trial, rng)) continue;
    if (HasFailure()) return;
    // A pooling window with the same geometry and a kernel up to 2^40 (padding half of it): max is exact.
    const Hw pool_k{rng.pick<int64_t>({k.h, k.h, int64_t{1} << 40}), rng.pick<int64_t>({k.w, int64_t{1} << 40})};
    const Hw pool_d{pool_k.h > 3 ? 1 : d.h, pool_k.w > 3 ? 1 : d.w};
    const Hw pool_p{pool_k.h > 3 ? pool_k.h / 2 : std::min(p.h, k.h / 2), pool_k.w > 3 ? pool_k.w / 2 : std::min(p.w, k.w / 2)};
    const Tensor x = random_tensor(x_shape, trial);
    try {
      const MaxPool2d pool(pool_k, {.stride = s, .padding = pool_p, .dilation = pool_d});
      pool.output_shape(x_shape);
      if (pool_k.h <= 3 && pool_k.w <= 3) ASSERT_TRUE(near(pool(x), ref::max_pool2d(x, pool.params()), 0.0));
      else ASSERT_EQ(pool(x).shape(), pool.output_shape(x_shape));  // the reference would loop over 2^40 taps
    } catch (const std::invalid_argument&) {
    }
    ++tested;
  }
  EXPECT_GE(tested, 60);
  // A transposed convolution whose stride leaves most phases without a tap: they hold the bias.
  for (int trial = 0; trial < 20; ++trial) {
    ConvTranspose2d up(2, 3, {rng(1, 3), rng(1, 3)},
                       {.stride = {rng.pick<int64_t>({5, 40}), rng.pick<int64_t>({3, 60})}, .padding = rng(0, 1),
                        .dilation = rng(1, 2)});
    up.reset_parameters(trial);
    const Tensor x = random_tensor({1, 2, rng(1, 3), rng(1, 3)}, trial);
    try {
      up.output_shape(x.shape());
    } catch (const std::invalid_argument&) {
      continue;  // output size <= 0
    }
    SCOPED_TRACE(::testing::Message() << "trial " << trial << ": " << up << " on " << x.shape());
    const Epilogue epilogue = rng.pick({Epilogue{}, Epilogue::relu()});
    Tensor expected = ref::conv_transpose2d(x, up.weight(), up.bias(), up.params());
    for (float& v : expected.values()) v = apply(epilogue, v);
    const Tensor bound = ref::conv_transpose2d(abs(x), abs(up.weight()), abs(up.bias()), up.params());
    ASSERT_TRUE(near(up.forward(x, epilogue), expected, summation_tolerance(bound, expected, 2 * 9 + 1)));
  }
}

// Depthwise 3x3 (ops/depthwise_kernel.hpp at stride 1 and dilation 1, else the generic kernel): heights
// across the 24-row tasks and the 6-row tiles' remainders, every padding mode, paddings wider than a
// vector (several edge tiles), horizontal strides and dilations.
TEST_P(EveryLevel, Depthwise3x3MatchesReference) {
  Rng rng(2);
  int tested = 0;
  for (int trial = 0; trial < 300; ++trial) {
    const int64_t channels = rng(1, 5);
    const Hw s{1, rng.pick<int64_t>({1, 1, 2, 3})}, d{1, rng.pick<int64_t>({1, 1, 2, 3})};
    const Hw p{rng.pick<int64_t>({0, 1, 1, 2, 5}), rng.pick<int64_t>({0, 1, 1, 2, 9, 17})};
    const char* mode = rng.pick({"zeros", "zeros", "reflect", "replicate", "circular"});
    const int64_t out_w = edge_widths[trial % std::size(edge_widths)], out_h = rng(1, 60);
    const Shape x_shape{rng(1, 2), channels, input_for_output(rng, out_h, 3, 1, 2 * p.h, 1),
                        input_for_output(rng, out_w, 3, s.w, 2 * p.w, d.w)};
    Conv2d conv(channels, channels, 3,
                {.stride = s, .padding = Conv2dPadding(p.h, p.w), .dilation = d, .groups = channels,
                 .bias = rng.coin(), .padding_mode = mode});
    if (!matches_reference(conv, x_shape, trial, rng)) continue;
    if (HasFailure()) return;
    ++tested;
  }
  EXPECT_GE(tested, 250);
}

// Pointwise (1x1, stride 1, unpadded) layers, which run as one row of h·w columns: planes on the vector
// and tile edges (the last tile of a plane whose size is not a multiple of the width), several tiles,
// groups, batches, with an epilogue or none.
TEST_P(EveryLevel, PointwiseMatchesReference) {
  Rng rng(6);
  constexpr int64_t planes[] = {1, 15, 16, 17, 48, 196, 208, 384, 400, 784};  // h·w, drawn as factors
  for (int trial = 0; trial < 120; ++trial) {
    const int64_t plane = planes[trial % std::size(planes)], groups = rng.pick<int64_t>({1, 1, 2, 3});
    const int64_t h = rng.pick<int64_t>({1, plane % 4 == 0 ? 4 : 1, plane % 16 == 0 ? 16 : 1});
    const Shape x_shape{rng(1, 2), groups * rng(1, 12), h, plane / h};
    Conv2d conv(x_shape[1], groups * rng(1, 12), 1, {.groups = groups, .bias = rng.coin()});
    ASSERT_TRUE(matches_reference(conv, x_shape, trial, rng));
    if (HasFailure()) return;
  }
}

// Winograd (forced) on 3x3 stride-1 layers: sub-lattices of every dilation, groups, every padding mode,
// output channels across the 64-channel blocks, tile rows and columns across the tasks' edges.
TEST_P(EveryLevel, WinogradMatchesReference) {
  Rng rng(4);
  int tested = 0;
  for (int trial = 0; trial < 100; ++trial) {
    const int64_t groups = rng.pick<int64_t>({1, 1, 2, 3});
    const int64_t in = groups * rng(1, 3), out = groups * rng.pick<int64_t>({1, 5, 10, 13, 16, 17, 30, 33, 70});
    const Hw d{rng.pick<int64_t>({1, 1, 2, 3}), rng.pick<int64_t>({1, 1, 2, 4})}, p{rng(0, 4), rng(0, 4)};
    const char* mode = rng.pick({"zeros", "zeros", "reflect", "replicate", "circular"});
    // Widths up to 3 tasks of 32 tiles (x dilation), heights across several tasks' tile rows when narrow;
    // small images for many channels (the reference is slow).
    const int64_t out_w = trial % 2 || out > 17 ? edge_widths[trial / 2 % 16] : rng(1, 400);
    const int64_t out_h = out_w > 48 ? rng(1, 5) : rng(1, out > 17 ? 12 : 30);
    const Shape x_shape{rng(1, 2), in, input_for_output(rng, out_h, 3, 1, 2 * p.h, d.h),
                        input_for_output(rng, out_w, 3, 1, 2 * p.w, d.w)};
    Conv2d conv(in, out, 3,
                {.padding = Conv2dPadding(p.h, p.w), .dilation = d, .groups = groups, .bias = rng.coin(),
                 .padding_mode = mode});
    conv.set_algorithm(ConvAlgorithm::winograd);
    if (!matches_reference(conv, x_shape, trial, rng)) continue;
    if (HasFailure()) return;
    ++tested;
  }
  EXPECT_GE(tested, 70);
}

// The row Winograd (forced) on stride-2 layers of 3, 5 and 7 rows: heights across its 4-row tiles, columns
// at stride 1 and 2 with 1 to 7 taps, every padding mode, groups, output channels across the blocks, long
// reductions (chunked K), batches.
TEST_P(EveryLevel, RowWinogradMatchesReference) {
  Rng rng(5);
  int tested = 0;
  for (int trial = 0; trial < 150; ++trial) {
    const int64_t groups = rng.pick<int64_t>({1, 1, 2, 3});
    const int64_t in = groups * rng.pick<int64_t>({1, 2, 5, 16, 50});
    const int64_t out = groups * rng.pick<int64_t>({1, 5, 8, 13, 17});
    const Hw k{rng.pick<int64_t>({3, 5, 7}), rng(1, 7)}, s{2, rng(1, 2)}, p{rng(0, 4), rng(0, 3)};
    const char* mode = rng.pick({"zeros", "zeros", "reflect", "replicate", "circular"});
    const int64_t out_w = edge_widths[trial % std::size(edge_widths)], out_h = rng(1, in > 20 ? 6 : 13);
    const Shape x_shape{rng(1, 2), in, input_for_output(rng, out_h, k.h, s.h, 2 * p.h, 1),
                        input_for_output(rng, out_w, k.w, s.w, 2 * p.w, 1)};
    Conv2d conv(in, out, k,
                {.stride = s, .padding = Conv2dPadding(p.h, p.w), .groups = groups, .bias = rng.coin(),
                 .padding_mode = mode});
    conv.set_algorithm(ConvAlgorithm::winograd);
    if (!matches_reference(conv, x_shape, trial, rng)) continue;
    EXPECT_EQ(conv.algorithm_for(x_shape), ConvAlgorithm::winograd);
    if (HasFailure()) return;
    ++tested;
  }
  EXPECT_GE(tested, 110);
}

TEST_P(EveryLevel, ConvTranspose2dMatchesReference) {
  Rng rng(2);
  int tested = 0, winograd_trials = 0;
  for (int trial = 0; trial < 700; ++trial) {
    const int64_t groups = rng.pick<int64_t>({1, 1, 2, 3});
    const int64_t in = groups * rng(1, 4), out = groups * rng(1, 9);
    Hw k{rng(1, 5), rng(1, 5)}, s{rng(1, 4), rng(1, 4)};
    const Hw d{rng.pick<int64_t>({1, 1, 2, 3}), rng(1, 2)};
    if (trial % 4 == 1) k = 3, s = 1;  // a 3x3 stride-1 phase, for Winograd (forced on odd trials)
    const Hw p{rng(0, 3), rng(0, 3)};
    const Hw op{rng(0, std::max(s.h, d.h) - 1), rng(0, std::max(s.w, d.w) - 1)};
    ConvTranspose2d conv(in, out, k,
                         {.stride = s, .padding = p, .output_padding = op, .groups = groups, .bias = rng.coin(),
                          .dilation = d});
    // An input width whose output lands on (or just past) an edge width.
    const int64_t target = edge_widths[trial % std::size(edge_widths)];
    const int64_t in_w = std::max<int64_t>(1, (target + 2 * p.w - d.w * (k.w - 1) - 1 - op.w) / s.w + 1);
    const Shape x_shape{rng(1, 2), in, rng(1, 5), in_w};
    try {
      conv.output_shape(x_shape);
    } catch (const std::invalid_argument&) {
      continue;  // output size <= 0
    }
    conv.reset_parameters(trial);
    if (trial % 2) conv.set_algorithm(ConvAlgorithm::winograd);  // on the phases with 3x3 taps
    SCOPED_TRACE(::testing::Message() << "trial " << trial << ": " << conv << " on " << x_shape);
    const Tensor x = random_tensor(x_shape, trial);
    const Epilogue epilogue = rng.pick({Epilogue{}, Epilogue::relu()});
    Tensor expected = ref::conv_transpose2d(x, conv.weight(), conv.bias(), conv.params());
    for (float& v : expected.values()) v = apply(epilogue, v);
    const Tensor bound = ref::conv_transpose2d(
        abs(x), abs(conv.weight()), conv.bias().defined() ? abs(conv.bias()) : Tensor(), conv.params());
    const int64_t terms = in / groups * k.h * k.w + 1;
    Tensor tolerance = summation_tolerance(bound, expected, terms);
    if (conv.uses_winograd(x_shape)) {
      ++winograd_trials;
      const Tensor winograd = winograd_tolerance(x, as_conv2d_weight(conv.weight(), groups), conv.bias(), groups, expected);
      for (int64_t i = 0; i < tolerance.numel(); ++i) tolerance[i] = std::max(tolerance[i], winograd[i]);
    }
    ASSERT_TRUE(near(conv.forward(x, epilogue), expected, tolerance));
    ++tested;
  }
  EXPECT_GE(tested, 600);
  EXPECT_GE(winograd_trials, 20);
}


TEST_P(EveryLevel, PoolingMatchesReference) {
  Rng rng(3);
  int tested = 0;
  const float specials[] = {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity(),
                            -std::numeric_limits<float>::infinity(), 0.5f};
  for (int trial = 0; trial < 700; ++trial) {
    const Hw k{rng(1, 4), rng(1, 4)}, s{rng(1, 3), rng(1, 3)}, d{rng(1, 2), rng(1, 3)};
    const Hw p{rng(0, k.h / 2), rng(0, k.w / 2)};
    const bool ceil_mode = rng.coin(), max = rng.coin();
    const int64_t out_w = edge_widths[trial % std::size(edge_widths)];
    const Shape x_shape{rng(1, 2), rng(1, 3), input_for_output(rng, rng(1, 5), k.h, s.h, 2 * p.h, max ? d.h : 1),
                        input_for_output(rng, out_w, k.w, s.w, 2 * p.w, max ? d.w : 1)};
    Tensor x = random_tensor(x_shape, trial);
    for (int n = 0; n < 3 && rng.coin(); ++n) x[rng(0, x.numel() - 1)] = specials[rng(0, 3)];
    for (int n = 0; n < 3; ++n) x[rng(0, x.numel() - 1)] = x[rng(0, x.numel() - 1)];  // ties
    SCOPED_TRACE(::testing::Message() << "trial " << trial << " max=" << max << " k=" << k << " s=" << s
                                      << " p=" << p << " d=" << d << " ceil_mode=" << ceil_mode << " on " << x_shape);
    try {
      if (max) {
        const MaxPool2d pool(k, {.stride = s, .padding = p, .dilation = d, .ceil_mode = ceil_mode});
        pool.output_shape(x_shape);
        ASSERT_TRUE(near(pool(x), ref::max_pool2d(x, pool.params()), 0.0));
      } else {
        const bool include_pad = rng.coin();
        const std::optional<int64_t> divisor = rng(0, 4) == 0 ? std::optional<int64_t>(rng(-3, 7) | 1) : std::nullopt;
        const AvgPool2d pool(k, {.stride = s, .padding = p, .ceil_mode = ceil_mode, .count_include_pad = include_pad,
                                 .divisor_override = divisor, .dilation = {1, rng(1, 2)}});
        pool.output_shape(x_shape);
        const Tensor expected = ref::avg_pool2d(x, pool.params(), include_pad, divisor);
        Tensor bound = abs(ref::avg_pool2d(abs(x), pool.params(), include_pad, divisor));
        ASSERT_TRUE(near(pool(x), expected, summation_tolerance(bound, expected, k.h * k.w)));
      }
    } catch (const std::invalid_argument&) {
      continue;  // a window that misses the input, or an input too small
    }
    ++tested;
  }
  EXPECT_GE(tested, 600);
}

INSTANTIATE_TEST_SUITE_P(Simd, EveryLevel, every_simd_level, level_name);

TEST(Threads, ResultsAreBitwiseIdenticalForAnyThreadCount) {
  const int all = get_num_threads();
  Conv2d conv(16, 24, 3, {.stride = {1, 2}, .padding = 1, .dilation = {2, 1}});
  ConvTranspose2d up(16, 8, 4, {.stride = 2, .padding = 1});
  AvgPool2d pool(3, {.stride = 2, .padding = 1, .ceil_mode = true, .count_include_pad = false});
  Conv2d winograd(16, 24, 3, {.padding = 1, .dilation = {1, 2}}), rows(16, 24, 3, {.stride = 2, .padding = 1});
  winograd.set_algorithm(ConvAlgorithm::winograd);
  rows.set_algorithm(ConvAlgorithm::winograd);
  const Tensor x = random_tensor({2, 16, 37, 211}, 1);
  const auto run_all = [&] { return std::tuple{conv(x), up(x), pool(x), winograd(x), rows(x)}; };
  set_num_threads(1);
  const auto [c1, t1, p1, w1, r1] = run_all();
  set_num_threads(std::max(all, 2));
  const auto [c2, t2, p2, w2, r2] = run_all();
  set_num_threads(all);
  EXPECT_TRUE(near(w2, w1, 0.0));
  EXPECT_TRUE(near(r2, r1, 0.0));
  EXPECT_TRUE(near(c2, c1, 0.0));
  EXPECT_TRUE(near(t2, t1, 0.0));
  EXPECT_TRUE(near(p2, p1, 0.0));
}

TEST(Threads, SetNumThreadsCapsTheWorkers) {
  const int all = get_num_threads();
  for (int threads : {1, 2}) {
    set_num_threads(threads);
    std::mutex mutex;
    std::set<std::thread::id> seen;
    parallel_for(0, 256, [&](int64_t, int64_t) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));  // long enough for every worker to join in
      std::lock_guard lock(mutex);
      seen.insert(std::this_thread::get_id());
    });
    EXPECT_LE(static_cast<int>(seen.size()), threads);
  }
  set_num_threads(all);
}

TEST(Simd, LevelsCanBeForcedAndRejectedWhenAbsent) {
  const auto levels = available_simd_levels();
  EXPECT_EQ(levels.front(), SimdLevel::scalar);
  const char* requested = std::getenv("STRIDER_SIMD");  // the best level, unless STRIDER_SIMD asked for another
  EXPECT_EQ(simd_level_name(simd_level()), requested && *requested ? requested : simd_level_name(levels.back()));
  for (SimdLevel level : levels) {
    set_simd_level(level);
    EXPECT_EQ(simd_level(), level);
  }
  set_simd_level(levels.back());
  EXPECT_EQ(simd_level_name(SimdLevel::sse4_2), "sse4.2");
}

}  // namespace
}  // namespace strider
