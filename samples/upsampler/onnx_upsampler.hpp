#pragma once
// `upsample --model FILE.onnx`: any one-input, one-output ONNX image-to-image model (ESPCN, FSRCNN on Y,
// EDSR in [0, 255], SRVGGNetCompact...) through the same tiles as Strider's own model. Its integer
// scale comes from a probe run; the tiles' overlap from its receptive field, found by changing one pixel
// of a probe image and watching how far the output changes (or given as --tile-pad).
#include <filesystem>
#include <memory>
#include <string>

#include <opencv2/core.hpp>

#include "upsampler/tiling.hpp"

namespace strider {
class OnnxModel;
}

namespace strider::upsampler {

struct OnnxConvention {
  int range = 1;               // the model's pixels: [0, 1] or [0, 255]
  std::string channels = "rgb";  // "rgb", "bgr", or "y": the model enlarges BT.601 luma, chroma goes bicubic
  int tile_pad = -1;           // the overlap's radius in input pixels; -1: probed
};

class OnnxUpsampler {
 public:
  OnnxUpsampler(const std::filesystem::path& path, const OnnxConvention& convention);
  ~OnnxUpsampler();

  int scale() const { return scale_; }
  int receptive_radius() const { return radius_; }
  // Like upsample_image: 1, 2, 3 or 4 channels (alpha apart, cubic), 8 or 16 bits, the same type out.
  cv::Mat upsample(const cv::Mat& image, int scale, const TileOptions& options, const Progress& progress) const;

 private:
  Tensor run(const Tensor& x) const;  // [1, C, h, w] in the model's convention

  std::unique_ptr<OnnxModel> model_;
  OnnxConvention convention_;
  int scale_ = 0, radius_ = 0;
};

}  // namespace strider::upsampler
