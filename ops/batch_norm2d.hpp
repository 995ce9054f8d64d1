#pragma once
// BatchNorm2d at inference (torch.nn.BatchNorm2d in eval mode, running statistics): per channel c,
//   y = (x - running_mean[c]) / sqrt(running_var[c] + eps) · weight[c] + bias[c]
// weight and bias are undefined for affine=False (1 and 0). input [N, C, H, W], as PyTorch requires.
#include <vector>

#include "../core/tensor.hpp"

namespace strider {

// The fast kernel: x · α[c] + β[c] with α, β rounded to float (as PyTorch), an FMA per value, threaded;
// within 2 ulps of |x·α| + |β| of the reference.
Tensor batch_norm2d(const Tensor& input, const Tensor& running_mean, const Tensor& running_var,
                    const Tensor& weight, const Tensor& bias, double eps = 1e-5);
namespace ref {
// The definition, in double.
Tensor batch_norm2d(const Tensor& input, const Tensor& running_mean, const Tensor& running_var,
                    const Tensor& weight, const Tensor& bias, double eps = 1e-5);
}  // namespace ref

// The same map as y = x · scale[c] + shift[c]: what folding into a preceding convolution multiplies its
// output channels by and adds to its bias. Checks the shapes as batch_norm2d does.
struct ChannelAffine {
  std::vector<double> scale;
  std::vector<double> shift;
};
ChannelAffine batch_norm_affine(const Tensor& running_mean, const Tensor& running_var, const Tensor& weight,
                                const Tensor& bias, double eps = 1e-5);

}  // namespace strider
