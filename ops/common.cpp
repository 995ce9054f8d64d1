#include "common.hpp"

#include <cmath>
#include <ostream>

#include "../core/check.hpp"

namespace strider {

Tensor batched_view(const Tensor& input) {
  const Shape& s = input.shape();
  return input.rank() == 3 ? input.view({1, s[0], s[1], s[2]}) : input.view(s);
}

Tensor match_input_rank(Tensor output, const Tensor& input) {
  if (input.rank() == 4) return output;
  const Shape& s = output.shape();
  return std::move(output).reshape({s[1], s[2], s[3]});
}

void check_channels_and_groups(std::string_view op, int64_t in_channels, int64_t out_channels, int64_t groups) {
  check(groups > 0, op, ": groups must be a positive integer, but got groups=", groups);
  check(in_channels > 0, op, ": in_channels must be positive, but got in_channels=", in_channels);
  check(in_channels % groups == 0, op, ": in_channels must be divisible by groups, but got in_channels=", in_channels,
        " and groups=", groups);
  check(out_channels > 0, op, ": out_channels must be positive, but got out_channels=", out_channels);
  check(out_channels % groups == 0, op, ": out_channels must be divisible by groups, but got out_channels=",
        out_channels, " and groups=", groups);
}

void check_parameter_shape(std::string_view op, std::string_view name, const Tensor& value, const Shape& expected) {
  check(value.shape() == expected, op, ": ", name, " must have shape ", expected, ", but got ",
        value.defined() ? value.shape().str() : "an undefined tensor");
}

Tensor fan_in_uniform(Shape shape, int64_t fan_in, uint64_t seed) {
  const float bound = 1.0f / std::sqrt(static_cast<float>(fan_in));
  return Tensor::uniform(shape, -bound, bound, seed);
}

std::ostream& operator<<(std::ostream& os, IntOrPair v) {
  return v.value.h == v.value.w ? os << v.value.h : os << v.value;
}

}  // namespace strider
