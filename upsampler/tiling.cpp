#include "tiling.hpp"

#include <algorithm>
#include <vector>

#include <opencv2/imgproc.hpp>

#include "core/arena.hpp"
#include "core/check.hpp"
#include "pixels.hpp"

namespace strider::upsampler {
namespace {

int round_up_even(int n) { return n + n % 2; }

int64_t tiles_along(int size, int tile) { return (size + tile - 1) / tile; }

}  // namespace

int64_t tile_count(int height, int width, const TileOptions& options) {
  const int tile = round_up_even(options.tile);
  return tiles_along(round_up_even(height), tile) * tiles_along(round_up_even(width), tile);
}

cv::Mat upsample_tiled(const cv::Mat& image, int depth, const TileModel& model, const TileOptions& options,
                          const Progress& progress) {
  check(options.tile >= 1, "upsample: --tile must be at least 1, but got ", options.tile);
  check(!image.empty(), "upsample: the image is empty");
  const int tile = round_up_even(options.tile), overlap = round_up_even(model.receptive_radius + 1);
  // The model sees an even-sized image: the last row / column repeated (region_to_tensor reads past the edge).
  const int height = round_up_even(image.rows), width = round_up_even(image.cols);
  const int s = model.scale;
  cv::Mat out(s * image.rows, s * image.cols, CV_MAKETYPE(depth, image.channels()));
  // Core [y0, y1) × [x0, x1) of each tile; the model runs on the core plus `overlap` on each side, within the
  // image. The largest regions first: a model's activations, kept between calls and grown to the largest
  // input so far, are then allocated once. In raster order each larger tile grew them anew (Strider's ×2 at
  // 1080p: three times, 160 MB zeroed and page-faulted, 12 % of the run's time).
  std::vector<cv::Rect> cores;
  for (int y0 = 0; y0 < height; y0 += tile)
    for (int x0 = 0; x0 < width; x0 += tile)
      cores.emplace_back(x0, y0, std::min(x0 + tile, width) - x0, std::min(y0 + tile, height) - y0);
  const auto region = [&](const cv::Rect& c) {
    const int ry0 = std::max(c.y - overlap, 0), rx0 = std::max(c.x - overlap, 0);
    const int ry1 = std::min(c.y + c.height + overlap, height), rx1 = std::min(c.x + c.width + overlap, width);
    return cv::Rect(rx0, ry0, rx1 - rx0, ry1 - ry0);
  };
  std::stable_sort(cores.begin(), cores.end(),
                   [&](const cv::Rect& a, const cv::Rect& b) { return region(a).area() > region(b).area(); });
  // The tiles' outputs go to one buffer, sized by the first: a new tensor per tile was page-faulted anew on
  // every tile (×4 at 960x540: 5 % of the run).
  Tensor outputs;
  int64_t done = 0;
  for (const cv::Rect& c : cores) {
    const cv::Rect r = region(c);
    const Tensor input = region_to_tensor(image, r);
    const int64_t numel = int64_t{3} * s * r.height * s * r.width;
    reserve_arena(outputs, arena_floats(numel));
    const Tensor result = run_in_slot(outputs.data(), numel, [&] { return model.forward(input); });
    // The core's output, cropped to the output image (the repeated row / column is dropped).
    const cv::Rect core(s * c.x, s * c.y, std::min(s * (c.x + c.width), out.cols) - s * c.x,
                        std::min(s * (c.y + c.height), out.rows) - s * c.y);
    tensor_to_region(result, s * (c.y - r.y), s * (c.x - r.x), out, core);
    if (progress) progress(++done, static_cast<int64_t>(cores.size()));
  }
  return out;
}

cv::Mat upsample_image(const cv::Mat& image, int scale, const TileModel& model, const TileOptions& options,
                       const Progress& progress) {
  check(scale == model.scale || scale == model.scale * model.scale, "upsample: --scale must be ", model.scale,
        " or ", model.scale * model.scale, " for this model, but got ", scale);
  check(image.depth() == CV_8U || image.depth() == CV_16U,
        "upsample: expected an 8-bit or 16-bit image, but got OpenCV depth ", image.depth());
  check(image.channels() >= 1 && image.channels() <= 4,
        "upsample: expected grey, grey + alpha, BGR or BGRA (1 to 4 channels), but got ", image.channels());
  check(!image.empty(), "upsample: the image is empty");
  // Grey + alpha and BGRA: the colour goes through the model, the alpha (last channel) apart.
  cv::Mat colour = image, alpha;
  if (image.channels() == 2 || image.channels() == 4) {
    if (image.channels() == 2)
      cv::extractChannel(image, colour, 0);
    else
      cv::cvtColor(image, colour, cv::COLOR_BGRA2BGR);
    cv::extractChannel(image, alpha, image.channels() - 1);
  }
  // Progress counts the tiles of every stage.
  const int64_t first = tile_count(colour.rows, colour.cols, options);
  const bool two_stages = scale != model.scale;
  const int64_t total =
      first + (two_stages ? tile_count(model.scale * colour.rows, model.scale * colour.cols, options) : 0);
  const auto stage_progress = [&](int64_t offset) -> Progress {
    if (!progress) return {};
    return [&progress, offset, total](int64_t done, int64_t) { progress(offset + done, total); };
  };
  cv::Mat result;
  if (!two_stages) {
    result = upsample_tiled(colour, colour.depth(), model, options, stage_progress(0));
  } else {
    // Rounded to 16 bits between the stages, as samples/upsampler/evaluate.py does.
    const cv::Mat middle = upsample_tiled(colour, CV_16U, model, options, stage_progress(0));
    result = upsample_tiled(middle, colour.depth(), model, options, stage_progress(first));
  }
  return attach_alpha(result, alpha);
}

cv::Mat attach_alpha(cv::Mat colour, cv::Mat alpha) {
  if (alpha.empty()) return colour;
  cv::resize(alpha, alpha, colour.size(), 0, 0, cv::INTER_CUBIC);
  std::vector<cv::Mat> channels;
  cv::split(colour, channels);
  channels.push_back(alpha);
  cv::merge(channels, colour);
  return colour;
}

}  // namespace strider::upsampler
