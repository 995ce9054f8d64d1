// libFuzzer target: conv-arith's arguments. The input is a kind byte and then the twelve per-axis
// values (input, kernel, stride, padding, dilation, output_padding; H then W) as raw int64 — any value
// at all. Every public arithmetic function must return or throw std::invalid_argument; then, as
// conv-arith does, the arguments it accepts (arguments.hpp) are summarized through the operators and,
// when small enough, traced cell by cell — never a crash, an overflow, a hang or an unbounded allocation.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <stdexcept>

#include "samples/conv_arith/arguments.hpp"
#include "samples/conv_arith/report.hpp"

using namespace strider;
using namespace strider::conv_arith;

namespace {

template <class F>
void expect_invalid_argument_or_value(F f) {
  try {
    f();
  } catch (const std::invalid_argument&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  if (size < 1 + 12 * sizeof(int64_t)) return 0;
  int64_t v[12];
  std::memcpy(v, data + 1, sizeof(v));
  Params p;
  p.kind = static_cast<Kind>(data[0] % 4);
  p.ceil_mode = (data[0] & 4) != 0 && is_pool(p.kind);
  p.input = {v[0], v[1]};
  p.kernel = {v[2], v[3]};
  p.stride = {v[4], v[5]};
  p.padding = {v[6], v[7]};
  p.dilation = {v[8], v[9]};
  p.output_padding = p.kind == Kind::transposed ? Hw(v[10], v[11]) : Hw(0);

  // The arithmetic API on raw values.
  const int64_t i = v[0], k = v[2], s = v[4], pad = v[6], d = v[8], a = v[10];
  expect_invalid_argument_or_value([&] { dilated_kernel_size(k, d); });
  expect_invalid_argument_or_value([&] { conv_output_size(i, k, s, Pad(pad, v[7]), d); });
  expect_invalid_argument_or_value([&] { pool_output_size(i, k, s, pad, d, p.ceil_mode); });
  expect_invalid_argument_or_value([&] { conv_transpose_output_size(i, k, s, pad, d, a); });
  expect_invalid_argument_or_value([&] { conv_transpose_output_size_range(i, k, s, pad, d); });
  expect_invalid_argument_or_value([&] { conv_input_size_range(i, k, s, pad, d); });
  expect_invalid_argument_or_value([&] { transposed_conv_equivalent(i, k, s, pad, d, a); });
  expect_invalid_argument_or_value([&] { same_padding(k, d); });
  expect_invalid_argument_or_value([&] { floor_div(v[0], v[1]); });
  expect_invalid_argument_or_value([&] { ceil_div(v[0], v[1]); });
  if (k >= 1 && s >= 1 && d >= 1 && pad >= 0)
    expect_invalid_argument_or_value([&] { pool_window_taps(v[11] % 4096, i, k, s, pad, d, data[0] & 8); });

  // What conv-arith does with its arguments.
  expect_invalid_argument_or_value([&] {
    check_argument_bounds(p);
    const Summary summary = summarize(p);
    if (traceable(p, summary.output())) checked_geometry(p);
  });
  return 0;
}
