#include "pool2d.hpp"

#include <ostream>
#include <vector>

#include "../core/check.hpp"
#include "common.hpp"
#include "conv_kernel.hpp"
#include "pool_kernel.hpp"

namespace strider {

namespace {

// PyTorch's checks, in its order: MaxPool2d(0) reports the zero (default) stride and MaxPool2d(-2) the
// padding rule, as PyTorch does.
Pool2dParams make_params(const char* op, Hw kernel, OptionalHw stride_option, Hw padding, Hw dilation,
                         bool ceil_mode) {
  const Hw stride = stride_option.value_or(kernel);
  check(stride.h != 0 && stride.w != 0, op, ": stride should not be zero, but got stride=", stride);
  check(padding.h >= 0 && padding.w >= 0, op, ": pad must be non-negative, but got padding=", padding);
  check(padding.h <= kernel.h / 2 && padding.w <= kernel.w / 2, op,
        ": pad should be at most half of kernel size, but got padding=", padding, " and kernel_size=", kernel);
  check(kernel.h > 0 && kernel.w > 0, op, ": kernel size should be greater than zero, but got kernel_size=", kernel);
  check(stride.h > 0 && stride.w > 0, op, ": stride should be greater than zero, but got stride=", stride);
  check(dilation.h > 0 && dilation.w > 0, op, ": dilation should be greater than zero, but got dilation=", dilation);
  return {kernel, stride, padding, dilation, ceil_mode};
}

// PyTorch accepts dilated windows that fall entirely between input pixels and returns -inf (max) or
// NaN (avg) with an index outside the plane; Strider rejects them.
void check_windows_reach_input(const char* op, const char* axis, const Shape& input, int64_t size, int64_t out,
                               int64_t k, int64_t s, int64_t p, int64_t d) {
  for (int64_t o = 0; o < out; ++o)
    check(pool_window_taps(o, size, k, s, p, d, false) > 0, op, ": the pooling window at output ", axis, " ", o,
          " has no tap inside the input (input of size ", input, ", kernel_size=", k, ", dilation=", d,
          ", padding=", p, " along ", axis, ")");
}

// The fast kernel's pass over a batched input and output.
kernels::PoolPass pool_pass(const Tensor& x, Tensor& y, const Pool2dParams& p, bool max) {
  kernels::PoolPass pass;
  pass.input = x.data();
  pass.output = y.data();
  pass.planes = x.size(0) * x.size(1);
  pass.in_h = x.size(2);
  pass.in_w = x.size(3);
  pass.out_h = y.size(2);
  pass.out_w = y.size(3);
  pass.kernel_h = p.kernel.h;
  pass.kernel_w = p.kernel.w;
  pass.stride_h = p.stride.h;
  pass.stride_w = p.stride.w;
  pass.pad_h = p.padding.h;
  pass.pad_w = p.padding.w;
  pass.dilation_h = p.dilation.h;
  pass.dilation_w = p.dilation.w;
  pass.max = max;
  return pass;
}

Shape pool_output_shape(const char* op, const Shape& input, const Pool2dParams& p) {
  check(input.rank() == 3 || input.rank() == 4, op,
        ": expected 3D or 4D (batch mode) tensor for input, but got input of size: ", input);
  const int64_t channels = input[-3], height = input[-2], width = input[-1];
  check(channels > 0 && height > 0 && width > 0, op,
        ": expected an input with non-zero channels, height and width, but got input of size: ", input);
  const int64_t oh = pool_output_size(height, p.kernel.h, p.stride.h, p.padding.h, p.dilation.h, p.ceil_mode);
  const int64_t ow = pool_output_size(width, p.kernel.w, p.stride.w, p.padding.w, p.dilation.w, p.ceil_mode);
  check(oh > 0 && ow > 0, op, ": Given input size: (", channels, "x", height, "x", width,
        "). Calculated output size: (", channels, "x", oh, "x", ow, "). Output size is too small (input of size ",
        input, ")");
  check_windows_reach_input(op, "row", input, height, oh, p.kernel.h, p.stride.h, p.padding.h, p.dilation.h);
  check_windows_reach_input(op, "column", input, width, ow, p.kernel.w, p.stride.w, p.padding.w, p.dilation.w);
  return input.rank() == 4 ? Shape{input[0], channels, oh, ow} : Shape{channels, oh, ow};
}

}  // namespace

MaxPool2d::MaxPool2d(Hw kernel_size, MaxPool2dOptions options)
    : options_(options),
      params_(make_params("MaxPool2d", kernel_size, options.stride, options.padding, options.dilation,
                          options.ceil_mode)) {}

Shape MaxPool2d::output_shape(const Shape& input) const { return pool_output_shape("MaxPool2d", input, params_); }

Tensor MaxPool2d::forward(const Tensor& input) const {
  Tensor output(output_shape(input.shape()));
  Tensor y = batched_view(output);
  kernels::run_pool_pass(pool_pass(batched_view(input), y, params_, true));
  return output;
}

MaxPool2dResult MaxPool2d::forward_with_indices(const Tensor& input) const {
  check(options_.return_indices,
        "MaxPool2d: forward_with_indices needs a module constructed with return_indices=true");
  output_shape(input.shape());
  MaxPool2dResult result;
  result.output = match_input_rank(ref::max_pool2d(batched_view(input), params_, &result.indices), input);
  return result;
}

std::ostream& operator<<(std::ostream& os, const MaxPool2d& pool) {
  const Pool2dParams& p = pool.params();
  return os << "MaxPool2d(kernel_size=" << IntOrPair{p.kernel} << ", stride=" << IntOrPair{p.stride}
            << ", padding=" << IntOrPair{p.padding} << ", dilation=" << IntOrPair{p.dilation}
            << ", ceil_mode=" << (p.ceil_mode ? "True" : "False") << ')';
}

AvgPool2d::AvgPool2d(Hw kernel_size, AvgPool2dOptions options)
    : options_(options),
      params_(make_params("AvgPool2d", kernel_size, options.stride, options.padding, options.dilation,
                          options.ceil_mode)) {
  check(options.divisor_override != 0, "AvgPool2d: divisor must be not zero, but got divisor_override=0");
}

Shape AvgPool2d::output_shape(const Shape& input) const { return pool_output_shape("AvgPool2d", input, params_); }

Tensor AvgPool2d::forward(const Tensor& input) const {
  Tensor output(output_shape(input.shape()));
  Tensor y = batched_view(output);
  kernels::PoolPass pass = pool_pass(batched_view(input), y, params_, false);
  // The divisor of output (i, j) is rows[i] · columns[j] (or divisor_override); columns has slack for the
  // kernel's vector loads.
  const Pool2dParams& p = params_;
  std::vector<float> rows(static_cast<std::size_t>(pass.out_h), 1.0f);
  std::vector<float> columns(static_cast<std::size_t>(pass.out_w + kernels::tile_columns), 1.0f);
  for (int64_t i = 0; i < pass.out_h; ++i)
    rows[static_cast<std::size_t>(i)] = static_cast<float>(
        options_.divisor_override ? *options_.divisor_override
                                  : pool_window_taps(i, pass.in_h, p.kernel.h, p.stride.h, p.padding.h, p.dilation.h,
                                                     options_.count_include_pad));
  for (int64_t j = 0; j < pass.out_w && !options_.divisor_override; ++j)
    columns[static_cast<std::size_t>(j)] = static_cast<float>(
        pool_window_taps(j, pass.in_w, p.kernel.w, p.stride.w, p.padding.w, p.dilation.w, options_.count_include_pad));
  pass.row_divisor = rows.data();
  pass.column_divisor = columns.data();
  kernels::run_pool_pass(pass);
  return output;
}

std::ostream& operator<<(std::ostream& os, const AvgPool2d& pool) {
  const Pool2dParams& p = pool.params();
  os << "AvgPool2d(kernel_size=" << IntOrPair{p.kernel} << ", stride=" << IntOrPair{p.stride}
     << ", padding=" << IntOrPair{p.padding};
  if (p.dilation != Hw(1)) os << ", dilation=" << IntOrPair{p.dilation};
  return os << ')';
}

}  // namespace strider
