#include "metrics.hpp"

#include <cmath>
#include <limits>

#include <opencv2/imgproc.hpp>

#include "core/check.hpp"
#include "vision/image_tensor.hpp"

namespace strider::upsampler {
namespace {

// The Y of both images, `border` pixels cropped; checks that they are comparable.
std::pair<cv::Mat, cv::Mat> cropped_luma(const cv::Mat& a, const cv::Mat& b, int border, const char* what) {
  check(a.size() == b.size() && a.channels() == b.channels(), what, ": images differ in size or channels: ", a.cols,
        "x", a.rows, "x", a.channels(), " vs ", b.cols, "x", b.rows, "x", b.channels());
  check(border >= 0 && 2 * border < a.rows && 2 * border < a.cols, what, ": border ", border, " leaves nothing of a ",
        a.cols, "x", a.rows, " image");
  const cv::Rect inside(border, border, a.cols - 2 * border, a.rows - 2 * border);
  return {luma(a)(inside).clone(), luma(b)(inside).clone()};
}

}  // namespace

cv::Mat luma(const cv::Mat& image) {
  check(image.depth() == CV_8U || image.depth() == CV_16U, "luma: expected 8- or 16-bit pixels, but got OpenCV depth ",
        image.depth());
  check(image.channels() == 1 || image.channels() == 3 || image.channels() == 4,
        "luma: expected 1, 3 or 4 channels, but got ", image.channels());
  cv::Mat unit;
  image.convertTo(unit, CV_64F, 1.0 / vision::depth_scale(image.depth()));
  if (unit.channels() == 1) return 16.0 + 219.0 * unit;
  // Weights for B, G, R (and alpha: 0); the extra last column is the constant 16.
  const cv::Mat weights = unit.channels() == 3 ? cv::Mat(cv::Matx<double, 1, 4>(24.966, 128.553, 65.481, 16.0))
                                               : cv::Mat(cv::Matx<double, 1, 5>(24.966, 128.553, 65.481, 0.0, 16.0));
  cv::Mat y;
  cv::transform(unit, y, weights);
  return y;
}

double y_psnr(const cv::Mat& a, const cv::Mat& b, int border) {
  const auto [ya, yb] = cropped_luma(a, b, border, "y_psnr");
  cv::Mat diff = ya - yb;
  const double mse = diff.dot(diff) / static_cast<double>(diff.total());
  return mse == 0 ? std::numeric_limits<double>::infinity() : 10.0 * std::log10(255.0 * 255.0 / mse);
}

double y_ssim(const cv::Mat& a, const cv::Mat& b, int border) {
  const auto [x, y] = cropped_luma(a, b, border, "y_ssim");
  const double c1 = std::pow(0.01 * 255, 2), c2 = std::pow(0.03 * 255, 2);
  const auto blur = [](const cv::Mat& m) {
    cv::Mat out;
    cv::GaussianBlur(m, out, cv::Size(11, 11), 1.5, 1.5, cv::BORDER_REFLECT);
    return out;
  };
  const cv::Mat mx = blur(x), my = blur(y);
  const cv::Mat vx = blur(x.mul(x)) - mx.mul(mx), vy = blur(y.mul(y)) - my.mul(my), cxy = blur(x.mul(y)) - mx.mul(my);
  const cv::Mat numerator = (2 * mx.mul(my) + c1).mul(2 * cxy + c2);
  const cv::Mat denominator = (mx.mul(mx) + my.mul(my) + c1).mul(vx + vy + c2);
  cv::Mat map;
  cv::divide(numerator, denominator, map);
  // Like scikit-image, average only where the whole window lies inside the image.
  const int pad = 5;
  check(map.rows > 2 * pad && map.cols > 2 * pad, "y_ssim: the image must exceed 11x11 pixels after the border");
  return cv::mean(map(cv::Rect(pad, pad, map.cols - 2 * pad, map.rows - 2 * pad)))[0];
}

}  // namespace strider::upsampler
