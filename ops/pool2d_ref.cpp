// Pooling references: the definitions in plain loops. Fast kernels are judged against them.
#include <cmath>
#include <limits>

#include "pool2d.hpp"

namespace strider::ref {

namespace {

// The taps of one window along one axis: start + a·dilation for a < kernel.
struct Taps {
  int64_t start, kernel, dilation;
  int64_t at(int64_t a) const { return start + a * dilation; }
};

Taps window(int64_t out_index, int64_t stride, int64_t padding, int64_t kernel, int64_t dilation) {
  return {out_index * stride - padding, kernel, dilation};
}

}  // namespace

Tensor max_pool2d(const Tensor& input, const Pool2dParams& p, std::vector<int64_t>* indices) {
  const int64_t batch = input.size(0), channels = input.size(1), height = input.size(2), width = input.size(3);
  const int64_t out_h = pool_output_size(height, p.kernel.h, p.stride.h, p.padding.h, p.dilation.h, p.ceil_mode);
  const int64_t out_w = pool_output_size(width, p.kernel.w, p.stride.w, p.padding.w, p.dilation.w, p.ceil_mode);
  Tensor output({batch, channels, out_h, out_w});
  if (indices) indices->assign(static_cast<std::size_t>(output.numel()), 0);

  for (int64_t n = 0; n < batch; ++n) {
    for (int64_t c = 0; c < channels; ++c) {
      for (int64_t i = 0; i < out_h; ++i) {
        const Taps th = window(i, p.stride.h, p.padding.h, p.kernel.h, p.dilation.h);
        for (int64_t j = 0; j < out_w; ++j) {
          const Taps tw = window(j, p.stride.w, p.padding.w, p.kernel.w, p.dilation.w);
          float best = -std::numeric_limits<float>::infinity();
          int64_t best_index = -1;
          for (int64_t a = 0; a < th.kernel; ++a) {
            const int64_t h = th.at(a);
            if (h < 0 || h >= height) continue;  // taps outside the input never win: -inf padding
            for (int64_t b = 0; b < tw.kernel; ++b) {
              const int64_t w = tw.at(b);
              if (w < 0 || w >= width) continue;
              const float v = input.at(n, c, h, w);
              if (best_index < 0) best_index = h * width + w;  // an all -inf window reports its first tap
              if (v > best || std::isnan(v)) {
                best = v;
                best_index = h * width + w;
              }
            }
          }
          output.at(n, c, i, j) = best;
          if (indices) (*indices)[static_cast<std::size_t>(((n * channels + c) * out_h + i) * out_w + j)] = best_index;
        }
      }
    }
  }
  return output;
}

Tensor avg_pool2d(const Tensor& input, const Pool2dParams& p, bool count_include_pad,
                  std::optional<int64_t> divisor_override) {
  const int64_t batch = input.size(0), channels = input.size(1), height = input.size(2), width = input.size(3);
  const int64_t out_h = pool_output_size(height, p.kernel.h, p.stride.h, p.padding.h, p.dilation.h, p.ceil_mode);
  const int64_t out_w = pool_output_size(width, p.kernel.w, p.stride.w, p.padding.w, p.dilation.w, p.ceil_mode);
  Tensor output({batch, channels, out_h, out_w});

  for (int64_t n = 0; n < batch; ++n) {
    for (int64_t c = 0; c < channels; ++c) {
      for (int64_t i = 0; i < out_h; ++i) {
        const Taps th = window(i, p.stride.h, p.padding.h, p.kernel.h, p.dilation.h);
        for (int64_t j = 0; j < out_w; ++j) {
          const Taps tw = window(j, p.stride.w, p.padding.w, p.kernel.w, p.dilation.w);
          double sum = 0.0;
          for (int64_t a = 0; a < th.kernel; ++a) {
            const int64_t h = th.at(a);
            if (h < 0 || h >= height) continue;
            for (int64_t b = 0; b < tw.kernel; ++b) {
              const int64_t w = tw.at(b);
              if (w >= 0 && w < width) sum += input.at(n, c, h, w);
            }
          }
          const int64_t divisor =
              divisor_override
                  ? *divisor_override
                  : pool_window_taps(i, height, p.kernel.h, p.stride.h, p.padding.h, p.dilation.h, count_include_pad) *
                        pool_window_taps(j, width, p.kernel.w, p.stride.w, p.padding.w, p.dilation.w, count_include_pad);
          output.at(n, c, i, j) = static_cast<float>(sum / static_cast<double>(divisor));
        }
      }
    }
  }
  return output;
}

}  // namespace strider::ref
