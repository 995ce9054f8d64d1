#pragma once
// Shared test helpers: seeded inputs, tensor comparison with the worst element reported, and checks
// that an argument is rejected with a message naming it.
#include <gtest/gtest.h>

#include <functional>
#include <initializer_list>
#include <random>
#include <string>

#include "core/simd.hpp"
#include "core/tensor.hpp"

namespace strider::testing {

// U[-1, 1) of the given shape.
inline Tensor random_tensor(Shape shape, uint64_t seed) { return Tensor::uniform(shape, -1.0f, 1.0f, seed); }

// Element-wise |x|.
Tensor abs(const Tensor& x);

// |actual - expected| <= tolerance[i] everywhere (NaN matches NaN, equal infinities match); on failure
// names the worst element. tolerance has the shape of expected.
::testing::AssertionResult near(const Tensor& actual, const Tensor& expected, const Tensor& tolerance);
// The same with one absolute tolerance (0: bitwise equal values).
::testing::AssertionResult near(const Tensor& actual, const Tensor& expected, double tolerance);

// Runs f, which must throw std::invalid_argument whose message contains every fragment.
::testing::AssertionResult rejects(const std::function<void()>& f, std::initializer_list<std::string> fragments);

// The error bound of a float32 sum of n products in any order (Higham's gamma_n = n·u / (1 - n·u),
// u = 2^-24) applied to sum_of_abs = Σ|terms|, plus one rounding of the result.
Tensor summation_tolerance(const Tensor& sum_of_abs, const Tensor& result, int64_t n);

// Winograd F(4x4, 3x3)'s error bound (ops/winograd_kernel.hpp) for a Conv2d-layout weight
// [out, in / groups, kh, kw] (a transposed convolution's phases use 3x3 of its taps): gamma_{C + 14} · (48² · Σ_c max|x_c| · max|w_{o,c}| + |b_o|) per image and
// output channel, plus one rounding of the result.
Tensor winograd_tolerance(const Tensor& input, const Tensor& weight, const Tensor& bias, int64_t groups,
                          const Tensor& result);
// The row Winograd's (ops/row_winograd_kernel.hpp) for a kh x kw Conv2d weight: gamma_depth ·
// (row_winograd_amplification(kh)·kw · Σ_c max|x_c| · max|w_{o,c}| + |b_o|), plus one rounding of the result.
Tensor row_winograd_tolerance(const Tensor& input, const Tensor& weight, const Tensor& bias, int64_t groups,
                              const Tensor& result);
// A transposed convolution's weight [in, out / groups, kh, kw] in Conv2d's layout [out, in / groups, kh, kw].
Tensor as_conv2d_weight(const Tensor& transposed_weight, int64_t groups);
// Runs the body once per SIMD level, restoring the level afterwards; a level this CPU lacks is skipped.
// Instantiate with INSTANTIATE_TEST_SUITE_P(Simd, Fixture, every_simd_level, level_name).
class EveryLevel : public ::testing::TestWithParam<SimdLevel> {
 protected:
  void SetUp() override;
  void TearDown() override { set_simd_level(previous_); }

 private:
  SimdLevel previous_ = SimdLevel::scalar;
};
inline const auto every_simd_level =
    ::testing::Values(SimdLevel::scalar, SimdLevel::sse4_2, SimdLevel::avx2, SimdLevel::avx512);
std::string level_name(const ::testing::TestParamInfo<SimdLevel>& info);

// Output widths at the edges of every vector width V in {4, 8, 16} (1, V - 1, V, V + 1, 2V + 3), of the
// microkernels (48, 96) and of the column tiles (192): the kernel tests' random shapes cycle through them.
inline constexpr int64_t edge_widths[] = {1,  3,  4,  5,  7,  8,  9,  11, 15,  16,  17,
                                          19, 29, 32, 35, 47, 48, 49, 95, 97, 191, 193};

// Seeded draws for random test configurations.
class Rng {
 public:
  explicit Rng(uint64_t seed) : engine_(seed) {}
  int64_t operator()(int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(engine_); }
  bool coin() { return (*this)(0, 1) == 1; }
  template <class T>
  T pick(std::initializer_list<T> values) {
    return *(values.begin() + (*this)(0, static_cast<int64_t>(values.size()) - 1));
  }

 private:
  std::mt19937_64 engine_;
};

}  // namespace strider::testing
