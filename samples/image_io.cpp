#include "image_io.hpp"

#include <opencv2/imgcodecs.hpp>

#include "core/check.hpp"

namespace strider::samples {

Tensor image_to_tensor(const cv::Mat& image) {
  check(image.depth() == CV_8U && (image.channels() == 1 || image.channels() == 3),
        "image_to_tensor: expected an 8-bit grey or BGR image, but got ", image.channels(), " channels of depth ",
        image.depth());
  const int64_t channels = image.channels(), height = image.rows, width = image.cols;
  Tensor t({1, channels, height, width});
  for (int64_t y = 0; y < height; ++y) {
    const uint8_t* row = image.ptr<uint8_t>(static_cast<int>(y));
    for (int64_t x = 0; x < width; ++x)
      for (int64_t c = 0; c < channels; ++c)  // BGR -> RGB
        t.at(0, channels - 1 - c, y, x) = row[x * channels + c] / 255.0f;
  }
  return t;
}

cv::Mat tensor_to_image(const Tensor& t) {
  check(t.rank() == 4 && t.size(0) == 1 && (t.size(1) == 1 || t.size(1) == 3),
        "tensor_to_image: expected a [1, 1 or 3, H, W] tensor, but got ", t.shape());
  const int channels = static_cast<int>(t.size(1));
  cv::Mat image(static_cast<int>(t.size(2)), static_cast<int>(t.size(3)), CV_8UC(channels));
  for (int y = 0; y < image.rows; ++y) {
    uint8_t* row = image.ptr<uint8_t>(y);
    for (int x = 0; x < image.cols; ++x)
      for (int c = 0; c < channels; ++c)
        row[x * channels + c] = cv::saturate_cast<uint8_t>(t.at(0, channels - 1 - c, y, x) * 255.0f);
  }
  return image;
}

cv::Mat read_image(const std::filesystem::path& path) {
  cv::Mat image = cv::imread(path.string(), cv::IMREAD_COLOR);
  check(!image.empty(), "cannot read image '", path.string(), "' (missing, or a format OpenCV cannot decode)");
  return image;
}

void write_image(const std::filesystem::path& path, const cv::Mat& image) {
  check(cv::imwrite(path.string(), image), "cannot write image '", path.string(), "'");
}

}  // namespace strider::samples
