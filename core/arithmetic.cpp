#include "arithmetic.hpp"

#include <algorithm>
#include <cstdint>
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

int64_t checked_div(int64_t a, int64_t b) {
  check(!(a == INT64_MIN && b == -1), "integer division overflows int64: ", a, " / ", b, " is out of range");
  return a / b;
}

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

int64_t checked_add(int64_t a, int64_t b, const char* what) {
  int64_t r = 0;
  check(!__builtin_add_overflow(a, b, &r), what, " overflows int64: ", a, " + ", b, " is out of range");
  return r;
}

int64_t checked_sub(int64_t a, int64_t b, const char* what) {
  int64_t r = 0;
  check(!__builtin_sub_overflow(a, b, &r), what, " overflows int64: ", a, " - ", b, " is out of range");
  return r;
}

int64_t checked_mul(int64_t a, int64_t b, const char* what) {
  int64_t r = 0;
  check(!__builtin_mul_overflow(a, b, &r), what, " overflows int64: ", a, " * ", b, " is out of range");
  return r;
}

int64_t floor_div(int64_t a, int64_t b) {
  check(b != 0, "floor_div: the divisor should be non-zero, but got ", a, " / 0");
  const int64_t q = checked_div(a, b);
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

int64_t ceil_div(int64_t a, int64_t b) {
  check(b != 0, "ceil_div: the divisor should be non-zero, but got ", a, " / 0");
  const int64_t q = checked_div(a, b);
  return (a % b != 0 && (a < 0) == (b < 0)) ? q + 1 : q;
}

int64_t dilated_kernel_size(int64_t k, int64_t d) {
  check_kernel(k, 1, d);
  return checked_add(checked_mul(k - 1, d, "dilated_kernel_size: (k - 1)·d"), 1, "dilated_kernel_size: (k - 1)·d + 1");
}

int64_t conv_output_size(int64_t i, int64_t k, int64_t s, Pad p, int64_t d) {
  check_kernel(k, s, d);
  check_padding(p.begin);
  check_padding(p.end);
  const int64_t padded = checked_add(checked_add(i, p.begin, "conv_output_size: i + p.begin"), p.end,
                                     "conv_output_size: i + p.begin + p.end");
  const int64_t span = checked_sub(padded, dilated_kernel_size(k, d), "conv_output_size: i + p.begin + p.end - k̂");
  return floor_div(span, s) + 1;  // cannot overflow: s >= 1 and span - k̂ < INT64_MAX
}

int64_t pool_output_size(int64_t i, int64_t k, int64_t s, int64_t p, int64_t d, bool ceil_mode) {
  check_kernel(k, s, d);
  check_padding(p);
  const int64_t padded = checked_add(i, checked_mul(2, p, "pool_output_size: 2p"), "pool_output_size: i + 2p");
  const int64_t span = checked_sub(padded, dilated_kernel_size(k, d), "pool_output_size: i + 2p - k̂");
  if (!ceil_mode) return floor_div(span, s) + 1;
  const int64_t o = ceil_div(span, s) + 1;
  return checked_mul(o - 1, s, "pool_output_size: (o - 1)·s") >= checked_add(i, p, "pool_output_size: i + p") ? o - 1
                                                                                                                 : o;
}

int64_t conv_transpose_output_size(int64_t i, int64_t k, int64_t s, int64_t p, int64_t d, int64_t output_padding) {
  check_kernel(k, s, d);
  check_padding(p);
  check(output_padding >= 0, "output_padding a should be non-negative, but got a=", output_padding);
  const char* what = "conv_transpose_output_size: (i - 1)·s - 2p + d(k - 1) + a + 1";
  const int64_t grown = checked_mul(checked_sub(i, 1, what), s, what);
  const int64_t cropped = checked_sub(grown, checked_mul(2, p, what), what);
  const int64_t full = checked_add(cropped, checked_mul(d, k - 1, what), what);
  return checked_add(checked_add(full, output_padding, what), 1, what);
}

int64_t pool_window_taps(int64_t o, int64_t i, int64_t k, int64_t s, int64_t p, int64_t d, bool include_padding) {
  const char* what = "pool_window_taps: the window position o·s - p + a·d";
  const int64_t lo = include_padding ? -p : 0, hi = include_padding ? checked_add(i, p, what) : i;
  const int64_t base = checked_sub(checked_mul(o, s, what), p, what);
  // Taps a with lo <= base + a·d < hi, clipped to [0, k).
  const int64_t first = std::clamp<int64_t>(ceil_div(checked_sub(lo, base, what), d), 0, k);
  const int64_t last = std::clamp<int64_t>(ceil_div(checked_sub(hi, base, what), d), 0, k);
  return std::max<int64_t>(last - first, 0);
}

Pad same_padding(int64_t k, int64_t d) {
  check_kernel(k, 1, d);
  const int64_t total = checked_mul(d, k - 1, "same_padding: d(k - 1)");
  return {total / 2, total - total / 2};
}

SizeRange conv_transpose_output_size_range(int64_t i, int64_t k, int64_t s, int64_t p, int64_t d) {
  const int64_t min = conv_transpose_output_size(i, k, s, p, d, 0);
  return {min, checked_add(min, s - 1, "conv_transpose_output_size_range: o' + s - 1")};
}

SizeRange conv_input_size_range(int64_t o, int64_t k, int64_t s, int64_t p, int64_t d) {
  check(o >= 1, "output size o should be at least 1, but got o=", o);
  check_kernel(k, s, d);
  check_padding(p);
  // Invert relation 15: floor((i + 2p - k̂) / s) = o - 1.
  const char* what = "conv_input_size_range: (o - 1)·s + k̂ - 2p + s - 1";
  const int64_t reach = checked_add(checked_mul(o - 1, s, what), dilated_kernel_size(k, d), what);
  const int64_t min = checked_sub(reach, checked_mul(2, p, what), what);
  return {std::max<int64_t>(min, 1), checked_add(min, s - 1, what)};
}

TransposedConvEquivalent transposed_conv_equivalent(int64_t i, int64_t k, int64_t s, int64_t p, int64_t d,
                                                    int64_t output_padding) {
  check(i >= 1, "input size i' should be at least 1, but got i'=", i);
  TransposedConvEquivalent e;
  e.kernel = k;
  e.dilation = d;
  e.output_size = conv_transpose_output_size(i, k, s, p, d, output_padding);  // checks the arguments first
  e.zeros_inserted = s - 1;
  const char* what = "transposed_conv_equivalent: i' + (i' - 1)(s - 1) and d(k - 1) - p";
  e.stretched_size = checked_add(i, checked_mul(i - 1, s - 1, what), what);
  e.padding = d * (k - 1) - p;  // both terms are in range: output_size computed them
  e.output_padding = output_padding;
  return e;
}

}  // namespace strider
