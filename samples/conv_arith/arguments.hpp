#pragma once
// conv-arith's bound on its arguments. It explores geometry, not data: it traces windows cell by cell
// and asks the operator about every input size up to i + s + k̂, so each size, stride, padding and
// dilation is at most max_argument (the operators accept far more; their limits are int64 and the
// tensor size limit). Shared by main.cpp and the fuzz target (tests/fuzz/fuzz_conv_arith.cpp).
#include <cstdint>

#include "../../core/check.hpp"
#include "geometry.hpp"

namespace strider::conv_arith {

inline constexpr int64_t max_argument = 1024;

inline void check_argument_bounds(const Params& p) {
  const struct {
    const char* option;
    Hw value;
  } arguments[] = {{"--input", p.input},       {"--kernel", p.kernel},     {"--stride", p.stride},
                   {"--padding", p.padding},   {"--dilation", p.dilation}, {"--output-padding", p.output_padding}};
  // The operators name the other negative arguments themselves; a negative input size reached Shape first.
  check(p.input.h >= 0 && p.input.w >= 0, "--input: sizes cannot be negative, but got ", p.input);
  for (const auto& a : arguments)
    check(a.value.h <= max_argument && a.value.w <= max_argument, a.option, ": ", a.value,
          " is too large: conv-arith takes sizes up to ", max_argument, " per axis");
}

}  // namespace strider::conv_arith
