// Conv2d's reference: the definition in plain loops. Fast kernels are judged against it.
#include "conv2d.hpp"

namespace strider::ref {

Tensor conv2d(const Tensor& input, const Tensor& weight, const Tensor& bias, const Conv2dParams& p) {
  const int64_t batch = input.size(0), in_channels = input.size(1), height = input.size(2), width = input.size(3);
  const int64_t out_channels = weight.size(0);
  const int64_t group_in = in_channels / p.groups, group_out = out_channels / p.groups;
  // Relation 15 with asymmetric (possibly negative) padding.
  const int64_t out_h =
      floor_div(height + p.pad_h.begin + p.pad_h.end - dilated_kernel_size(p.kernel.h, p.dilation.h), p.stride.h) + 1;
  const int64_t out_w =
      floor_div(width + p.pad_w.begin + p.pad_w.end - dilated_kernel_size(p.kernel.w, p.dilation.w), p.stride.w) + 1;

  Tensor output({batch, out_channels, out_h, out_w});
  for (int64_t n = 0; n < batch; ++n) {
    for (int64_t o = 0; o < out_channels; ++o) {
      const int64_t first_channel = o / group_out * group_in;
      for (int64_t i = 0; i < out_h; ++i) {
        for (int64_t j = 0; j < out_w; ++j) {
          double sum = bias.defined() ? bias[o] : 0.0;
          for (int64_t c = 0; c < group_in; ++c) {
            for (int64_t kh = 0; kh < p.kernel.h; ++kh) {
              const int64_t h = padded_source_index(i * p.stride.h + kh * p.dilation.h - p.pad_h.begin, height, p.padding_mode);
              if (h < 0) continue;
              for (int64_t kw = 0; kw < p.kernel.w; ++kw) {
                const int64_t w =
                    padded_source_index(j * p.stride.w + kw * p.dilation.w - p.pad_w.begin, width, p.padding_mode);
                if (w < 0) continue;
                sum += double(input.at(n, first_channel + c, h, w)) * double(weight.at(o, c, kh, kw));
              }
            }
          }
          output.at(n, o, i, j) = static_cast<float>(sum);
        }
      }
    }
  }
  return output;
}

}  // namespace strider::ref
