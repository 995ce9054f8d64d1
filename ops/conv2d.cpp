#include "conv2d.hpp"

#include <array>
#include <ostream>
#include <string_view>

#include "../core/check.hpp"
#include "common.hpp"

namespace strider {

namespace {

constexpr std::array<std::pair<std::string_view, PaddingMode>, 4> padding_modes = {
    {{"zeros", PaddingMode::zeros},
     {"reflect", PaddingMode::reflect},
     {"replicate", PaddingMode::replicate},
     {"circular", PaddingMode::circular}}};

PaddingMode parse_padding_mode(const std::string& name) {
  for (const auto& [mode_name, mode] : padding_modes)
    if (name == mode_name) return mode;
  fail("Conv2d: padding_mode must be one of {'zeros', 'reflect', 'replicate', 'circular'}, but got padding_mode='",
       name, "'");
}

}  // namespace

Conv2d::Conv2d(int64_t in_channels, int64_t out_channels, Hw kernel_size, Conv2dOptions options)
    : in_channels_(in_channels), out_channels_(out_channels), options_(std::move(options)) {
  const Conv2dOptions& o = options_;
  // The order of PyTorch's constructor checks, then the ones it defers to forward.
  check_channels_and_groups("Conv2d", in_channels, out_channels, o.groups);
  const bool same = o.padding.name() == "same";
  check(!o.padding.is_named() || same || o.padding.name() == "valid", "Conv2d: Invalid padding string '",
        o.padding.name(), "', should be one of {'same', 'valid'}");
  check(!same || o.stride == Hw(1), "Conv2d: padding='same' is not supported for strided convolutions, but got stride=",
        o.stride);
  params_.padding_mode = parse_padding_mode(o.padding_mode);
  check(kernel_size.h > 0 && kernel_size.w > 0, "Conv2d: kernel size should be greater than zero, but got kernel_size=",
        kernel_size);
  check(o.stride.h > 0 && o.stride.w > 0, "Conv2d: non-positive stride is not supported, but got stride=", o.stride);
  check(o.padding.size().h >= 0 && o.padding.size().w >= 0,
        "Conv2d: negative padding is not supported, but got padding=", o.padding.size());
  check(o.dilation.h > 0 && o.dilation.w > 0, "Conv2d: dilation should be greater than zero, but got dilation=",
        o.dilation);

  params_.kernel = kernel_size;
  params_.stride = o.stride;
  params_.dilation = o.dilation;
  params_.groups = o.groups;
  if (same) {
    params_.pad_h = same_padding(kernel_size.h, o.dilation.h);
    params_.pad_w = same_padding(kernel_size.w, o.dilation.w);
  } else if (!o.padding.is_named()) {  // "valid" is no padding
    params_.pad_h = o.padding.size().h;
    params_.pad_w = o.padding.size().w;
  }
  reset_parameters(0);
}

void Conv2d::reset_parameters(uint64_t seed) {
  const Hw k = params_.kernel;
  const int64_t fan_in = in_channels_ / params_.groups * k.h * k.w;
  weight_ = fan_in_uniform({out_channels_, in_channels_ / params_.groups, k.h, k.w}, fan_in, seed);
  if (options_.bias) bias_ = fan_in_uniform({out_channels_}, fan_in, seed + 1);
  repack();
}

void Conv2d::set_weight(Tensor weight) {
  check_parameter_shape("Conv2d", "weight", weight, weight_.shape());
  weight_ = std::move(weight);
  repack();
}

void Conv2d::repack() {
  const Shape& s = weight_.shape();
  const auto weight = [&](int64_t o, int64_t c, int64_t a, int64_t b) { return weight_.at(o, c, a, b); };
  packed_ = kernels::pack_conv_weights(params_.groups, s[1], s[0] / params_.groups, s[2], s[3], weight);
  if (params_.kernel == Hw(3) && params_.stride == Hw(1))
    winograd_ = kernels::transform_winograd_weights(params_.groups, s[1], s[0] / params_.groups, weight);
  const int64_t kh = params_.kernel.h;
  if ((kh == 3 || kh == 5 || kh == 7) && params_.stride.h == 2)  // those row_winograd_applies may take
    row_winograd_ =
        kernels::transform_row_winograd_weights(params_.groups, s[1], s[0] / params_.groups, kh, s[3], weight);
}

void Conv2d::set_bias(Tensor bias) {
  check(options_.bias, "Conv2d: set_bias on a module constructed with bias=false");
  check_parameter_shape("Conv2d", "bias", bias, bias_.shape());
  bias_ = std::move(bias);
}

Shape Conv2d::output_shape(const Shape& input) const {
  check(input.rank() == 3 || input.rank() == 4,
        "Conv2d: expected 3D (unbatched) or 4D (batched) input, but got input of size: ", input);
  const bool batched = input.rank() == 4;
  const int64_t channels = input[-3], height = input[-2], width = input[-1];
  check(channels == in_channels_, "Conv2d: expected input", input, " to have ", in_channels_,
        " channels (in_channels), but got ", channels, " channels instead");
  check(height > 0 && width > 0, "Conv2d: expected an input with non-zero height and width, but got input of size: ",
        input);
  const Conv2dParams& p = params_;
  if (p.padding_mode == PaddingMode::reflect) {
    check(p.pad_h.end < height && p.pad_w.end < width, "Conv2d: padding_mode='reflect' needs padding < input size, ",
          "but got padding (", p.pad_h.begin, ", ", p.pad_h.end, ") x (", p.pad_w.begin, ", ", p.pad_w.end,
          ") for input of size: ", input);
  } else if (p.padding_mode == PaddingMode::circular) {
    check(p.pad_h.end <= height && p.pad_w.end <= width,
          "Conv2d: padding_mode='circular' needs padding <= input size (padding value causes wrapping around more "
          "than once), but got padding (", p.pad_h.begin, ", ", p.pad_h.end, ") x (", p.pad_w.begin, ", ",
          p.pad_w.end, ") for input of size: ", input);
  }
  const int64_t oh = conv_output_size(height, p.kernel.h, p.stride.h, p.pad_h, p.dilation.h);
  const int64_t ow = conv_output_size(width, p.kernel.w, p.stride.w, p.pad_w, p.dilation.w);
  check(oh > 0 && ow > 0, "Conv2d: input of size ", input, " is too small: calculated padded input size per channel: (",
        height + p.pad_h.begin + p.pad_h.end, " x ", width + p.pad_w.begin + p.pad_w.end, "), dilated kernel size: (",
        dilated_kernel_size(p.kernel.h, p.dilation.h), " x ", dilated_kernel_size(p.kernel.w, p.dilation.w),
        "). Kernel size can't be greater than actual input size");
  return batched ? Shape{input[0], out_channels_, oh, ow} : Shape{out_channels_, oh, ow};
}

kernels::ConvPass Conv2d::make_pass(const Shape& input) const {
  const Shape output = output_shape(input);
  kernels::ConvPass pass;
  pass.batch = input.rank() == 4 ? input[0] : 1;
  pass.in_h = input[-2];
  pass.in_w = input[-1];
  pass.out_h = output[-2];
  pass.out_w = output[-1];
  const Conv2dParams& p = params_;
  if (p.kernel == Hw(1) && p.stride == Hw(1) && p.pad_h == Pad(0) && p.pad_w == Pad(0)) {
    // A pointwise convolution is one GEMM over all pixels: one long row fills the microkernels. Its
    // tiles go through the panel like any other: read in place, the planes (12.5 KB apart for 56²) put
    // the rows a register tile reads on a quarter of the L1's sets (c7 on one AVX2 thread: 5.4 ms in
    // place, 4.8 ms through the panel).
    pass.in_w = pass.out_w = pass.in_h * pass.in_w;
    pass.in_h = pass.out_h = 1;
  }
  pass.out_channel_stride = pass.out_h * pass.out_w;
  pass.out_batch_stride = out_channels_ * pass.out_channel_stride;
  pass.out_row_stride = pass.out_w;
  pass.stride_h = p.stride.h;
  pass.stride_w = p.stride.w;
  pass.dilation_h = p.dilation.h;
  pass.dilation_w = p.dilation.w;
  pass.pad_top = p.pad_h.begin;
  pass.pad_left = p.pad_w.begin;
  pass.padding_mode = p.padding_mode;
  pass.weights = &packed_;
  pass.bias = bias_.defined() ? bias_.data() : nullptr;
  return pass;
}

ConvAlgorithm Conv2d::algorithm_for(const Shape& input) const {
  const kernels::ConvPass pass = make_pass(input);
  const bool winograd = kernels::use_winograd(algorithm_, pass) || kernels::use_row_winograd(algorithm_, pass);
  return winograd ? ConvAlgorithm::winograd : ConvAlgorithm::direct;
}

Tensor Conv2d::forward(const Tensor& input, const Epilogue& epilogue) const {
  kernels::ConvPass pass = make_pass(input.shape());
  Tensor output(output_shape(input.shape()));
  epilogue.check_for("Conv2d", out_channels_, output.shape());
  pass.input = input.data();
  pass.output = output.data();
  pass.epilogue = epilogue;
  pass.residual = epilogue.residual() ? epilogue.residual()->data() : nullptr;
  const bool winograd = kernels::use_winograd(algorithm_, pass);
  const bool row_winograd = !winograd && kernels::use_row_winograd(algorithm_, pass);
  // In place (the output in the residual's memory: the ONNX plan's layout for a residual read last here),
  // each residual value must be read before the output there is written. Winograd's tiles and the direct
  // kernel's register chains (the row Winograd's too) do that; its walks over stored outputs and the
  // depthwise kernel (any layer with one input and one output channel per group may take it) read a copy.
  const bool depthwise = in_channels_ == params_.groups && out_channels_ == params_.groups;
  Tensor copy;
  if (pass.residual == pass.output && !winograd && (depthwise || !register_chain(epilogue).inlined))
    copy = epilogue.residual()->clone(), pass.residual = copy.data();
  if (winograd) kernels::run_winograd_pass(pass, winograd_);
  else if (row_winograd) kernels::run_row_winograd_pass(pass, row_winograd_);
  else kernels::run_conv_pass(pass);
  return output;
}

std::ostream& operator<<(std::ostream& os, const Conv2d& conv) {
  const Conv2dOptions& o = conv.options();
  os << "Conv2d(" << conv.in_channels() << ", " << conv.out_channels() << ", kernel_size=" << conv.kernel_size()
     << ", stride=" << o.stride;
  if (o.padding.is_named()) os << ", padding=" << o.padding.name();
  else if (o.padding.size() != Hw(0)) os << ", padding=" << o.padding.size();
  if (o.dilation != Hw(1)) os << ", dilation=" << o.dilation;
  if (o.groups != 1) os << ", groups=" << o.groups;
  if (!o.bias) os << ", bias=False";
  if (o.padding_mode != "zeros") os << ", padding_mode=" << o.padding_mode;
  return os << ')';
}

}  // namespace strider
