#include "activation.hpp"

#include <cmath>
#include <numbers>

#include "../core/arithmetic.hpp"
#include "../core/check.hpp"
#include "../core/parallel.hpp"
#include "../core/simd_batch.hpp"
#include "activation_simd.hpp"

namespace strider {

namespace {

using Kind = Activation::Kind;

double sigmoid_of(double x) { return 1.0 / (1.0 + std::exp(-x)); }

constexpr double selu_alpha = 1.6732632423543772848170429916717;
constexpr double selu_scale = 1.0507009873554804934193349852946;

// The channel count of axis 1 that a PReLU weight of `parameters` values must match, checked.
int64_t prelu_channels(const Tensor& input, int64_t parameters) {
  const int64_t channels = input.rank() >= 2 ? input.size(1) : 1;
  check(parameters == 1 || parameters == channels,
        "prelu: Mismatch of parameter numbers and input channel size. Found parameter numbers = ", parameters,
        " and channel size = ", channels, " (input of size ", input.shape(), ")");
  return channels;
}

// Calls f(channel, begin, end) over the runs of [begin, end) that lie in one channel of axis 1 (values
// `inner` apart, `channels` of them; channels = 1 treats everything as channel 0).
template <class F>
void for_each_channel_run(int64_t begin, int64_t end, int64_t inner, int64_t channels, F f) {
  if (channels == 1) return f(0, begin, end);
  while (begin < end) {
    const int64_t stop = std::min(end, (begin / inner + 1) * inner);
    f(begin / inner % channels, begin, stop);
    begin = stop;
  }
}

// The values of axis 1's channel stride, for the channel runs.
int64_t inner_of(const Tensor& input) { return input.rank() >= 2 ? input.strides()[1] : input.numel(); }

}  // namespace

const char* activation_name(Activation::Kind kind) {
  static constexpr const char* names[] = {"identity", "relu",  "leaky_relu",  "prelu",       "sigmoid",
                                          "tanh",     "elu",   "selu",        "celu",        "gelu",
                                          "gelu",     "hardsigmoid", "hardswish", "silu", "hardtanh", "softplus"};
  return names[static_cast<int>(kind)];
}

// The definitions, in double, rounded once by the caller.
double activation_reference(const Activation& a, double x, double slope) {
  const double alpha = a.alpha, beta = a.beta;
  switch (a.kind) {
    case Kind::identity: return x;
    case Kind::relu: return x < 0 ? 0.0 : x;  // keeps NaN (clamp_min semantics)
    case Kind::leaky_relu: return x > 0 ? x : x * alpha;
    case Kind::prelu: return x > 0 ? x : slope * x;
    case Kind::sigmoid: return sigmoid_of(x);
    case Kind::tanh: return std::tanh(x);
    case Kind::elu: return x > 0 ? x : alpha * std::expm1(x);
    case Kind::selu: return selu_scale * (x > 0 ? x : selu_alpha * std::expm1(x));
    case Kind::celu: return x > 0 ? x : alpha * std::expm1(x / alpha);
    // gelu's 1 + erf(z) and 1 + tanh(u) written as erfc(-z) and 2 / (1 + exp(-2u)): the same functions,
    // without the cancellation that leaves the double form no correct digit below x ≈ -5.
    case Kind::gelu: return 0.5 * x * std::erfc(-x / std::numbers::sqrt2);
    case Kind::gelu_tanh: {
      const double k = std::sqrt(2.0 / std::numbers::pi);
      return x / (1.0 + std::exp(-2.0 * k * (x + 0.044715 * x * x * x)));
    }
    case Kind::hardsigmoid: {
      const double y = alpha * x + beta;
      return y < 0 ? 0.0 : (y > 1 ? 1.0 : y);
    }
    case Kind::hardswish: return x * (x + 3 < 0 ? 0.0 : (x + 3 > 6 ? 6.0 : x + 3)) / 6;
    case Kind::silu: return x * sigmoid_of(x);
    case Kind::clip: return x < alpha ? alpha : (x > beta ? beta : x);
    case Kind::softplus: return x * beta > alpha ? x : std::log1p(std::exp(beta * x)) / beta;
  }
  return x;
}

Tensor activation_reference(const Tensor& input, const Activation& a) {
  check(input.defined(), activation_name(a.kind), ": the input is undefined");
  const int64_t parameters = static_cast<int64_t>(a.weight.size());
  const int64_t channels = a.kind == Kind::prelu ? prelu_channels(input, parameters) : 1;
  const int64_t inner = inner_of(input);
  Tensor out(input.shape());
  for (int64_t i = 0; i < input.numel(); ++i) {
    const int64_t c = parameters == 1 ? 0 : i / inner % channels;
    const double slope = parameters == 0 ? 0.0 : a.weight[static_cast<std::size_t>(c)];
    out[i] = static_cast<float>(activation_reference(a, input[i], slope));
  }
  return out;
}

Tensor activate(const Tensor& input, const Activation& a) {
  check(input.defined(), activation_name(a.kind), ": the input is undefined");
  const int64_t parameters = static_cast<int64_t>(a.weight.size());
  if (a.kind == Kind::prelu) prelu_channels(input, parameters);
  const int64_t channels = a.kind == Kind::prelu ? parameters : 1;  // a shared slope: one run
  const int64_t inner = inner_of(input);
  Tensor out(input.shape());
  const float* x = input.data();
  float* y = out.data();
  // Blocks of a few pages: enough work per task to hide the scheduling, many tasks for balance.
  constexpr int64_t block = 1 << 16;
  kernels::dispatch([&](auto arch) {
    parallel_for(0, ceil_div(input.numel(), block), [&](int64_t first, int64_t last) {
      for_each_channel_run(first * block, std::min(last * block, input.numel()), inner, channels,
                           [&](int64_t c, int64_t begin, int64_t end) {
                             const float slope = a.weight.empty() ? 0.0f : a.weight[static_cast<std::size_t>(c)];
                             kernels::activate_span<decltype(arch)>(a, slope, x + begin, y + begin, end - begin);
                           });
    });
  });
  return out;
}

Activation relu_activation() { return {Kind::relu}; }

// PyTorch multiplies by parameters converted to the tensor's dtype: the float values are the definition.
Activation leaky_relu_activation(double negative_slope) {
  return {Kind::leaky_relu, static_cast<float>(negative_slope)};
}

Activation prelu_activation(const Tensor& weight) {
  check(weight.rank() == 1, "prelu: weight must have rank 1 ([num_parameters]), but got shape ", weight.shape());
  Activation a{Kind::prelu};
  a.weight.assign(weight.data(), weight.data() + weight.numel());
  return a;
}

Activation gelu_activation(const std::string& approximate) {
  if (approximate == "none") return {Kind::gelu};
  check(approximate == "tanh", "gelu: approximate argument must be either none or tanh, but got approximate='",
        approximate, "'");
  return {Kind::gelu_tanh};
}

Activation clip_activation(double min_val, double max_val) {
  check(min_val <= max_val, "hardtanh: min_val (", min_val, ") must be less than or equal to max_val (", max_val,
        ")");
  return {Kind::clip, static_cast<float>(min_val), static_cast<float>(max_val)};
}

Activation elu_activation(double alpha) { return {Kind::elu, static_cast<float>(alpha)}; }
Activation selu_activation() { return {Kind::selu}; }
Activation celu_activation(double alpha) {
  check(alpha != 0, "celu: ZeroDivisionError: alpha must not be 0");
  return {Kind::celu, static_cast<float>(alpha)};
}
Activation hardsigmoid_activation(double alpha, double beta) {
  return {Kind::hardsigmoid, static_cast<float>(alpha), static_cast<float>(beta)};
}
Activation softplus_activation(double beta, double threshold) {
  check(beta != 0, "softplus: beta must not be 0");
  return {Kind::softplus, static_cast<float>(threshold), static_cast<float>(beta)};
}
Tensor relu(const Tensor& input) { return activate(input, relu_activation()); }
Tensor leaky_relu(const Tensor& input, double negative_slope) {
  return activate(input, leaky_relu_activation(negative_slope));
}
Tensor prelu(const Tensor& input, const Tensor& weight) {
  check(input.defined(), "prelu: the input is undefined");
  return activate(input, prelu_activation(weight));
}
Tensor sigmoid(const Tensor& input) { return activate(input, {Kind::sigmoid}); }
Tensor tanh(const Tensor& input) { return activate(input, {Kind::tanh}); }
Tensor silu(const Tensor& input) { return activate(input, {Kind::silu}); }
Tensor gelu(const Tensor& input, const std::string& approximate) {
  return activate(input, gelu_activation(approximate));
}
Tensor hardtanh(const Tensor& input, double min_val, double max_val) {
  return activate(input, clip_activation(min_val, max_val));
}
Tensor elu(const Tensor& input, double alpha) { return activate(input, elu_activation(alpha)); }
Tensor selu(const Tensor& input) { return activate(input, {Kind::selu}); }
Tensor celu(const Tensor& input, double alpha) { return activate(input, celu_activation(alpha)); }
Tensor hardsigmoid(const Tensor& input) { return activate(input, hardsigmoid_activation()); }
Tensor hardswish(const Tensor& input) { return activate(input, {Kind::hardswish}); }
Tensor softplus(const Tensor& input, double beta, double threshold) {
  return activate(input, softplus_activation(beta, threshold));
}

}  // namespace strider
