#include "conv_transpose2d.hpp"

#include <ostream>

#include "../core/check.hpp"
#include "common.hpp"

namespace strider {

ConvTranspose2d::ConvTranspose2d(int64_t in_channels, int64_t out_channels, Hw kernel_size,
                                 ConvTranspose2dOptions options)
    : in_channels_(in_channels), out_channels_(out_channels), options_(std::move(options)) {
  const ConvTranspose2dOptions& o = options_;
  // The order of PyTorch's constructor checks, then the ones it defers to forward.
  check(o.groups > 0, "ConvTranspose2d: groups must be a positive integer, but got groups=", o.groups);
  check(in_channels > 0, "ConvTranspose2d: in_channels must be positive, but got in_channels=", in_channels);
  check(in_channels % o.groups == 0, "ConvTranspose2d: in_channels must be divisible by groups, but got in_channels=",
        in_channels, " and groups=", o.groups);
  check(out_channels > 0, "ConvTranspose2d: out_channels must be positive, but got out_channels=", out_channels);
  check(out_channels % o.groups == 0,
        "ConvTranspose2d: out_channels must be divisible by groups, but got out_channels=", out_channels,
        " and groups=", o.groups);
  check(o.padding_mode == "zeros", "ConvTranspose2d: Only \"zeros\" padding mode is supported, but got padding_mode='",
        o.padding_mode, "'");
  check(kernel_size.h > 0 && kernel_size.w > 0,
        "ConvTranspose2d: kernel size should be greater than zero, but got kernel_size=", kernel_size);
  check(o.stride.h > 0 && o.stride.w > 0, "ConvTranspose2d: non-positive stride is not supported, but got stride=",
        o.stride);
  check(o.padding.h >= 0 && o.padding.w >= 0, "ConvTranspose2d: negative padding is not supported, but got padding=",
        o.padding);
  check(o.dilation.h > 0 && o.dilation.w > 0, "ConvTranspose2d: dilation should be greater than zero, but got dilation=",
        o.dilation);
  check(o.output_padding.h >= 0 && o.output_padding.w >= 0,
        "ConvTranspose2d: negative output_padding is not supported, but got output_padding=", o.output_padding);
  check((o.output_padding.h < o.stride.h || o.output_padding.h < o.dilation.h) &&
            (o.output_padding.w < o.stride.w || o.output_padding.w < o.dilation.w),
        "ConvTranspose2d: output padding must be smaller than either stride or dilation, but got output_padding=",
        o.output_padding, ", stride=", o.stride, " and dilation=", o.dilation);

  params_ = {kernel_size, o.stride, o.padding, o.output_padding, o.dilation, o.groups};
  reset_parameters(0);
}

void ConvTranspose2d::reset_parameters(uint64_t seed) {
  const Hw k = params_.kernel;
  // PyTorch computes fan_in from the weight's dimension 1, which is out_channels / groups here.
  const int64_t fan_in = out_channels_ / params_.groups * k.h * k.w;
  weight_ = fan_in_uniform({in_channels_, out_channels_ / params_.groups, k.h, k.w}, fan_in, seed);
  if (options_.bias) bias_ = fan_in_uniform({out_channels_}, fan_in, seed + 1);
}

void ConvTranspose2d::set_weight(Tensor weight) {
  check_parameter_shape("ConvTranspose2d", "weight", weight, weight_.shape());
  weight_ = std::move(weight);
}

void ConvTranspose2d::set_bias(Tensor bias) {
  check(options_.bias, "ConvTranspose2d: set_bias on a module constructed with bias=false");
  check_parameter_shape("ConvTranspose2d", "bias", bias, bias_.shape());
  bias_ = std::move(bias);
}

ConvTranspose2dParams ConvTranspose2d::resolve(const Shape& input, const std::vector<int64_t>* output_size) const {
  check(input.rank() == 3 || input.rank() == 4,
        "ConvTranspose2d: expected 3D (unbatched) or 4D (batched) input to conv_transpose2d, but got input of size: ",
        input);
  const int64_t channels = input[-3], height = input[-2], width = input[-1];
  check(channels == in_channels_, "ConvTranspose2d: expected input", input, " to have ", in_channels_,
        " channels (in_channels), but got ", channels, " channels instead");
  check(height > 0 && width > 0,
        "ConvTranspose2d: expected an input with non-zero height and width, but got input of size: ", input);
  ConvTranspose2dParams p = params_;
  if (output_size != nullptr) {
    const std::size_t n = output_size->size();
    check(n == 2 || n == static_cast<std::size_t>(input.rank()), "ConvTranspose2d: for ", input.rank(),
          "D input, output_size must have 2 or ", input.rank(), " elements (got ", n, ")");
    const int64_t want_h = (*output_size)[n - 2], want_w = (*output_size)[n - 1];
    const SizeRange rh = conv_transpose_output_size_range(height, p.kernel.h, p.stride.h, p.padding.h, p.dilation.h);
    const SizeRange rw = conv_transpose_output_size_range(width, p.kernel.w, p.stride.w, p.padding.w, p.dilation.w);
    check(want_h >= rh.min && want_h <= rh.max && want_w >= rw.min && want_w <= rw.max,
          "ConvTranspose2d: requested an output size of [", want_h, ", ", want_w,
          "] (output_size), but valid sizes range from [", rh.min, ", ", rw.min, "] to [", rh.max, ", ", rw.max,
          "] (for an input of size [", height, ", ", width, "])");
    p.output_padding = {want_h - rh.min, want_w - rw.min};
  }
  const int64_t oh = conv_transpose_output_size(height, p.kernel.h, p.stride.h, p.padding.h, p.dilation.h,
                                                p.output_padding.h);
  const int64_t ow = conv_transpose_output_size(width, p.kernel.w, p.stride.w, p.padding.w, p.dilation.w,
                                                p.output_padding.w);
  check(oh > 0 && ow > 0, "ConvTranspose2d: Given input size per channel: (", height, " x ", width,
        "). Calculated output size per channel: (", oh, " x ", ow, "). Output size is too small (input of size ",
        input, ")");
  return p;
}

namespace {

Shape transposed_output_shape(const Shape& input, int64_t out_channels, const ConvTranspose2dParams& p) {
  const int64_t oh = conv_transpose_output_size(input[-2], p.kernel.h, p.stride.h, p.padding.h, p.dilation.h,
                                                p.output_padding.h);
  const int64_t ow = conv_transpose_output_size(input[-1], p.kernel.w, p.stride.w, p.padding.w, p.dilation.w,
                                                p.output_padding.w);
  return input.rank() == 4 ? Shape{input[0], out_channels, oh, ow} : Shape{out_channels, oh, ow};
}

}  // namespace

Shape ConvTranspose2d::output_shape(const Shape& input) const {
  return transposed_output_shape(input, out_channels_, resolve(input, nullptr));
}

Shape ConvTranspose2d::output_shape(const Shape& input, const std::vector<int64_t>& output_size) const {
  return transposed_output_shape(input, out_channels_, resolve(input, &output_size));
}

Tensor ConvTranspose2d::run(const Tensor& input, const ConvTranspose2dParams& params) const {
  return match_input_rank(ref::conv_transpose2d(batched_view(input), weight_, bias_, params), input);
}

Tensor ConvTranspose2d::forward(const Tensor& input) const { return run(input, resolve(input.shape(), nullptr)); }

Tensor ConvTranspose2d::forward(const Tensor& input, const std::vector<int64_t>& output_size) const {
  return run(input, resolve(input.shape(), &output_size));
}

std::ostream& operator<<(std::ostream& os, const ConvTranspose2d& conv) {
  const ConvTranspose2dOptions& o = conv.options();
  os << "ConvTranspose2d(" << conv.in_channels() << ", " << conv.out_channels()
     << ", kernel_size=" << conv.kernel_size() << ", stride=" << o.stride;
  if (o.padding != Hw(0)) os << ", padding=" << o.padding;
  if (o.dilation != Hw(1)) os << ", dilation=" << o.dilation;
  if (o.output_padding != Hw(0)) os << ", output_padding=" << o.output_padding;
  if (o.groups != 1) os << ", groups=" << o.groups;
  if (!o.bias) os << ", bias=False";
  return os << ')';
}

}  // namespace strider
