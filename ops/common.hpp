#pragma once
// What every operator does the same way: accept (C, H, W) or (N, C, H, W) input, check parameter shapes,
// initialise weights like PyTorch, print sizes like PyTorch.
#include <cstdint>
#include <iosfwd>
#include <string_view>

#include "../core/arithmetic.hpp"
#include "../core/tensor.hpp"

namespace strider {

// A 4-D view of a 3-D (unbatched) or 4-D input; the rank was checked by the operator.
Tensor batched_view(const Tensor& input);
// Drops the batch axis again when the operator's input was unbatched.
Tensor match_input_rank(Tensor output, const Tensor& input);

// The convolutions' channel rules, in PyTorch's order: groups > 0, channels > 0 and divisible by groups.
void check_channels_and_groups(std::string_view op, int64_t in_channels, int64_t out_channels, int64_t groups);

// Rejects a parameter tensor whose shape is not `expected`.
void check_parameter_shape(std::string_view op, std::string_view name, const Tensor& value, const Shape& expected);
// U(-bound, bound) with bound = 1/sqrt(fan_in): PyTorch's default for convolution weights
// (kaiming_uniform with a = sqrt(5)) and biases.
Tensor fan_in_uniform(Shape shape, int64_t fan_in, uint64_t seed);

// PyTorch's repr of an int-or-pair argument: "2" when both axes agree, else "(2, 1)"; pools print so.
struct IntOrPair {
  Hw value;
};
std::ostream& operator<<(std::ostream& os, IntOrPair v);

}  // namespace strider
