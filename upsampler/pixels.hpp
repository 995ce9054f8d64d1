#pragma once
// OpenCV images of any depth the upsampler accepts (8-bit, 16-bit, or float in [0, 1]; grey or BGR) <->
// the model's [1, 3, H, W] RGB tensors in [0, 1], one rectangle at a time so that large images never
// exist as float tensors in full.
#include <opencv2/core.hpp>

#include "core/tensor.hpp"

namespace strider::upsampler {

// The rectangle `rect` of a CV_8U / CV_16U / CV_32F image with 1 or 3 channels as [1, 3, h, w] RGB in
// [0, 1]. Grey becomes three equal channels. The rectangle may reach past the bottom / right edge: those
// pixels repeat the last row / column (the model needs even sizes).
Tensor region_to_tensor(const cv::Mat& image, const cv::Rect& rect);

// Writes tensor pixels [1, 3, h, w] starting at (from_y, from_x) into `rect` of `image` (same depth and
// channel rules), clamping to [0, 1] and rounding to the image's depth. Grey takes the mean of R, G, B.
void tensor_to_region(const Tensor& tensor, int from_y, int from_x, cv::Mat& image, const cv::Rect& rect);

}  // namespace strider::upsampler
