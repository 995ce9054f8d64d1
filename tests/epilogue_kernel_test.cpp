// Pointwise chains fused into the convolutions' stores (ops/epilogue.hpp) against the unfused reference,
// at every SIMD level this CPU has, and the chains' argument checks.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/arena.hpp"
#include "ops/activation.hpp"
#include "ops/conv2d.hpp"
#include "ops/conv_transpose2d.hpp"
#include "test_util.hpp"

namespace strider {
namespace {

using testing::abs;
using testing::as_conv2d_weight;
using testing::edge_widths;
using testing::near;
using testing::random_tensor;
using testing::Rng;
using testing::summation_tolerance;
using testing::winograd_tolerance;

class FusedEpilogues : public testing::EveryLevel {};

// A random chain of epilogue steps over `channels` output channels: activations (PReLU per channel or
// shared), per-channel or scalar affines with |scale| <= 1, and at most one residual add.
Epilogue random_chain(Rng& rng, int64_t channels, const Tensor* residual) {
  Epilogue e;
  const auto values = [&](float lo, float hi) {
    std::vector<float> v(rng.coin() ? 1 : static_cast<std::size_t>(channels));
    for (float& x : v) x = lo + (hi - lo) * static_cast<float>(rng(0, 1000)) / 1000.0f;
    return v;
  };
  for (int64_t steps = rng(1, 4), i = 0; i < steps; ++i) {
    switch (rng(0, 3)) {
      case 0: {
        Activation a = prelu_activation(Tensor::full({1}, 0.0f));
        a.weight = values(-0.5f, 0.5f);
        e.then(a);
        break;
      }
      case 1:
        // ReLU and LeakyReLU, then an affine, then the residual, are the chains the kernels inline.
        e.then(rng.pick({Activation(Activation::Kind::tanh), Activation(Activation::Kind::silu), elu_activation(0.5),
                         gelu_activation("none"), clip_activation(-0.5, 0.5), relu_activation(),
                         leaky_relu_activation(0.1)}));
        break;
      case 2: e.then_affine(values(-1.0f, 1.0f), values(-1.0f, 1.0f)); break;
      default: if (!e.residual()) e.then_residual(residual);
    }
  }
  return e;
}

// The unfused output followed by chain e, value by value (the residual at the same offsets).
Tensor chained(const Epilogue& e, const Tensor& unfused, const Tensor& residual) {
  Tensor expected = unfused.clone();
  const int64_t plane = unfused.size(2) * unfused.size(3), channels = unfused.size(1);
  for (int64_t i = 0; i < expected.numel(); ++i) expected[i] = apply(e, unfused[i], i / plane % channels, residual[i]);
  return expected;
}

// Fused chains against the reference convolution followed by the chain's reference, value by value.
// Every step is at most 1-Lipschitz here, so the convolution's bound carries over (Winograd's where it
// runs: forced every fourth trial, with 16+ channels, where it applies the chain with channels in lanes,
// or anywhere under STRIDER_CONV_ALGO=winograd); plus each activation's few ulps.
TEST_P(FusedEpilogues, ChainsMatchReference) {
  Rng rng(3);
  for (int trial = 0; trial < 160; ++trial) {
    const bool transposed = trial % 4 == 2;
    const bool depthwise = trial % 4 == 1;
    const bool force_winograd = trial % 4 == 3;
    const int64_t in = depthwise ? 5 : (force_winograd ? rng(16, 20) : rng(1, 6));
    const int64_t out = depthwise ? 5 : (force_winograd ? rng(16, 37) : rng(1, 11));
    const int64_t groups = depthwise ? 5 : 1;
    const int64_t width = edge_widths[trial % std::size(edge_widths)];
    const Tensor x = random_tensor({rng(1, 2), in, rng(1, 5), width}, trial);
    Tensor expected, bound, actual;
    // conv2d_weight: the weight in Conv2d's layout, for Winograd's bound when `winograd` runs.
    const auto check_chain = [&](const auto& conv, bool winograd, const Tensor& conv2d_weight, const Tensor& reference,
                                 const Tensor& reference_bound) {
      const Tensor residual = random_tensor(reference.shape(), trial + 1000);
      const Epilogue e = random_chain(rng, out, &residual);
      SCOPED_TRACE(::testing::Message() << "trial " << trial << ": " << e.str() << " on " << x.shape());
      const int64_t plane = reference.size(2) * reference.size(3);
      Tensor expect(reference.shape());
      for (int64_t i = 0; i < reference.numel(); ++i)
        expect[i] = apply(e, reference[i], i / plane % out, residual[i]);
      Tensor tolerance = summation_tolerance(reference_bound, reference, in / groups * 9 + 1);
      if (winograd) {
        const Tensor wider = winograd_tolerance(x, conv2d_weight, conv.bias(), groups, reference);
        for (int64_t i = 0; i < tolerance.numel(); ++i) tolerance[i] = std::max(tolerance[i], wider[i]);
      }
      for (int64_t i = 0; i < tolerance.numel(); ++i) tolerance[i] += 2e-6f * (1.0f + std::abs(expect[i]));
      ASSERT_TRUE(near(conv.forward(x, e), expect, tolerance));
    };
    if (transposed) {
      ConvTranspose2d conv(in, out, 3, {.stride = rng(1, 3), .padding = 1});
      conv.reset_parameters(trial);
      check_chain(conv, conv.uses_winograd(x.shape()), as_conv2d_weight(conv.weight(), 1),
                  ref::conv_transpose2d(x, conv.weight(), conv.bias(), conv.params()),
                  ref::conv_transpose2d(abs(x), abs(conv.weight()), abs(conv.bias()), conv.params()));
    } else {
      Conv2d conv(in, out, 3, {.padding = 1, .groups = groups});
      conv.reset_parameters(trial);
      if (force_winograd) conv.set_algorithm(ConvAlgorithm::winograd);
      check_chain(conv, conv.algorithm_for(x.shape()) == ConvAlgorithm::winograd, conv.weight(),
                  ref::conv2d(x, conv.weight(), conv.bias(), conv.params()),
                  ref::conv2d(abs(x), abs(conv.weight()), abs(conv.bias()), conv.params()));
    }
  }
}

// Winograd holds output channels in lanes: tiles of whole rows with unit column step go through
// transposes (the residual in, the output out), edge tiles and strided columns element by element. Either
// way the fused epilogue must give exactly the unfused convolution followed by the epilogue, whose steps
// here are exact in float (PReLU, a scale without shift, the residual add). Shapes with full and edge
// tiles, 19 channels per group (a partial last vector at every width), a row and a column dilation.
TEST_P(FusedEpilogues, WinogradMatchesUnfusedExactly) {
  struct Case {
    int64_t groups;
    Shape x;
    Hw dilation;
  };
  const Case cases[] = {{1, {2, 16, 9, 13}, 1}, {1, {1, 8, 8, 36}, 1}, {2, {1, 8, 12, 17}, 1},
                        {1, {1, 8, 11, 16}, Hw{2, 1}}, {1, {1, 8, 8, 14}, Hw{1, 2}}};
  int seed = 0;
  for (const Case& c : cases) {
    const int64_t out = 19 * c.groups;
    Conv2d conv(c.x[1], out, 3,
                {.padding = Conv2dPadding(c.dilation.h, c.dilation.w), .dilation = c.dilation, .groups = c.groups});
    conv.set_algorithm(ConvAlgorithm::winograd);
    conv.reset_parameters(++seed);
    const Tensor x = random_tensor(c.x, seed), unfused = conv.forward(x);
    ASSERT_EQ(conv.algorithm_for(c.x), ConvAlgorithm::winograd);
    const Tensor residual = random_tensor(unfused.shape(), seed + 100);
    Activation prelu = prelu_activation(Tensor::full({1}, 0.0f));
    std::vector<float> scale;
    prelu.weight.clear();
    for (int64_t o = 0; o < out; ++o) {
      prelu.weight.push_back(0.05f * static_cast<float>(o % 7));
      scale.push_back(0.1f + 0.03f * static_cast<float>(o));
    }
    for (const Epilogue& e : {Epilogue().then_affine(scale, {0.0f}).then_residual(&residual),
                              Epilogue().then_residual(&residual).then(prelu),
                              Epilogue::of(prelu).then_residual(&residual),
                              Epilogue::of(prelu).then_affine(scale, {0.0f}).then_residual(&residual)}) {
      SCOPED_TRACE(::testing::Message() << e.str() << " on " << c.x << ", dilation " << c.dilation);
      ASSERT_TRUE(near(conv.forward(x, e), chained(e, unfused, residual), 0.0));
    }
  }
}

// The direct kernel applies the chains it inlines (ReLU, LeakyReLU or PReLU, then an affine, then a
// residual, each optional) in the register tile's stores, on whole tiles and at the edges: those must give
// exactly the unfused convolution followed by the chain (the affine without shift: fma rounds once where
// the double reference rounds twice). 1x1 and 3x3 kernels (FSRCNN's and the upsampler's layers), 1 to 19
// output channels (every block size, partial slices), widths at the tiles' edges.
TEST_P(FusedEpilogues, DirectMatchesUnfusedExactly) {
  Rng rng(5);
  for (int trial = 0; trial < 48; ++trial) {
    const int64_t in = rng(1, 12), out = rng(1, 19), kernel = trial % 2 ? 3 : 1;
    Conv2d conv(in, out, kernel, {.padding = kernel / 2});
    conv.set_algorithm(ConvAlgorithm::direct);
    conv.reset_parameters(trial);
    const Tensor x = random_tensor({1, in, rng(1, 3), edge_widths[trial % std::size(edge_widths)]}, trial);
    const Tensor unfused = conv.forward(x), residual = random_tensor(unfused.shape(), trial + 100);
    Activation prelu = prelu_activation(Tensor::full({1}, 0.0f));
    prelu.weight.clear();
    const int64_t slopes = rng.coin() ? out : 1;
    for (int64_t o = 0; o < slopes; ++o) prelu.weight.push_back(0.05f * static_cast<float>(o % 7 + 1));
    Epilogue e;
    if (rng.coin()) e.then(rng.pick({prelu, relu_activation(), leaky_relu_activation(0.1)}));
    if (rng.coin() || e.empty()) e.then_affine(rng.coin() ? std::vector{0.1f} : prelu.weight, {0.0f});
    if (rng.coin()) e.then_residual(&residual);
    SCOPED_TRACE(::testing::Message() << "trial " << trial << ": " << e.str() << " on " << x.shape());
    ASSERT_TRUE(near(conv.forward(x, e), chained(e, unfused, residual), 0.0));
  }
}

// In place: the output in the residual's memory, as the ONNX plan lays out a residual that the
// convolution reads last (an OutputSlot at the residual). Every path must give exactly what it gives out
// of place: Winograd and the direct kernel with register chains and with walks over stored outputs, the
// depthwise kernel, and ConvTranspose2d's phases and bias-only outputs (which read a copy).
TEST_P(FusedEpilogues, InPlaceResidualMatchesOutOfPlace) {
  const auto check = [](const auto& conv, const Tensor& x, const Epilogue& chain, const char* what) {
    SCOPED_TRACE(::testing::Message() << what << ", " << chain.str() << " on " << x.shape());
    const Tensor original = random_tensor(conv.forward(x).shape(), 7);
    Tensor residual = original.clone();
    Epilogue out_of_place = chain, in_place = chain;
    const Tensor expected = conv.forward(x, out_of_place.then_residual(&original));
    in_place.then_residual(&residual);
    const Tensor actual = run_in_slot(residual.data(), residual.numel(), [&] { return conv.forward(x, in_place); });
    ASSERT_EQ(actual.data(), residual.data());  // the output took the residual's memory
    ASSERT_TRUE(near(actual, expected, 0.0));
  };
  const Epilogue scaled = Epilogue().then_affine({0.1f}, {0.0f});
  const Epilogue walked = Epilogue::of(Activation(Activation::Kind::tanh)).then_affine({0.5f}, {0.25f});
  Conv2d winograd(16, 16, 3, {.padding = 1});
  winograd.set_algorithm(ConvAlgorithm::winograd);
  Conv2d direct(5, 7, 3, {.padding = 1});
  direct.set_algorithm(ConvAlgorithm::direct);
  const Conv2d depthwise(8, 8, 3, {.padding = 1, .groups = 8});
  const Tensor x16 = random_tensor({1, 16, 9, 13}, 1), x5 = random_tensor({2, 5, 6, 37}, 2);
  for (const Epilogue& chain : {scaled, walked}) {
    check(winograd, x16, chain, "Winograd");
    check(direct, x5, chain, "direct");
    check(depthwise, random_tensor({1, 8, 7, 21}, 3), chain, "depthwise");
    // Kernel 2 with stride 3: a third of the rows and columns only get the bias.
    check(ConvTranspose2d(5, 3, 2, {.stride = 3}), x5, chain, "ConvTranspose2d with bias-only outputs");
    check(ConvTranspose2d(5, 6, 4, {.stride = 2, .padding = 1}), x5, chain, "ConvTranspose2d");
  }
}

TEST(Epilogue, RejectsParametersOfTheWrongSize) {
  Conv2d conv(2, 3, 3);
  const Tensor x = Tensor::zeros({1, 2, 5, 5}), wrong = Tensor::zeros({1, 3, 4, 4});
  EXPECT_TRUE(testing::rejects([&] { conv.forward(x, Epilogue().then_affine({1, 2}, {0})); }, {"Conv2d", "affine"}));
  EXPECT_TRUE(testing::rejects([&] { conv.forward(x, Epilogue().then_residual(&wrong)); },
                               {"Conv2d", "residual", "[1, 3, 4, 4]", "[1, 3, 3, 3]"}));
}

INSTANTIATE_TEST_SUITE_P(Simd, FusedEpilogues, testing::every_simd_level, testing::level_name);

}  // namespace
}  // namespace strider
