#include "test_util.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>

#include "ops/row_winograd_kernel.hpp"
#include "ops/winograd_kernel.hpp"

namespace strider::testing {

Tensor abs(const Tensor& x) {
  Tensor y = x.clone();
  for (float& v : y.values()) v = std::abs(v);
  return y;
}

::testing::AssertionResult near(const Tensor& actual, const Tensor& expected, const Tensor& tolerance) {
  if (actual.shape() != expected.shape())
    return ::testing::AssertionFailure() << "shape " << actual.shape() << " != expected " << expected.shape();
  int64_t worst = -1;
  double worst_excess = 0.0;
  int64_t failures = 0;
  for (int64_t i = 0; i < actual.numel(); ++i) {
    const double a = actual[i], e = expected[i];
    const bool nan_mismatch = std::isnan(a) != std::isnan(e);
    const bool both_nan = std::isnan(a) && std::isnan(e);
    if (both_nan || a == e) continue;  // also equal infinities
    const double excess = nan_mismatch ? std::numeric_limits<double>::infinity() : std::abs(a - e) - tolerance[i];
    if (excess > 0) {
      ++failures;
      if (worst < 0 || excess > worst_excess) worst = i, worst_excess = excess;
    }
  }
  if (failures == 0) return ::testing::AssertionSuccess();
  std::ostringstream where;
  int64_t rest = worst;
  std::string index;
  for (int axis = actual.rank() - 1; axis >= 0; --axis) {
    index = std::to_string(rest % actual.size(axis)) + (index.empty() ? "" : ", ") + index;
    rest /= actual.size(axis);
  }
  return ::testing::AssertionFailure() << failures << " of " << actual.numel() << " elements differ; worst at ["
                                       << index << "]: actual " << actual[worst] << ", expected " << expected[worst]
                                       << ", tolerance " << tolerance[worst];
}

::testing::AssertionResult near(const Tensor& actual, const Tensor& expected, double tolerance) {
  return near(actual, expected, Tensor::full(expected.shape(), static_cast<float>(tolerance)));
}

::testing::AssertionResult rejects(const std::function<void()>& f, std::initializer_list<std::string> fragments) {
  try {
    f();
  } catch (const std::invalid_argument& e) {
    const std::string message = e.what();
    for (const std::string& fragment : fragments)
      if (message.find(fragment) == std::string::npos)
        return ::testing::AssertionFailure() << "message \"" << message << "\" lacks \"" << fragment << "\"";
    return ::testing::AssertionSuccess();
  } catch (const std::exception& e) {
    return ::testing::AssertionFailure() << "threw another exception: " << e.what();
  }
  return ::testing::AssertionFailure() << "did not throw";
}

Tensor summation_tolerance(const Tensor& sum_of_abs, const Tensor& result, int64_t n) {
  constexpr double u = 0x1p-24;
  const double gamma = n * u / (1 - n * u);
  Tensor tolerance(result.shape());
  for (int64_t i = 0; i < result.numel(); ++i)
    tolerance[i] = static_cast<float>(gamma * sum_of_abs[i] + u * std::abs(result[i]) + 1e-30);
  return tolerance;
}

namespace {

// gamma_depth · (amplification · Σ_c max|x_c| · max|w_{o,c}| + |b_o|) per image and output channel, plus
// one rounding of the result: the Winograd kernels' bounds.
Tensor bound_by_maxima(const Tensor& input, const Tensor& weight, const Tensor& bias, int64_t groups,
                       const Tensor& result, double amplification, int64_t depth) {
  constexpr double u = 0x1p-24;
  const Tensor x = input.rank() == 3 ? input.view({1, input.size(0), input.size(1), input.size(2)})
                                     : input.view(input.shape());
  const int64_t images = x.size(0), out = weight.size(0), in_g = weight.size(1), out_g = out / groups;
  const int64_t plane = x.size(2) * x.size(3), out_plane = images > 0 ? result.numel() / (images * out) : 0;
  const double gamma = depth * u / (1 - depth * u);
  Tensor tolerance(result.shape());
  for (int64_t n = 0; n < images; ++n)
    for (int64_t o = 0; o < out; ++o) {
      double sum = 0;
      for (int64_t c = 0; c < in_g; ++c) {
        const float* xc = x.data() + (n * x.size(1) + o / out_g * in_g + c) * plane;
        const int64_t taps = weight.size(2) * weight.size(3);
        const float* wc = weight.data() + (o * in_g + c) * taps;
        double max_x = 0, max_w = 0;
        for (int64_t i = 0; i < plane; ++i) max_x = std::max<double>(max_x, std::abs(xc[i]));
        for (int64_t i = 0; i < taps; ++i) max_w = std::max<double>(max_w, std::abs(wc[i]));
        sum += max_x * max_w;
      }
      const double bound = gamma * (amplification * sum + (bias.defined() ? std::abs(bias[o]) : 0.0));
      for (int64_t i = 0; i < out_plane; ++i) {
        const int64_t at = (n * out + o) * out_plane + i;
        tolerance[at] = static_cast<float>(bound + u * std::abs(result[at]) + 1e-30);
      }
    }
  return tolerance;
}

}  // namespace

Tensor winograd_tolerance(const Tensor& input, const Tensor& weight, const Tensor& bias, int64_t groups,
                          const Tensor& result) {
  return bound_by_maxima(input, weight, bias, groups, result, kernels::winograd_amplification, weight.size(1) + 14);
}

Tensor row_winograd_tolerance(const Tensor& input, const Tensor& weight, const Tensor& bias, int64_t groups,
                              const Tensor& result) {
  const int64_t kernel_h = weight.size(2), kernel_w = weight.size(3);
  const int64_t depth =
      weight.size(1) * kernel_w * (1 + kernel_h / 2) + 2 * kernels::row_transform(kernel_h).points + 2;
  return bound_by_maxima(input, weight, bias, groups, result,
                         kernels::row_winograd_amplification(kernel_h) * static_cast<double>(kernel_w), depth);
}

Tensor as_conv2d_weight(const Tensor& w, int64_t groups) {
  const int64_t in = w.size(0), out_g = w.size(1), in_g = in / groups;
  Tensor t({out_g * groups, in_g, w.size(2), w.size(3)});
  for (int64_t o = 0; o < out_g * groups; ++o)
    for (int64_t c = 0; c < in_g; ++c)
      for (int64_t a = 0; a < w.size(2); ++a)
        for (int64_t b = 0; b < w.size(3); ++b) t.at(o, c, a, b) = w.at(o / out_g * in_g + c, o % out_g, a, b);
  return t;
}

void EveryLevel::SetUp() {
  previous_ = simd_level();
  const auto levels = available_simd_levels();
  if (std::find(levels.begin(), levels.end(), GetParam()) == levels.end())
    GTEST_SKIP() << simd_level_name(GetParam()) << " is not available on this CPU";
  set_simd_level(GetParam());
}

std::string level_name(const ::testing::TestParamInfo<SimdLevel>& info) {
  std::string name(simd_level_name(info.param));
  std::erase(name, '.');
  return name;
}

}  // namespace strider::testing
