// Upsample's reference: PyTorch's index and weight arithmetic (float, as in ATen's UpSample.h), the
// weighted sums in double. Fast kernels are judged against it.
#include <algorithm>
#include <cmath>
#include <vector>

#include "upsample.hpp"

namespace strider::ref {

namespace {

// ATen's compute_scales_value<float>: 1 / scale_factor when the user gave one, else in / out.
float sampling_ratio(std::optional<double> scale, int64_t in, int64_t out) {
  return scale.has_value() && *scale > 0 ? static_cast<float>(1.0 / *scale)
                                         : static_cast<float>(in) / static_cast<float>(out);
}

}  // namespace

// ATen's source index for nearest / nearest-exact (its NCHW kernel: see upsample.hpp), per output index.
std::vector<int64_t> nearest_sources(int64_t in, int64_t out, std::optional<double> scale, bool exact) {
  std::vector<int64_t> src(static_cast<std::size_t>(out));
  const float ratio = sampling_ratio(scale, in, out);
  for (int64_t dst = 0; dst < out; ++dst) {
    int64_t s;
    if (exact) {
      // (dst + 0.5) is a double, so the product is too; floorf then rounds it to float first.
      s = static_cast<int64_t>(std::floor(static_cast<float>((static_cast<double>(dst) + 0.5) * ratio)));
    } else {
      s = static_cast<int64_t>(std::floor(static_cast<float>(dst) * ratio));
    }
    src[static_cast<std::size_t>(dst)] = std::min(s, in - 1);
  }
  return src;
}

// ATen's area_pixel_compute_scale + compute_source_index_and_lambda, for one axis.
std::vector<LinearTap> linear_taps(int64_t in, int64_t out, bool align_corners, std::optional<double> scale) {
  const float ratio = align_corners ? (out > 1 ? static_cast<float>(in - 1) / static_cast<float>(out - 1) : 0.0f)
                                    : sampling_ratio(scale, in, out);
  std::vector<LinearTap> taps(static_cast<std::size_t>(out));
  for (int64_t dst = 0; dst < out; ++dst) {
    LinearTap& t = taps[static_cast<std::size_t>(dst)];
    if (out == in) {
      t = {dst, dst, 1.0f, 0.0f};
      continue;
    }
    float real;
    if (align_corners) {
      real = ratio * static_cast<float>(dst);
    } else {
      real = static_cast<float>(static_cast<double>(ratio) * (static_cast<double>(dst) + 0.5) - 0.5);
      real = real < 0 ? 0.0f : real;
    }
    t.i0 = static_cast<int64_t>(real);
    t.i1 = t.i0 + (t.i0 < in - 1 ? 1 : 0);
    t.lambda1 = real - static_cast<float>(t.i0);
    t.lambda0 = 1.0f - t.lambda1;
  }
  return taps;
}

Tensor upsample_nearest2d(const Tensor& input, Hw output_size, std::optional<double> scale_h,
                          std::optional<double> scale_w, bool exact) {
  const int64_t planes = input.size(0) * input.size(1), h = input.size(2), w = input.size(3);
  const std::vector<int64_t> rows = nearest_sources(h, output_size.h, scale_h, exact);
  const std::vector<int64_t> cols = nearest_sources(w, output_size.w, scale_w, exact);
  Tensor out({input.size(0), input.size(1), output_size.h, output_size.w});
  float* y = out.data();
  for (int64_t p = 0; p < planes; ++p) {
    const float* x = input.data() + p * h * w;
    for (const int64_t r : rows)
      for (const int64_t c : cols) *y++ = x[r * w + c];
  }
  return out;
}

Tensor upsample_bilinear2d(const Tensor& input, Hw output_size, bool align_corners, std::optional<double> scale_h,
                           std::optional<double> scale_w) {
  const int64_t planes = input.size(0) * input.size(1), h = input.size(2), w = input.size(3);
  const std::vector<LinearTap> rows = linear_taps(h, output_size.h, align_corners, scale_h);
  const std::vector<LinearTap> cols = linear_taps(w, output_size.w, align_corners, scale_w);
  Tensor out({input.size(0), input.size(1), output_size.h, output_size.w});
  float* y = out.data();
  for (int64_t p = 0; p < planes; ++p) {
    const float* x = input.data() + p * h * w;
    for (const LinearTap& r : rows) {
      for (const LinearTap& c : cols) {
        const auto row = [&](int64_t i) {
          return double{c.lambda0} * x[i * w + c.i0] + double{c.lambda1} * x[i * w + c.i1];
        };
        *y++ = static_cast<float>(double{r.lambda0} * row(r.i0) + double{r.lambda1} * row(r.i1));
      }
    }
  }
  return out;
}

}  // namespace strider::ref
