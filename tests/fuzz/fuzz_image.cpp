// libFuzzer target: the upsample program's image path on arbitrary bytes. vision::decode_image (within a
// small pixel limit) must return an image or throw std::invalid_argument, and whatever decodes goes
// through the upsampler's tiler (tiles of 16 with overlap, odd sizes, alpha, ×4), never crashing.
// The tiler runs a cheap ×2 model, nearest-neighbour Upsample: the tiling is under test, not the network.
#include <cstddef>
#include <cstdint>
#include <span>
#include <stdexcept>

#include "ops/upsample.hpp"
#include "upsampler/tiling.hpp"
#include "vision/image_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  static const strider::Upsample nearest({.scale_factor = 2.0});
  static const strider::upsampler::TileModel model{[](const strider::Tensor& x) { return nearest(x); }, 2};
  try {
    const cv::Mat image = strider::vision::decode_image(std::span(data, size), "fuzz", {.max_pixels = 4096});
    const cv::Mat big = strider::upsampler::upsample_image(image, image.rows % 2 ? 4 : 2, model, {.tile = 16});
    volatile int sink = big.rows;  // touch the result
    (void)sink;
  } catch (const std::invalid_argument&) {
  }
  return 0;
}
