#pragma once
// Conv2d with exactly torch.nn.Conv2d's semantics (cross-correlation, groups, dilation, padding strings
// and padding modes). Weight [out_channels, in_channels / groups, kH, kW], bias [out_channels].
//
//   Conv2d conv(3, 32, 3, {.stride = 2, .padding = 1});
//   Tensor y = conv(x);  // x: [N, 3, H, W] or [3, H, W]
#include <cstdint>
#include <iosfwd>
#include <string>

#include "../core/arithmetic.hpp"
#include "../core/tensor.hpp"
#include "conv_kernel.hpp"
#include "epilogue.hpp"
#include "row_winograd_kernel.hpp"
#include "winograd_kernel.hpp"

namespace strider {

// Conv2d's padding: a size (an int or {h, w}, applied on both sides) or "same" / "valid".
class Conv2dPadding {
 public:
  Conv2dPadding(int both = 0) : size_(both) {}  // an int literal must not look like a null const char*
  Conv2dPadding(int64_t both) : size_(both) {}
  Conv2dPadding(int64_t h, int64_t w) : size_(h, w) {}
  Conv2dPadding(const char* name) : name_(name) {}
  Conv2dPadding(std::string name) : name_(std::move(name)) {}

  bool is_named() const { return !name_.empty(); }
  const std::string& name() const { return name_; }
  Hw size() const { return size_; }

 private:
  Hw size_;
  std::string name_;
};

// torch.nn.Conv2d's keyword arguments, with its names, defaults and order.
struct Conv2dOptions {
  Hw stride = 1;
  Conv2dPadding padding = 0;
  Hw dilation = 1;
  int64_t groups = 1;
  bool bias = true;
  std::string padding_mode = "zeros";  // "zeros", "reflect", "replicate" or "circular"
};

// Conv2d's arguments resolved per axis: padding names split into sizes, padding_mode parsed.
struct Conv2dParams {
  Hw kernel;
  Hw stride = 1;
  Hw dilation = 1;
  Pad pad_h;
  Pad pad_w;
  int64_t groups = 1;
  PaddingMode padding_mode = PaddingMode::zeros;
};

class Conv2d {
 public:
  Conv2d(int64_t in_channels, int64_t out_channels, Hw kernel_size, Conv2dOptions options = {});

  Tensor forward(const Tensor& input) const { return forward(input, Epilogue{}); }
  // The same with the pointwise ops after it fused into the output store (ops/epilogue.hpp). The output
  // may be the residual's own memory (an OutputSlot there, core/arena.hpp: the ONNX plan writes a
  // residual no later node reads over).
  Tensor forward(const Tensor& input, const Epilogue& epilogue) const;
  Tensor operator()(const Tensor& input) const { return forward(input); }
  // The output shape for an input shape, with every check forward() makes.
  Shape output_shape(const Shape& input) const;

  const Tensor& weight() const { return weight_; }
  const Tensor& bias() const { return bias_; }  // undefined when options.bias is false
  void set_weight(Tensor weight);
  void set_bias(Tensor bias);
  // PyTorch's default initialisation, U(±1/sqrt(fan_in)), from a seed (construction uses seed 0).
  void reset_parameters(uint64_t seed);

  int64_t in_channels() const { return in_channels_; }
  int64_t out_channels() const { return out_channels_; }
  Hw kernel_size() const { return params_.kernel; }
  const Conv2dOptions& options() const { return options_; }
  const Conv2dParams& params() const { return params_; }

  // Forces the direct kernel (the same rounding as before Winograd existed) or Winograd where it
  // applies; automatic (the default) follows default_conv_algorithm() and the measured crossover.
  void set_algorithm(ConvAlgorithm algorithm) { algorithm_ = algorithm; }
  ConvAlgorithm algorithm() const { return algorithm_; }
  // What forward() runs for this input shape: direct or winograd.
  ConvAlgorithm algorithm_for(const Shape& input) const;

 private:
  void repack();
  kernels::ConvPass make_pass(const Shape& input) const;  // all but the data pointers and epilogue

  int64_t in_channels_;
  int64_t out_channels_;
  Conv2dOptions options_;
  Conv2dParams params_;
  Tensor weight_;
  Tensor bias_;
  kernels::PackedConvWeights packed_;  // weight_ in the kernel's layout, repacked whenever it is set
  kernels::WinogradWeights winograd_;  // its Winograd transform, for 3x3 stride-1 layers
  kernels::RowWinogradWeights row_winograd_;  // its row-Winograd transform, for 3-, 5- and 7-row stride-2 layers
  ConvAlgorithm algorithm_ = ConvAlgorithm::automatic;
};
// PyTorch's repr: Conv2d(3, 32, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1))
std::ostream& operator<<(std::ostream& os, const Conv2d& conv);

namespace ref {
// The definition, in plain loops with double accumulation:
//   y[n, o, i, j] = b[o] + sum_{c, p, q} xp[n, g·Cin/G + c, i·sH + p·dH, j·sW + q·dW] · w[o, c, p, q]
// where g = o / (Cout/G) and xp is the input padded by params.pad_h / pad_w in params.padding_mode.
// A negative pad crops (the transposed convolution's equivalent direct convolution needs that).
// input [N, Cin, H, W]; bias may be undefined. The caller (Conv2d) has validated the arguments.
Tensor conv2d(const Tensor& input, const Tensor& weight, const Tensor& bias, const Conv2dParams& params);
}  // namespace ref

}  // namespace strider
