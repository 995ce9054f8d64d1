#pragma once
// OpenCV images <-> Strider tensors (find_package(Strider COMPONENTS vision), target Strider::vision).
//
//   to_tensor / to_image   convert: HWC or CHW, BGR <-> RGB, 8 / 16-bit or float, scale, mean, std.
//   wrap_image / wrap_tensor   share memory, no copy: a float image is a [1, H, W, C] tensor as it is.
//
// Every function is a pure function of its arguments: safe from any number of threads.
#include <vector>

#include <opencv2/core.hpp>

#include "../core/tensor.hpp"

namespace strider::vision {

enum class Layout {
  chw,  // [1, C, H, W]: what Strider's operators and PyTorch models take
  hwc,  // [1, H, W, C]: OpenCV's (and numpy's) own order
};

// How a pixel p of channel c becomes a tensor value: (p · scale − mean[c]) / std[c], with c counted in
// the tensor's channel order (after the BGR -> RGB swap).
struct PixelFormat {
  Layout layout = Layout::chw;
  bool rgb = true;            // OpenCV keeps BGR(A): give the tensor RGB(A). Ignored for 1 or 2 channels.
  double scale = 0;           // 0: 1 / the depth's full scale (1/255, 1/65535; 1 for float images)
  std::vector<float> mean{};  // one per channel, or empty for 0
  std::vector<float> std{};   // one per channel, or empty for 1
};

// An image of 1 to 4 channels, 8-bit, 16-bit or float (any step: ROIs are fine) as a new tensor.
Tensor to_tensor(const cv::Mat& image, const PixelFormat& format = {});
// The inverse: a [1, C, H, W] or [1, H, W, C] tensor (as `format.layout` says, C = 1 to 4) as an image of
// `depth` (CV_8U, CV_16U or CV_32F), rounded to nearest and saturated for the integer depths.
cv::Mat to_image(const Tensor& tensor, int depth, const PixelFormat& format = {});

// A CV_32F image of C channels as a [1, H, W, C] tensor of its own values, without a copy when the image
// is continuous. A const image gives a read-only view; a ROI of it (rows apart in memory) gives a packed
// copy. A writable view needs a continuous image (cv::Mat::isContinuous).
ConstTensor wrap_image(const cv::Mat& image);
Tensor wrap_image(cv::Mat& image);
// A [1, H, W, C] tensor (C = 1 to 4) as a CV_32FC(C) image header over its memory, which must outlive it.
cv::Mat wrap_tensor(Tensor& tensor);

// Full scale of an OpenCV depth: 255 for CV_8U, 65535 for CV_16U, 1 for CV_32F.
double depth_scale(int depth);

}  // namespace strider::vision
