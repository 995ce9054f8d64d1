// ×2 bilinear upsampling written as what it is: a depthwise ConvTranspose2d (k = 4, s = 2, p = 1) whose
// kernel is the outer product of [1/4, 3/4, 3/4, 1/4] — the same pixels as
// F.interpolate(scale_factor=2, mode='bilinear', align_corners=False).
//
//   bilinear_x2 [INPUT] [OUTPUT]     (defaults: the bundled photo, ./astronaut_256_x2.png)
#include <chrono>
#include <exception>
#include <iostream>

#include <opencv2/core.hpp>

#include "image_io.hpp"
#include "strider.hpp"

using namespace strider;

int main(int argc, char** argv) try {
  const std::filesystem::path input = argc > 1 ? argv[1] : STRIDER_SAMPLE_DATA "/astronaut_256.png";
  const std::filesystem::path output = argc > 2 ? argv[2] : "astronaut_256_x2.png";

  // Zero padding would darken the border; bilinear interpolation clamps to the edge. Replicate one
  // pixel before and crop the two output pixels it produces on each side.
  cv::Mat image = samples::read_image(input), padded;
  cv::copyMakeBorder(image, padded, 1, 1, 1, 1, cv::BORDER_REPLICATE);
  const Tensor x = samples::image_to_tensor(padded);  // [1, C, H + 2, W + 2]
  const int64_t channels = x.size(1);

  ConvTranspose2d upsample(channels, channels, 4, {.stride = 2, .padding = 1, .groups = channels, .bias = false});
  Tensor weight({channels, 1, 4, 4});
  const float taps[4] = {0.25f, 0.75f, 0.75f, 0.25f};
  for (int64_t c = 0; c < channels; ++c)
    for (int i = 0; i < 4; ++i)
      for (int j = 0; j < 4; ++j) weight.at(c, 0, i, j) = taps[i] * taps[j];
  upsample.set_weight(std::move(weight));

  const auto start = std::chrono::steady_clock::now();
  const Tensor y = upsample(x);  // [1, C, 2H + 4, 2W + 4]
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();

  const cv::Mat result = samples::tensor_to_image(y)(cv::Rect(2, 2, image.cols * 2, image.rows * 2)).clone();
  samples::write_image(output, result);
  std::cout << upsample << "\n  " << input.string() << ' ' << x.shape() << " -> " << y.shape() << " in " << ms
            << " ms (" << get_num_threads() << " threads)\n  wrote " << output.string() << " (" << result.cols << 'x'
            << result.rows << ")\n";
  return 0;
} catch (const std::exception& e) {
  std::cerr << "bilinear_x2: " << e.what() << '\n';
  return 2;
}
