// The fast activations against their double-precision references (ops/activation.cpp), at every SIMD
// level: a sweep over the whole float range (every class: ±0, denormals, normals, ±inf, NaN) and random
// tensors of every rank with tails of 1 .. 2V + 3 values. The bounds are the ones ops/activation.hpp states.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "ops/activation.hpp"
#include "test_util.hpp"

namespace strider {
namespace {

using testing::EveryLevel;
using Kind = Activation::Kind;

struct Case {
  const char* name;
  Activation activation;
  int64_t ulps;  // the stated bound
  // Where the kernel's formula cancels, the bound is this much absolute error instead, plus
  // absolute_per_x · |x|: hardsigmoid's alpha·x + beta near its zero, where one rounding of alpha·x
  // (without an FMA) is many ulps of the result; gelu's x/2 · (1 + erf(x/√2)) for negative x.
  double absolute = 0;
  double absolute_per_x = 0;
  // gelu_tanh's tail is ill-conditioned: rounding its argument 2u to float moves sigmoid(2u) by a
  // relative |2u|·2^-24. There the bound grows by this many ulps: 3·|2u| (the factor over the argument's
  // conditioning is the function's own error in the tail).
  double (*conditioning)(double x) = nullptr;
};

// softplus with a beta that is not a power of 2: rounding z = beta·x to float moves e^z, and so
// log(1 + e^z) for z < 0, by a relative |z|·2^-24: |z| ulps.
double softplus3_conditioning(double x) { return std::abs(3 * x); }
double gelu_tanh_conditioning(double x) {
  return 3 * std::abs(2 * 0.7978845608028654 * (x + 0.044715 * x * x * x));
}

// Whether y is within the case's absolute allowance at x.
bool within_absolute(const Case& c, float x, float y, double expected) {
  return std::abs(y - expected) <= c.absolute + c.absolute_per_x * std::abs(x);
}

// The bound at x, in ulps.
double bound(const Case& c, float x) {
  const bool conditioned = c.conditioning && std::isfinite(x);
  return static_cast<double>(c.ulps) + (conditioned ? c.conditioning(x) : 0.0);
}

std::vector<Case> cases() {
  Activation prelu = prelu_activation(Tensor::full({1}, 0.25f));
  return {{"relu", relu_activation(), 0},
          {"leaky_relu", leaky_relu_activation(0.2), 1},
          {"prelu", prelu, 1},
          {"sigmoid", {Kind::sigmoid}, 4},
          {"tanh", {Kind::tanh}, 4},
          {"silu", {Kind::silu}, 5},
          {"elu", elu_activation(1.0), 4},
          {"elu_alpha", elu_activation(0.3), 4},
          {"selu", selu_activation(), 4},
          {"celu", celu_activation(2.5), 4},
          {"gelu", gelu_activation("none"), 4, 0, 0x1p-22},
          {"gelu_tanh", gelu_activation("tanh"), 4, 0, 0, gelu_tanh_conditioning},
          {"hardsigmoid", hardsigmoid_activation(), 1, 0x1p-25},
          {"hardsigmoid_onnx", hardsigmoid_activation(0.2, 0.5), 1, 0x1p-25},
          {"hardswish", {Kind::hardswish}, 2},
          {"clip", clip_activation(-0.5, 6.0), 0},
          {"softplus", softplus_activation(1.0, 20.0), 4},
          {"softplus_beta", softplus_activation(2.0, 10.0), 4},
          {"softplus_beta3", softplus_activation(3.0, 100.0), 4, 0, 0, softplus3_conditioning}};
}

// Floats in the order of their values: the ulp distance of two floats is the difference of their keys.
int64_t ordered(float x) {
  const auto bits = static_cast<int64_t>(std::bit_cast<int32_t>(x));
  return bits < 0 ? std::numeric_limits<int32_t>::min() - bits : bits;
}

// The error of `actual` in ulps of the reference; where the reference is below the smallest normal float,
// the absolute error in units of the smallest denormal above FLT_MIN's ulp, so flushing the denormal tail
// to 0 counts as 0 ulps. NaN must match NaN.
int64_t ulp_error(float actual, double reference) {
  const auto expected = static_cast<float>(reference);
  if (std::isnan(expected) || std::isnan(actual)) return std::isnan(expected) == std::isnan(actual) ? 0 : INT32_MAX;
  if (std::abs(expected) < std::numeric_limits<float>::min() && std::abs(actual) < std::numeric_limits<float>::min())
    return 0;
  return std::abs(ordered(actual) - ordered(expected));
}

// The worst error of the kernel over `x` (one channel: slope = the first PReLU weight).
struct Worst {
  int64_t ulps = 0;  // beyond the bound at x
  float at = 0;
};
Worst worst_error(const Case& c, const Tensor& x) {
  const Activation& a = c.activation;
  const Tensor y = activate(x, a);
  Worst w;
  for (int64_t i = 0; i < x.numel(); ++i) {
    const double slope = a.weight.empty() ? 0.0 : a.weight[0];
    const double expected = activation_reference(a, x[i], slope);
    if (within_absolute(c, x[i], y[i], expected)) continue;
    const auto e = static_cast<int64_t>(static_cast<double>(ulp_error(y[i], expected)) - bound(c, x[i]));
    if (e > w.ulps) w = {e, x[i]};
  }
  return w;
}

class Activations : public EveryLevel {};

TEST_P(Activations, WholeFloatRangeWithinStatedUlps) {
  // Every 4099th bit pattern (both signs, every exponent), and the special values.
  std::vector<float> values = {0.0f, -0.0f, std::numeric_limits<float>::denorm_min(),
                               -std::numeric_limits<float>::denorm_min(), std::numeric_limits<float>::min(),
                               std::numeric_limits<float>::max(), -std::numeric_limits<float>::max(),
                               std::numeric_limits<float>::infinity(), -std::numeric_limits<float>::infinity(),
                               std::numeric_limits<float>::quiet_NaN(), 20.0f, -20.0f, 88.7f, -88.7f, 104.0f, -104.0f};
  for (uint64_t bits = 0; bits < (uint64_t{1} << 32); bits += 4099)
    values.push_back(std::bit_cast<float>(static_cast<uint32_t>(bits)));
  Tensor x({static_cast<int64_t>(values.size())});
  std::copy(values.begin(), values.end(), x.data());
  for (const Case& c : cases()) {
    const Worst w = worst_error(c, x);
    EXPECT_EQ(w.ulps, 0) << c.name << " exceeds its bound by that many ulps at x = " << w.at;
  }
}

TEST_P(Activations, RandomShapesAndTails) {
  std::mt19937_64 rng(12);
  for (const Case& c : cases()) {
    for (int64_t tail = 1; tail <= 2 * 16 + 3; ++tail) {
      const int64_t batch = 1 + static_cast<int64_t>(rng() % 3);
      const Shape shape = rng() % 2 ? Shape{tail} : Shape{batch, 3, 2, tail};
      Tensor x = Tensor::uniform(shape, -12.0f, 12.0f, rng());
      Activation a = c.activation;
      if (a.kind == Kind::prelu && shape.rank() == 4) a = prelu_activation(Tensor::uniform({3}, -1.0f, 1.0f, rng()));
      const Tensor y = activate(x, a), expected = activation_reference(x, a);
      for (int64_t i = 0; i < x.numel(); ++i)
        if (!within_absolute(c, x[i], y[i], expected[i])) {
          ASSERT_LE(ulp_error(y[i], expected[i]), bound(c, x[i]))
            << c.name << " shape " << shape << " at " << i << ": x = " << x[i];
        }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Simd, Activations, testing::every_simd_level, testing::level_name);

TEST(Activations, RejectBadArguments) {
  const Tensor x = Tensor::zeros({1, 3, 2, 2});
  EXPECT_TRUE(testing::rejects([&] { prelu(x, Tensor::zeros({2})); }, {"prelu", "parameter numbers = 2", "3"}));
  EXPECT_TRUE(testing::rejects([&] { hardtanh(x, 1.0, 0.0); }, {"hardtanh", "min_val"}));
  EXPECT_TRUE(testing::rejects([&] { gelu(x, "fast"); }, {"gelu", "fast"}));
  EXPECT_TRUE(testing::rejects([&] { celu(x, 0.0); }, {"celu", "alpha"}));
}

}  // namespace
}  // namespace strider
