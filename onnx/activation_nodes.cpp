#include "activation_nodes.hpp"

#include <cmath>
#include <limits>

#include "../core/check.hpp"

namespace strider::onnx {

namespace {

// Clip's bounds: inputs 1 and 2 from opset 11, attributes min/max before; absent bounds are infinite.
std::pair<double, double> clip_bounds(const Builder& b, const Node& n) {
  double lo = -std::numeric_limits<double>::infinity(), hi = std::numeric_limits<double>::infinity();
  if (b.model().opset >= 11) {
    if (n.input(1)) lo = b.scalar(n, 1).number(0);
    if (n.input(2)) hi = b.scalar(n, 2).number(0);
  } else {
    lo = n.get_float("min", -std::numeric_limits<float>::infinity());
    hi = n.get_float("max", std::numeric_limits<float>::infinity());
  }
  check(lo <= hi, n.label(), ": min ", lo, " must not exceed max ", hi);
  return {lo, hi};
}

// A constant's values if it is one value or one per channel of axis 1 of a rank-4 operand.
std::optional<std::vector<float>> channel_values(const Const& c, int64_t channels) {
  if (!c.is_float) return std::nullopt;
  if (c.numel() == 1) return c.floats;
  int64_t non_unit = 0;
  for (int64_t d : c.dims) non_unit += d != 1;
  const bool per_channel = c.numel() == channels && non_unit == 1 &&
                           (c.dims.size() == 1 || (c.dims.size() >= 3 && c.dims[c.dims.size() - 3] == channels));
  if (per_channel) return c.floats;
  return std::nullopt;
}

bool all_inputs_const(const Builder& b, const Node& n, std::size_t from) {
  for (std::size_t k = from; k < n.inputs.size(); ++k)
    if (!n.inputs[k].empty() && !b.is_const(n.inputs[k])) return false;
  return true;
}

}  // namespace

std::optional<Activation> activation_of(const Builder& b, const Node& n, int64_t channels) {
  using Kind = Activation::Kind;
  const std::string& op = n.op;
  if (op == "Relu") return relu_activation();
  if (op == "Sigmoid") return Activation(Kind::sigmoid);
  if (op == "Tanh") return Activation(Kind::tanh);
  if (op == "HardSwish") return Activation(Kind::hardswish);
  if (op == "LeakyRelu") return leaky_relu_activation(n.get_float("alpha", 0.01f));
  if (op == "Elu") return elu_activation(n.get_float("alpha", 1.0f));
  if (op == "Celu") return celu_activation(n.get_float("alpha", 1.0f));
  if (op == "HardSigmoid") return hardsigmoid_activation(n.get_float("alpha", 0.2f), n.get_float("beta", 0.5f));
  if (op == "Softplus") return softplus_activation(1.0, 20.0);  // log(1 + e^x), exactly x in float above 20
  if (op == "Selu") {
    // ONNX's defaults are SELU's constants rounded to float; torch exports them.
    check(std::abs(n.get_float("alpha", 1.67326319f) - 1.67326319f) < 1e-6f &&
              std::abs(n.get_float("gamma", 1.05070102f) - 1.05070102f) < 1e-6f,
          n.label(), ": only SELU's standard alpha and gamma are supported");
    return selu_activation();
  }
  if (op == "Clip") {
    if (!all_inputs_const(b, n, 1)) return std::nullopt;
    const auto [lo, hi] = clip_bounds(b, n);
    return clip_activation(lo, hi);
  }
  if (op == "PRelu" && n.inputs.size() == 2 && b.is_const(n.inputs[1])) {
    const Const& slope = b.constant(n, 1);
    const auto w = channel_values(slope, channels);
    check(w.has_value(), n.label(), ": slope of shape ", slope.describe(),
          " is not supported (one value, or one per channel)");
    Activation a(Kind::prelu);
    a.weight = *w;
    return a;
  }
  return std::nullopt;
}

std::optional<Affine> constant_affine(const Builder& b, const Node& n, const std::string& operand, int64_t channels) {
  if (n.inputs.size() != 2 || n.outputs.size() != 1) return std::nullopt;
  const bool operand_first = n.inputs[0] == operand;
  const std::string& other = n.inputs[operand_first ? 1 : 0];
  if (other == operand || !b.is_const(other)) return std::nullopt;
  const auto c = channel_values(b.constant(n, operand_first ? 1 : 0), channels);
  if (!c) return std::nullopt;
  Affine a;
  const std::vector<float> ones(c->size(), 1.0f), zeros(c->size(), 0.0f);
  if (n.op == "Mul") {
    a = {*c, zeros};
  } else if (n.op == "Add") {
    a = {ones, *c};
  } else if (n.op == "Sub") {
    a = operand_first ? Affine{ones, *c} : Affine{std::vector<float>(c->size(), -1.0f), *c};
    if (operand_first)
      for (float& v : a.shift) v = -v;
  } else if (n.op == "Div" && operand_first) {
    a = {*c, zeros};
    for (float& v : a.scale) v = 1.0f / v;  // one more rounding than x / c: within an ulp
  } else {
    return std::nullopt;
  }
  return a;
}

}  // namespace strider::onnx
