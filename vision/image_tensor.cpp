#include "image_tensor.hpp"

#include <array>
#include <cstdint>

#include "core/check.hpp"

namespace strider::vision {
namespace {

void check_depth(int depth, const char* what) {
  check(depth == CV_8U || depth == CV_16U || depth == CV_32F, what,
        ": expected 8-bit, 16-bit or float pixels (CV_8U, CV_16U, CV_32F), but got OpenCV depth ", depth);
}

// Per-channel affine map value = pixel · gain[c] + offset[c], channels in tensor order; the image
// channel of tensor channel c is source[c].
struct ChannelMap {
  std::array<double, 4> gain{}, offset{};
  std::array<int, 4> source{};
};

ChannelMap channel_map(int channels, int depth, const PixelFormat& format, const char* what) {
  check(channels >= 1 && channels <= 4, what, ": expected 1 to 4 channels, but got ", channels);
  check(format.mean.empty() || static_cast<int>(format.mean.size()) == channels, what, ": mean has ",
        format.mean.size(), " values for ", channels, " channels");
  check(format.std.empty() || static_cast<int>(format.std.size()) == channels, what, ": std has ",
        format.std.size(), " values for ", channels, " channels");
  check(format.scale >= 0, what, ": scale must be positive (or 0 for the depth's), but got ", format.scale);
  const double scale = format.scale > 0 ? format.scale : 1.0 / depth_scale(depth);
  ChannelMap map;
  for (int c = 0; c < channels; ++c) {
    const double mean = format.mean.empty() ? 0.0 : format.mean[c];
    const double stddev = format.std.empty() ? 1.0 : format.std[c];
    check(stddev != 0, what, ": std[", c, "] must not be 0");
    map.gain[c] = scale / stddev;
    map.offset[c] = -mean / stddev;
    map.source[c] = format.rgb && channels >= 3 && c < 3 ? 2 - c : c;
  }
  return map;
}

// Tensor element of (y, x, c) for the layout: [1, C, H, W] or [1, H, W, C].
int64_t element(const PixelFormat& format, int channels, int rows, int cols, int y, int x, int c) {
  const int64_t pixel = static_cast<int64_t>(y) * cols + x;
  return format.layout == Layout::chw ? static_cast<int64_t>(c) * rows * cols + pixel : pixel * channels + c;
}

template <class T>
void read_pixels(const cv::Mat& image, const ChannelMap& map, const PixelFormat& format, float* out) {
  const int channels = image.channels();
  for (int y = 0; y < image.rows; ++y) {
    const T* row = image.ptr<T>(y);
    for (int x = 0; x < image.cols; ++x)
      for (int c = 0; c < channels; ++c)
        out[element(format, channels, image.rows, image.cols, y, x, c)] =
            static_cast<float>(row[x * channels + map.source[c]] * map.gain[c] + map.offset[c]);
  }
}

template <class T>
void write_pixels(const float* in, const ChannelMap& map, const PixelFormat& format, cv::Mat& image) {
  const int channels = image.channels();
  for (int y = 0; y < image.rows; ++y) {
    T* row = image.ptr<T>(y);
    for (int x = 0; x < image.cols; ++x)
      for (int c = 0; c < channels; ++c)
        row[x * channels + map.source[c]] = cv::saturate_cast<T>(
            (in[element(format, channels, image.rows, image.cols, y, x, c)] - map.offset[c]) / map.gain[c]);
  }
}

std::array<int64_t, 4> hwc_strides(const cv::Mat& image) {
  check(image.dims == 2 && image.depth() == CV_32F && image.step[0] % sizeof(float) == 0,
        "wrap_image: expected a 2-D CV_32F image with whole-float rows, but got depth ",
        image.depth(), " with ", image.dims, " dimensions");
  const auto row = static_cast<int64_t>(image.step[0] / sizeof(float));
  return {row * image.rows, row, image.channels(), 1};
}

Shape hwc_shape(const cv::Mat& image) { return {1, image.rows, image.cols, image.channels()}; }

}  // namespace

double depth_scale(int depth) {
  check_depth(depth, "depth_scale");
  return depth == CV_8U ? 255.0 : depth == CV_16U ? 65535.0 : 1.0;
}

Tensor to_tensor(const cv::Mat& image, const PixelFormat& format) {
  check(image.dims == 2 && !image.empty(), "to_tensor: expected a non-empty 2-D image, but got ", image.rows, "x",
        image.cols, " with ", image.dims, " dimensions");
  check_depth(image.depth(), "to_tensor");
  const int channels = image.channels();
  const ChannelMap map = channel_map(channels, image.depth(), format, "to_tensor");
  Tensor out = format.layout == Layout::chw ? Tensor({1, channels, image.rows, image.cols})
                                            : Tensor({1, image.rows, image.cols, channels});
  switch (image.depth()) {
    case CV_8U: read_pixels<uint8_t>(image, map, format, out.data()); break;
    case CV_16U: read_pixels<uint16_t>(image, map, format, out.data()); break;
    default: read_pixels<float>(image, map, format, out.data()); break;
  }
  return out;
}

cv::Mat to_image(const Tensor& tensor, int depth, const PixelFormat& format) {
  check_depth(depth, "to_image");
  const bool chw = format.layout == Layout::chw;
  check(tensor.rank() == 4 && tensor.size(0) == 1 && tensor.size(chw ? 1 : 3) >= 1 && tensor.size(chw ? 1 : 3) <= 4,
        "to_image: expected a ", chw ? "[1, C, H, W]" : "[1, H, W, C]", " tensor with C = 1 to 4, but got ",
        tensor.shape());
  const int64_t channels = tensor.size(chw ? 1 : 3), rows = tensor.size(chw ? 2 : 1), cols = tensor.size(chw ? 3 : 2);
  check(rows <= (1 << 30) && cols <= (1 << 30), "to_image: ", rows, "x", cols, " is too large for a cv::Mat");
  const ChannelMap map = channel_map(static_cast<int>(channels), depth, format, "to_image");
  cv::Mat image(static_cast<int>(rows), static_cast<int>(cols), CV_MAKETYPE(depth, static_cast<int>(channels)));
  switch (depth) {
    case CV_8U: write_pixels<uint8_t>(tensor.data(), map, format, image); break;
    case CV_16U: write_pixels<uint16_t>(tensor.data(), map, format, image); break;
    default: write_pixels<float>(tensor.data(), map, format, image); break;
  }
  return image;
}

ConstTensor wrap_image(const cv::Mat& image) {
  const std::array<int64_t, 4> strides = hwc_strides(image);
  return Tensor::wrap(image.ptr<float>(), hwc_shape(image), strides);
}

Tensor wrap_image(cv::Mat& image) {
  const std::array<int64_t, 4> strides = hwc_strides(image);
  return Tensor::wrap(image.ptr<float>(), hwc_shape(image), strides);
}

cv::Mat wrap_tensor(Tensor& tensor) {
  check(tensor.rank() == 4 && tensor.size(0) == 1 && tensor.size(3) >= 1 && tensor.size(3) <= 4 &&
            tensor.size(1) <= (1 << 30) && tensor.size(2) <= (1 << 30),
        "wrap_tensor: expected a [1, H, W, C] tensor with C = 1 to 4, but got ", tensor.shape());
  return cv::Mat(static_cast<int>(tensor.size(1)), static_cast<int>(tensor.size(2)),
                 CV_32FC(static_cast<int>(tensor.size(3))), tensor.data());
}

}  // namespace strider::vision
