#include "compare.hpp"

#include <algorithm>
#include <array>
#include <string>

#include <opencv2/imgproc.hpp>

#include "core/check.hpp"
#include "vision/image_tensor.hpp"

namespace strider::upsampler {
namespace {

constexpr int panel_width = 512;
constexpr int label_height = 28;

cv::Mat to_bgr8(const cv::Mat& image) {
  cv::Mat bgr = image, out;
  if (image.channels() == 1) cv::cvtColor(image, bgr, cv::COLOR_GRAY2BGR);
  if (image.channels() == 4) cv::cvtColor(image, bgr, cv::COLOR_BGRA2BGR);
  bgr.convertTo(out, CV_8U, 255.0 / vision::depth_scale(image.depth()));
  return out;
}

// The side-`side` square of `image` with the most gradient energy: where methods differ most.
cv::Rect most_detailed_square(const cv::Mat& image, int side) {
  cv::Mat grey, dx, dy, energy;
  cv::cvtColor(image, grey, cv::COLOR_BGR2GRAY);
  cv::Sobel(grey, dx, CV_32F, 1, 0);
  cv::Sobel(grey, dy, CV_32F, 0, 1);
  cv::boxFilter(dx.mul(dx) + dy.mul(dy), energy, CV_32F, cv::Size(side, side), cv::Point(0, 0), false,
                cv::BORDER_CONSTANT);
  cv::Point best;
  cv::minMaxLoc(energy(cv::Rect(0, 0, image.cols - side + 1, image.rows - side + 1)), nullptr, nullptr, nullptr, &best);
  return {best.x, best.y, side, side};
}

cv::Mat labelled(const cv::Mat& panel, const std::string& label) {
  cv::Mat out(panel.rows + label_height, panel.cols, CV_8UC3, cv::Scalar(255, 255, 255));
  panel.copyTo(out(cv::Rect(0, label_height, panel.cols, panel.rows)));
  cv::putText(out, label, cv::Point(8, label_height - 8), cv::FONT_HERSHEY_SIMPLEX, 0.7, cv::Scalar(0, 0, 0), 2,
              cv::LINE_AA);
  return out;
}

}  // namespace

cv::Mat compare_picture(const cv::Mat& input, const cv::Mat& output, int scale) {
  check(output.cols == input.cols * scale && output.rows == input.rows * scale, "compare: the output is ",
        output.cols, "x", output.rows, ", not ", scale, " times the ", input.cols, "x", input.rows, " input");
  const cv::Mat low = to_bgr8(input);
  std::array<cv::Mat, 3> results;
  cv::resize(low, results[0], output.size(), 0, 0, cv::INTER_NEAREST);
  cv::resize(low, results[1], output.size(), 0, 0, cv::INTER_CUBIC);
  results[2] = to_bgr8(output);
  const std::array<std::string, 3> names = {"nearest", "bicubic (OpenCV)", "Strider"};

  const int side = std::clamp(std::min(output.cols, output.rows) / 4, 1, 128);
  const cv::Rect crop = most_detailed_square(results[2], side);
  const double shrink = std::min(1.0, static_cast<double>(panel_width) / output.cols);
  const cv::Size view(std::max(1, static_cast<int>(output.cols * shrink)),
                      std::max(1, static_cast<int>(output.rows * shrink)));
  const int zoomed = view.width;  // the crop, enlarged with nearest neighbours to the panel's width
  std::array<cv::Mat, 3> columns;
  for (int i = 0; i < 3; ++i) {
    cv::Mat whole, detail;
    cv::resize(results[i], whole, view, 0, 0, cv::INTER_AREA);
    const cv::Rect marked(static_cast<int>(crop.x * shrink), static_cast<int>(crop.y * shrink),
                          std::max(2, static_cast<int>(side * shrink)), std::max(2, static_cast<int>(side * shrink)));
    cv::rectangle(whole, marked, cv::Scalar(0, 0, 255), 1);
    cv::resize(results[i](crop), detail, cv::Size(zoomed, zoomed), 0, 0, cv::INTER_NEAREST);
    cv::vconcat(labelled(whole, names[i]), detail, columns[i]);
  }
  cv::Mat picture;
  cv::hconcat(columns.data(), columns.size(), picture);
  return picture;
}

}  // namespace strider::upsampler
