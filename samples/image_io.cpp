#include "image_io.hpp"

#include <vector>

#include <opencv2/imgcodecs.hpp>

#include "core/check.hpp"
#include "core/files.hpp"
#include "vision/image_file.hpp"
#include "vision/image_tensor.hpp"

namespace strider::samples {

Tensor image_to_tensor(const cv::Mat& image) {
  check(image.depth() == CV_8U && (image.channels() == 1 || image.channels() == 3),
        "image_to_tensor: expected an 8-bit grey or BGR image, but got ", image.channels(), " channels of depth ",
        image.depth());
  return vision::to_tensor(image);
}

cv::Mat tensor_to_image(const Tensor& t) {
  check(t.rank() == 4 && t.size(0) == 1 && (t.size(1) == 1 || t.size(1) == 3),
        "tensor_to_image: expected a [1, 1 or 3, H, W] tensor, but got ", t.shape());
  return vision::to_image(t, CV_8U);
}

cv::Mat read_image(const std::filesystem::path& path) {
  // 8-bit BGR, within vision::read_image's pixel limit.
  return vision::read_image(path, {.imread_flags = cv::IMREAD_COLOR});
}

void write_image(const std::filesystem::path& path, const cv::Mat& image, const std::vector<int>& params) {
  std::vector<uchar> bytes;
  check(cv::imencode(path.extension().string(), image, bytes, params), "cannot encode image '", path.string(), "'");
  write_file_atomically(path, {{reinterpret_cast<const char*>(bytes.data()), bytes.size()}}, "cannot write image");
}

}  // namespace strider::samples
