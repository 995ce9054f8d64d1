#pragma once
// Element-wise activations with torch.nn.functional's names, arguments and defaults. Any rank; NaN
// propagates.
//
//   Tensor y = leaky_relu(x, 0.2);
//
// Each activation is defined by its reference (activation_reference): evaluated in double and rounded
// once to float. The functions below run the fast kernel (ops/activation_simd.hpp): float arithmetic and
// vectorised approximations of exp, expm1, log1p, tanh and erfc, threaded. Its worst error against the
// reference, measured over every float class (±0, denormals, ±inf, NaN, the saturated tails) at every
// SIMD level, is pinned by tests/activation_test.cpp:
//   relu, leaky_relu, prelu, hardtanh/clip, hardsigmoid, hardswish    exact, or 1 ulp (one float multiply)
//   sigmoid, tanh, elu, selu, celu, softplus                           <= 4 ulps (tanh: 2 measured)
//   silu                 <= 5 ulps (4 measured with FMA)
//   softplus, beta not a power of 2: + |beta·x| ulps, the rounding of beta·x to float
//   gelu                 <= 4 ulps, or an absolute error <= 4·2^-24·|x| where 1 + erf(x/√2) cancels for
//                        x < 0, as in PyTorch's, oneDNN's and XNNPACK's gelu (measured over every float:
//                        3.13·2^-24·|x| with FMA, 3.49 without)
//   gelu (tanh form)     <= 4 ulps + 3·|2u|, the rounding of its argument 2u (see the test)
// where below the smallest normal float (≈1.2e-38) the error is counted in absolute terms instead (the
// kernels flush those tails to 0 where the reference produces a denormal).
#include <string>
#include <vector>

#include "../core/tensor.hpp"

namespace strider {

struct Activation {
  enum class Kind {
    identity, relu, leaky_relu, prelu, sigmoid, tanh, elu, selu, celu, gelu, gelu_tanh, hardsigmoid, hardswish,
    silu, clip, softplus
  };
  Activation(Kind kind = Kind::identity, float alpha = 0.0f, float beta = 0.0f)
      : kind(kind), alpha(alpha), beta(beta) {}

  Kind kind;
  // leaky_relu: alpha = negative slope; elu, celu: alpha; clip: [alpha, beta]; hardsigmoid: alpha·x + beta
  // clamped to [0, 1]; softplus: beta, threshold = alpha (x·beta > threshold gives x).
  float alpha, beta;
  std::vector<float> weight;  // prelu: slopes, one or one per channel (axis 1)
};

// torch.nn.functional's name of the kind ("gelu" for both forms, "hardtanh" for clip).
const char* activation_name(Activation::Kind kind);
// The reference value of `a` at x, for the channel's PReLU slope.
double activation_reference(const Activation& a, double x, double slope);
// The reference over a tensor (axis 1 is the channel), and the fast kernel.
Tensor activation_reference(const Tensor& input, const Activation& a);
Tensor activate(const Tensor& input, const Activation& a);

Tensor relu(const Tensor& input);
Tensor leaky_relu(const Tensor& input, double negative_slope = 0.01);
// weight [num_parameters]: 1 (shared) or the size of axis 1 — PyTorch's "channel" axis, which for an
// unbatched [C, H, W] input is H; for a rank-1 input only 1 parameter is allowed.
Tensor prelu(const Tensor& input, const Tensor& weight);
Tensor sigmoid(const Tensor& input);
Tensor tanh(const Tensor& input);
Tensor silu(const Tensor& input);  // x · sigmoid(x)
// approximate "none": x/2 · (1 + erf(x/√2)); "tanh": x/2 · (1 + tanh(√(2/π) · (x + 0.044715 x³))).
Tensor gelu(const Tensor& input, const std::string& approximate = "none");
// min(max(x, min_val), max_val); relu6 is hardtanh(x, 0, 6). Needs min_val <= max_val.
Tensor hardtanh(const Tensor& input, double min_val = -1.0, double max_val = 1.0);
// x > 0 ? x : alpha · (exp(x) - 1)
Tensor elu(const Tensor& input, double alpha = 1.0);
// scale · elu(x, alpha) with SELU's fixed alpha ≈ 1.6733 and scale ≈ 1.0507.
Tensor selu(const Tensor& input);
// max(0, x) + min(0, alpha · (exp(x / alpha) - 1)); alpha != 0.
Tensor celu(const Tensor& input, double alpha = 1.0);
// relu6(x + 3) / 6
Tensor hardsigmoid(const Tensor& input);
// x · relu6(x + 3) / 6
Tensor hardswish(const Tensor& input);
// x · beta > threshold ? x : log(1 + exp(beta · x)) / beta
Tensor softplus(const Tensor& input, double beta = 1.0, double threshold = 20.0);

// The activations' descriptions, for the modules, the ONNX loader and the convolution's epilogue.
Activation relu_activation();
Activation leaky_relu_activation(double negative_slope);
Activation prelu_activation(const Tensor& weight);  // checks rank 1
Activation gelu_activation(const std::string& approximate);
Activation clip_activation(double min_val, double max_val);
Activation elu_activation(double alpha);
Activation selu_activation();
Activation celu_activation(double alpha);
Activation hardsigmoid_activation(double alpha = 1.0 / 6, double beta = 0.5);
Activation softplus_activation(double beta, double threshold);

}  // namespace strider
