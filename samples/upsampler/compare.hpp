#pragma once
// The side-by-side picture of --compare: nearest | bicubic | Strider, each whole (at most 512 pixels
// wide) above a zoomed crop of the output's most detailed square.
#include <opencv2/core.hpp>

namespace strider::upsampler {

// input: the low-resolution image; output: Strider's result, `scale` times larger. Any depth / channels
// read_image accepts; the picture is 8-bit BGR.
cv::Mat compare_picture(const cv::Mat& input, const cv::Mat& output, int scale);

}  // namespace strider::upsampler
