#include "activation.hpp"

#include <cmath>
#include <numbers>

#include "../core/check.hpp"

namespace strider {

namespace {

// A new tensor of input's shape with f applied to each value (in double, rounded once).
template <class F>
Tensor map(const char* op, const Tensor& input, F f) {
  check(input.defined(), op, ": the input is undefined");
  Tensor out(input.shape());
  for (int64_t i = 0; i < input.numel(); ++i) out[i] = static_cast<float>(f(static_cast<double>(input[i])));
  return out;
}

double sigmoid_of(double x) { return 1.0 / (1.0 + std::exp(-x)); }

}  // namespace

// x < 0 ? 0 : x keeps NaN (clamp_min semantics).
Tensor relu(const Tensor& input) { return map("relu", input, [](double x) { return x < 0 ? 0.0 : x; }); }

Tensor leaky_relu(const Tensor& input, double negative_slope) {
  // PyTorch multiplies by the slope converted to the tensor's dtype.
  const double slope = static_cast<float>(negative_slope);
  return map("leaky_relu", input, [slope](double x) { return x > 0 ? x : x * slope; });
}

Tensor prelu(const Tensor& input, const Tensor& weight) {
  check(input.defined(), "prelu: the input is undefined");
  check(weight.rank() == 1, "prelu: weight must have rank 1 ([num_parameters]), but got shape ", weight.shape());
  const int axis = input.rank() >= 2 ? 1 : 0;
  const int64_t channels = input.rank() >= 2 ? input.size(1) : 1;
  const int64_t parameters = weight.numel();
  check(parameters == 1 || parameters == channels,
        "prelu: Mismatch of parameter numbers and input channel size. Found parameter numbers = ", parameters,
        " and channel size = ", channels, " (input of size ", input.shape(), ")");
  const int64_t inner = input.rank() >= 2 ? input.strides()[axis] : 1;
  Tensor out(input.shape());
  for (int64_t i = 0; i < input.numel(); ++i) {
    const double x = input[i];
    const double w = weight[parameters == 1 ? 0 : (i / inner) % channels];
    out[i] = static_cast<float>(x > 0 ? x : w * x);
  }
  return out;
}

Tensor sigmoid(const Tensor& input) { return map("sigmoid", input, sigmoid_of); }

Tensor tanh(const Tensor& input) { return map("tanh", input, [](double x) { return std::tanh(x); }); }

Tensor silu(const Tensor& input) { return map("silu", input, [](double x) { return x * sigmoid_of(x); }); }

Tensor gelu(const Tensor& input, const std::string& approximate) {
  if (approximate == "none")
    return map("gelu", input, [](double x) { return 0.5 * x * (1.0 + std::erf(x / std::numbers::sqrt2)); });
  check(approximate == "tanh", "gelu: approximate argument must be either none or tanh, but got approximate='",
        approximate, "'");
  const double k = std::sqrt(2.0 / std::numbers::pi);
  return map("gelu", input, [k](double x) { return 0.5 * x * (1.0 + std::tanh(k * (x + 0.044715 * x * x * x))); });
}

Tensor hardtanh(const Tensor& input, double min_val, double max_val) {
  check(min_val <= max_val, "hardtanh: min_val (", min_val, ") must be less than or equal to max_val (", max_val,
        ")");
  const double lo = static_cast<float>(min_val), hi = static_cast<float>(max_val);
  return map("hardtanh", input, [lo, hi](double x) { return x < lo ? lo : (x > hi ? hi : x); });
}

}  // namespace strider
