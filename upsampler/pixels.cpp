#include "pixels.hpp"

#include <algorithm>
#include <cstdint>

#include "core/check.hpp"
#include "core/parallel.hpp"
#include "vision/image_tensor.hpp"

namespace strider::upsampler {
namespace {

using vision::depth_scale;

// Both conversions run on every thread: between the model's calls, one thread's copy left the others idle
// (1 % of the upsampler's time).
template <class T>
void read_region(const cv::Mat& image, const cv::Rect& rect, Tensor& out) {
  const int channels = image.channels();
  const float scale = static_cast<float>(1.0 / depth_scale(image.depth()));
  float* planes[3] = {&out.at(0, 0, 0, 0), &out.at(0, 1, 0, 0), &out.at(0, 2, 0, 0)};
  parallel_for(0, rect.height, [&](int64_t begin, int64_t end) {
    for (auto y = static_cast<int>(begin); y < end; ++y) {
      const T* row = image.ptr<T>(std::min(rect.y + y, image.rows - 1));
      for (int x = 0; x < rect.width; ++x) {
        const T* pixel = row + static_cast<std::ptrdiff_t>(std::min(rect.x + x, image.cols - 1)) * channels;
        const int64_t at = static_cast<int64_t>(y) * rect.width + x;
        for (int c = 0; c < 3; ++c)  // BGR -> RGB; grey repeats its one channel
          planes[c][at] = static_cast<float>(pixel[channels == 1 ? 0 : 2 - c]) * scale;
      }
    }
  });
}

template <class T>
T quantize(float value, double scale) {
  const double v = std::clamp(static_cast<double>(value), 0.0, 1.0) * scale;
  if constexpr (std::is_floating_point_v<T>)
    return static_cast<T>(v);
  else  // std::lround(v): v (a float times 255 or 65535) and v + 0.5 are exact doubles; NaN (bad weights) is 0
    return v >= 0.0 ? static_cast<T>(v + 0.5) : T{0};
}

template <class T>
void write_region(const Tensor& tensor, int from_y, int from_x, cv::Mat& image, const cv::Rect& rect) {
  const int channels = image.channels();
  const double scale = depth_scale(image.depth());
  const int64_t width = tensor.size(3), plane = tensor.size(2) * width;
  const float* r = tensor.data();
  parallel_for(0, rect.height, [&](int64_t begin, int64_t end) {
    for (auto y = static_cast<int>(begin); y < end; ++y) {
      T* row = image.ptr<T>(rect.y + y) + static_cast<std::ptrdiff_t>(rect.x) * channels;
      const int64_t base = static_cast<int64_t>(from_y + y) * width + from_x;
      for (int x = 0; x < rect.width; ++x) {
        const int64_t at = base + x;
        if (channels == 1) {
          row[x] = quantize<T>((r[at] + r[plane + at] + r[2 * plane + at]) / 3.0f, scale);
        } else {
          for (int c = 0; c < 3; ++c) row[x * 3 + c] = quantize<T>(r[(2 - c) * plane + at], scale);
        }
      }
    }
  });
}

void check_image(const cv::Mat& image, const char* what) {
  check(image.channels() == 1 || image.channels() == 3, what, ": expected a grey or BGR image, but got ",
        image.channels(), " channels");
  check(image.depth() == CV_8U || image.depth() == CV_16U || image.depth() == CV_32F, what,
        ": expected 8-bit, 16-bit or float pixels, but got OpenCV depth ", image.depth());
}

}  // namespace

Tensor region_to_tensor(const cv::Mat& image, const cv::Rect& rect) {
  check_image(image, "region_to_tensor");
  check(rect.x >= 0 && rect.y >= 0 && rect.x < image.cols && rect.y < image.rows && rect.width > 0 &&
            rect.height > 0,
        "region_to_tensor: rectangle ", rect, " does not start inside the ", image.cols, "x", image.rows, " image");
  Tensor out({1, 3, rect.height, rect.width});
  switch (image.depth()) {
    case CV_8U: read_region<uint8_t>(image, rect, out); break;
    case CV_16U: read_region<uint16_t>(image, rect, out); break;
    default: read_region<float>(image, rect, out); break;
  }
  return out;
}

void tensor_to_region(const Tensor& tensor, int from_y, int from_x, cv::Mat& image, const cv::Rect& rect) {
  check_image(image, "tensor_to_region");
  check(tensor.rank() == 4 && tensor.size(0) == 1 && tensor.size(1) == 3 && from_y >= 0 && from_x >= 0 &&
            from_y + rect.height <= tensor.size(2) && from_x + rect.width <= tensor.size(3),
        "tensor_to_region: ", rect.width, "x", rect.height, " pixels from (", from_y, ", ", from_x,
        ") do not fit a tensor of shape ", tensor.shape());
  check((rect & cv::Rect(0, 0, image.cols, image.rows)) == rect, "tensor_to_region: rectangle ", rect,
        " leaves the ", image.cols, "x", image.rows, " image");
  switch (image.depth()) {
    case CV_8U: write_region<uint8_t>(tensor, from_y, from_x, image, rect); break;
    case CV_16U: write_region<uint16_t>(tensor, from_y, from_x, image, rect); break;
    default: write_region<float>(tensor, from_y, from_x, image, rect); break;
  }
}

}  // namespace strider::upsampler
