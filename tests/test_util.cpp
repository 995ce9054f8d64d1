#include "test_util.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>

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
