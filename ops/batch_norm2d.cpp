#include "batch_norm2d.hpp"

#include <cmath>

#include "../core/check.hpp"
#include "../core/parallel.hpp"
#include "../core/simd_batch.hpp"
#include "binary.hpp"
#include "common.hpp"

namespace strider {

namespace {

void check_statistics(const Tensor& mean, const Tensor& var, const Tensor& weight, const Tensor& bias) {
  check(mean.rank() == 1, "BatchNorm2d: running_mean must have rank 1 ([num_features]), but got ",
        mean.defined() ? mean.shape().str() : "an undefined tensor");
  const Shape channels{mean.size(0)};
  check_parameter_shape("BatchNorm2d", "running_var", var, channels);
  if (weight.defined()) check_parameter_shape("BatchNorm2d", "weight", weight, channels);
  if (bias.defined()) check_parameter_shape("BatchNorm2d", "bias", bias, channels);
}

void check_input(const Tensor& input, const Tensor& mean, const Tensor& var, const Tensor& weight,
                 const Tensor& bias) {
  check_statistics(mean, var, weight, bias);
  check(input.rank() == 4, "BatchNorm2d: expected 4D input (got ", input.rank(), "D input of size ", input.shape(),
        ")");
  check(input.size(1) == mean.numel(), "BatchNorm2d: expected input of size ", input.shape(), " to have ",
        mean.numel(), " channels (num_features), but got ", input.size(1));
}

}  // namespace

ChannelAffine batch_norm_affine(const Tensor& running_mean, const Tensor& running_var, const Tensor& weight,
                                const Tensor& bias, double eps) {
  check_statistics(running_mean, running_var, weight, bias);
  ChannelAffine a;
  for (int64_t c = 0; c < running_mean.numel(); ++c) {
    const double scale = (weight.defined() ? weight[c] : 1.0) / std::sqrt(running_var[c] + eps);
    a.scale.push_back(scale);
    a.shift.push_back((bias.defined() ? bias[c] : 0.0) - running_mean[c] * scale);
  }
  return a;
}

namespace ref {

Tensor batch_norm2d(const Tensor& input, const Tensor& running_mean, const Tensor& running_var, const Tensor& weight,
                    const Tensor& bias, double eps) {
  check_input(input, running_mean, running_var, weight, bias);
  const int64_t channels = running_mean.numel();
  Tensor out(input.shape());
  const int64_t plane = input.size(2) * input.size(3);
  for (int64_t i = 0; i < input.numel(); ++i) {
    const int64_t c = (i / plane) % channels;
    const double normalized = (input[i] - static_cast<double>(running_mean[c])) / std::sqrt(running_var[c] + eps);
    out[i] = static_cast<float>(normalized * (weight.defined() ? weight[c] : 1.0) + (bias.defined() ? bias[c] : 0.0));
  }
  return out;
}

}  // namespace ref

// x · α + β per channel, α and β rounded to float as PyTorch's CPU kernel does.
Tensor batch_norm2d(const Tensor& input, const Tensor& running_mean, const Tensor& running_var, const Tensor& weight,
                    const Tensor& bias, double eps) {
  check_input(input, running_mean, running_var, weight, bias);
  const ChannelAffine a = batch_norm_affine(running_mean, running_var, weight, bias, eps);
  Tensor out(input.shape());
  const int64_t channels = running_mean.numel(), plane = input.size(2) * input.size(3);
  kernels::dispatch([&](auto arch) {
    parallel_for(0, input.size(0) * channels, [&](int64_t begin, int64_t end) {
      for (int64_t p = begin; p < end; ++p) {
        const auto c = static_cast<std::size_t>(p % channels);
        kernels::affine_span<decltype(arch)>(input.data() + p * plane, static_cast<float>(a.scale[c]),
                                             static_cast<float>(a.shift[c]), out.data() + p * plane, plane);
      }
    });
  });
  return out;
}

}  // namespace strider
