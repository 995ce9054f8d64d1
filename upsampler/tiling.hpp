#pragma once
// Upsampling images of any size in overlapping tiles: memory holds the input and output images in their
// own depth plus one tile's activations, never the whole image as floats.
//
// The model is translation-equivariant for even shifts (its encoder has stride 2) and an output pixel
// depends on input pixels at most `receptive_radius` away. So a tile whose core is extended by an even
// overlap > receptive_radius on each side (clipped at the image edge, where the model's zero padding then
// falls exactly as for the whole image) gives the core's pixels as the whole image would: the same bits
// on the direct kernel, the same values but for rounding on Winograd, whose 4x4 blocks fall elsewhere.
#include <cstdint>
#include <functional>

#include <opencv2/core.hpp>

#include "core/tensor.hpp"

namespace strider::upsampler {

// A model the tiler runs: [1, 3, h, w] RGB in [0, 1] with h, w even -> [1, 3, scale·h, scale·w] (not
// clamped). Strider's models are ×2 or ×4 (as_tile_model); `upsample --model FILE.onnx` brings others.
struct TileModel {
  std::function<Tensor(const Tensor&)> forward;
  int receptive_radius;  // input pixels
  int scale = 2;
};

struct TileOptions {
  int tile;  // side of a tile's core, in input pixels (rounded up to even); ImageUpsampleOptions has the default
};

// Called after each tile with (tiles done, tiles in total).
using Progress = std::function<void(int64_t done, int64_t total)>;

// Tiles of `tile` pixels cover a width×height image: how many along each axis.
int64_t tile_count(int height, int width, const TileOptions& options);

// The model's scale of a 1- or 3-channel CV_8U / CV_16U / CV_32F image into a new image with as many
// channels and `depth` (CV_8U, CV_16U or CV_32F). Odd sizes are handled by repeating the last row /
// column and cropping the result.
cv::Mat upsample_tiled(const cv::Mat& image, int depth, const TileModel& model, const TileOptions& options,
                       const Progress& progress = {});

// `scale` = the model's scale s, or s² (two stages, the intermediate kept in 16 bits: ×4 with Strider's
// model) of a 1-, 3- or 4-channel image of 8 or 16 bits. Alpha takes the cheap path, cv::INTER_CUBIC.
cv::Mat upsample_image(const cv::Mat& image, int scale, const TileModel& model, const TileOptions& options,
                       const Progress& progress = {});

// `colour` (enlarged) with `alpha` (the input's plane, or empty) enlarged to its size by cv::INTER_CUBIC and
// appended as its last channel.
cv::Mat attach_alpha(cv::Mat colour, cv::Mat alpha);

}  // namespace strider::upsampler
