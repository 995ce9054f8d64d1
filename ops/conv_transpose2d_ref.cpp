// ConvTranspose2d's reference: the guide's equivalent direct convolution, built literally.
#include "conv2d.hpp"
#include "conv_transpose2d.hpp"

namespace strider::ref {

Tensor conv_transpose2d(const Tensor& input, const Tensor& weight, const Tensor& bias,
                        const ConvTranspose2dParams& p) {
  const int64_t batch = input.size(0), in_channels = input.size(1), height = input.size(2), width = input.size(3);
  const int64_t group_in = in_channels / p.groups, group_out = weight.size(1);
  const int64_t out_channels = group_out * p.groups;

  // 1. Insert s - 1 zeros between neighbouring input pixels: size ĩ' = i' + (i' - 1)(s - 1).
  const TransposedConvEquivalent eh = transposed_conv_equivalent(height, p.kernel.h, p.stride.h, p.padding.h,
                                                                 p.dilation.h, p.output_padding.h);
  const TransposedConvEquivalent ew = transposed_conv_equivalent(width, p.kernel.w, p.stride.w, p.padding.w,
                                                                 p.dilation.w, p.output_padding.w);
  Tensor stretched = Tensor::zeros({batch, in_channels, eh.stretched_size, ew.stretched_size});
  for (int64_t n = 0; n < batch; ++n)
    for (int64_t c = 0; c < in_channels; ++c)
      for (int64_t h = 0; h < height; ++h)
        for (int64_t w = 0; w < width; ++w) stretched.at(n, c, h * p.stride.h, w * p.stride.w) = input.at(n, c, h, w);

  // 2. The direct convolution's kernel: in/out axes swapped within each group, flipped in both axes.
  Tensor kernel({out_channels, group_in, p.kernel.h, p.kernel.w});
  for (int64_t g = 0; g < p.groups; ++g)
    for (int64_t c = 0; c < group_in; ++c)
      for (int64_t o = 0; o < group_out; ++o)
        for (int64_t kh = 0; kh < p.kernel.h; ++kh)
          for (int64_t kw = 0; kw < p.kernel.w; ++kw)
            kernel.at(g * group_out + o, c, kh, kw) =
                weight.at(g * group_in + c, o, p.kernel.h - 1 - kh, p.kernel.w - 1 - kw);

  // 3. A stride-1 convolution padded by p' before and p' + a after.
  Conv2dParams direct;
  direct.kernel = p.kernel;
  direct.dilation = p.dilation;
  direct.groups = p.groups;
  direct.pad_h = {eh.padding, eh.padding + eh.output_padding};
  direct.pad_w = {ew.padding, ew.padding + ew.output_padding};
  return conv2d(stretched, kernel, bias, direct);
}

}  // namespace strider::ref
