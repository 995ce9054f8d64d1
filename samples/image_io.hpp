#pragma once
// OpenCV images <-> Strider tensors. OpenCV stays in the samples: core/ and ops/ do not depend on it.
#include <filesystem>
#include <vector>

#include <opencv2/core.hpp>

#include "core/tensor.hpp"

namespace strider::samples {

// An 8-bit BGR or grey image as a [1, C, H, W] tensor, RGB channel order, values in [0, 1].
Tensor image_to_tensor(const cv::Mat& image);
// The inverse: [1, C, H, W] (C = 1 or 3) in [0, 1], rounded and clamped to 8 bits.
cv::Mat tensor_to_image(const Tensor& tensor);

// Reads an image with OpenCV; throws std::invalid_argument naming the file if it cannot.
cv::Mat read_image(const std::filesystem::path& path);
// Encodes by the extension, with OpenCV's imwrite `params`, and writes atomically (core/files.hpp); throws
// naming the file.
void write_image(const std::filesystem::path& path, const cv::Mat& image, const std::vector<int>& params = {});

}  // namespace strider::samples
