#pragma once
// Image quality as the super-resolution literature measures it: on the luma Y of BT.601 (MATLAB's
// rgb2ycbcr: Y = 16 + 65.481 R + 128.553 G + 24.966 B for R, G, B in [0, 1]; grey v gives 16 + 219 v),
// with `border` pixels ignored on every side. Matches samples/upsampler/photos.py.
#include <opencv2/core.hpp>

namespace strider::upsampler {

// 8-bit / 16-bit, grey / BGR / BGRA (alpha ignored) -> CV_64F Y on the [16, 235] scale.
cv::Mat luma(const cv::Mat& image);

// PSNR in dB with peak 255; +infinity for identical images. Sizes and channel counts must match.
double y_psnr(const cv::Mat& a, const cv::Mat& b, int border);
// SSIM with Wang et al.'s 11 × 11 Gaussian window (σ = 1.5), K1 = 0.01, K2 = 0.03, L = 255, averaged over
// the positions where the window fits (scikit-image's structural_similarity with gaussian_weights=True).
double y_ssim(const cv::Mat& a, const cv::Mat& b, int border);

}  // namespace strider::upsampler
