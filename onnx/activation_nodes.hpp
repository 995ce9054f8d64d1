#pragma once
// The ONNX nodes that are pointwise activations or constant affines, as ops/ descriptions: shared by
// their own handlers (ops_tensor.cpp) and the convolutions' fusion of the chain after them
// (ops_layers.cpp). Internal to strider_onnx.
#include <optional>

#include "../ops/activation.hpp"
#include "plan.hpp"

namespace strider::onnx {

// The activation node n computes over a tensor with `channels` channels on axis 1, or nullopt if n is
// none (or has non-constant parameters). Rejects unsupported attributes.
std::optional<Activation> activation_of(const Builder& b, const Node& n, int64_t channels);

// A Mul / Add / Sub / Div of the value `operand` by a constant, one value or one per channel of axis 1
// (dims [C], [C, 1, 1] or [1, C, 1, 1]), as v·scale + shift; nullopt otherwise.
struct Affine {
  std::vector<float> scale, shift;
};
std::optional<Affine> constant_affine(const Builder& b, const Node& n, const std::string& operand, int64_t channels);

}  // namespace strider::onnx
