#pragma once
// Element-wise activations with torch.nn.functional's names, arguments and defaults. Each is its own
// definition: evaluated in double and rounded once to float (PyTorch's vectorised float code is within a
// few ulps of that; tests/module_golden_test.cpp states the bounds). Any rank; NaN propagates.
//
//   Tensor y = leaky_relu(x, 0.2);
#include <string>

#include "../core/tensor.hpp"

namespace strider {

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

}  // namespace strider
