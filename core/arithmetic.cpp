#include "arithmetic.hpp"

#include <algorithm>
#include <ostream>

#include "check.hpp"

namespace strider {

namespace {

void check_kernel(int64_t k, int64_t s, int64_t d) {
  check(k >= 1, "kernel size k should be at least 1, but got k=", k);
  check(s >= 1, "stride s should be at least 1, but got s=", s);
  check(d >= 1, "dilation d should be at least 1, but got d=", d);
}

void check_padding(int64_t p) { check(p >= 0, "padding p should be non-negative, but got p=", p); }

}  // namespace

std::ostream& operator<<(std::ostream& os, const Hw& hw) { return os << '(' << hw.h << ", " << hw.w << ')'; }

int64_t padded_source_index(int64_t pos, int64_t size, PaddingMode mode) {
  if (pos >= 0 && pos < size) return pos;
  switch (mode) {
    case PaddingMode::zeros: return -1;
    case PaddingMode::reflect: return pos < 0 ? -pos : 2 * (size - 1) - pos;
    case PaddingMode::replicate: return pos < 0 ? 0 : size - 1;
    case PaddingMode::circular: return (pos % size + size) % size;
  }
  return -1;
}

int64_t floor_div(int64_t a, int64_t b) {
  const int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

int64_t ceil_div(int64_t a, int64_t b) { return -floor_div(-a, b); }

int64_t dilated_kernel_size(int64_t k, int64_t d) {
  check_kernel(k, 1, d);
  return k + (k - 1) * (d - 1);
}

int64_t conv_output_size(int64_t i, int64_t k, int64_t s, Pad p, int64_t d) {
  check_kernel(k, s, d);
  check_padding(p.begin);
  check_padding(p.end);
  return floor_div(i + p.begin + p.end - dilated_kernel_size(k, d), s) + 1;
}

int64_t pool_output_size(int64_t i, int64_t k, int64_t s, int64_t p, int64_t d, bool ceil_mode) {
  check_kernel(k, s, d);
  check_padding(p);
  const int64_t span = i + 2 * p - dilated_kernel_size(k, d);
  if (!ceil_mode) return floor_div(span, s) + 1;
  const int64_t o = ceil_div(span, s) + 1;
  return (o - 1) * s >= i + p ? o - 1 : o;
}

int64_t conv_transpose_output_size(int64_t i, int64_t k, int64_t s, int64_t p, int64_t d, int64_t output_padding) {
  check_kernel(k, s, d);
  check_padding(p);
  check(output_padding >= 0, "output_padding a should be non-negative, but got a=", output_padding);
  return (i - 1) * s - 2 * p + d * (k - 1) + output_padding + 1;
}

int64_t pool_window_taps(int64_t o, int64_t i, int64_t k, int64_t s, int64_t p, int64_t d, bool include_padding) {
  const int64_t lo = include_padding ? -p : 0, hi = include_padding ? i + p : i;
  int64_t taps = 0;
  for (int64_t a = 0; a < k; ++a) {
    const int64_t pos = o * s - p + a * d;
    taps += pos >= lo && pos < hi;
  }
  return taps;
}

Pad same_padding(int64_t k, int64_t d) {
  check_kernel(k, 1, d);
  const int64_t total = d * (k - 1);
  return {total / 2, total - total / 2};
}

SizeRange conv_transpose_output_size_range(int64_t i, int64_t k, int64_t s, int64_t p, int64_t d) {
  const int64_t min = conv_transpose_output_size(i, k, s, p, d, 0);
  return {min, min + s - 1};
}

SizeRange conv_input_size_range(int64_t o, int64_t k, int64_t s, int64_t p, int64_t d) {
  check(o >= 1, "output size o should be at least 1, but got o=", o);
  check_kernel(k, s, d);
  check_padding(p);
  // Invert relation 15: floor((i + 2p - k̂) / s) = o - 1.
  const int64_t min = (o - 1) * s + dilated_kernel_size(k, d) - 2 * p;
  return {std::max<int64_t>(min, 1), min + s - 1};
}

TransposedConvEquivalent transposed_conv_equivalent(int64_t i, int64_t k, int64_t s, int64_t p, int64_t d,
                                                    int64_t output_padding) {
  check(i >= 1, "input size i' should be at least 1, but got i'=", i);
  TransposedConvEquivalent e;
  e.kernel = k;
  e.dilation = d;
  e.zeros_inserted = s - 1;
  e.stretched_size = i + (i - 1) * (s - 1);
  e.padding = d * (k - 1) - p;
  e.output_padding = output_padding;
  e.output_size = conv_transpose_output_size(i, k, s, p, d, output_padding);
  return e;
}

}  // namespace strider
