#pragma once
// The upsampler as a library (find_package(Strider COMPONENTS upsampler), target Strider::upsampler):
// Strider's trained ×2 and ×4 photo models with their bundled weights, enlarging a cv::Mat ×2 or ×4 in overlapping
// tiles, so that memory holds the input and output images plus one tile's activations. It is what the
// `upsample` program runs, pixel for pixel.
//
//   #include <strider/upsampler/image_upsampler.hpp>
//   const strider::ImageUpsampler upsampler;                     // the bundled ×2 and ×4 weights
//   cv::Mat big = upsampler.upsample(cv::imread("photo.png", cv::IMREAD_UNCHANGED), {.scale = 4});
//
// Thread safety: an ImageUpsampler is immutable once built; upsample() is const and may run on one
// instance from any number of threads at once. Copies share the weights.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <stdexcept>
#include <stop_token>
#include <string>
#include <string_view>

#include <opencv2/core.hpp>

namespace strider {
namespace upsampler {
class Upsampler;  // the network (upsampler_model.hpp), not part of the installed API
}

// Thrown by ImageUpsampler::upsample when its stop token was triggered.
class UpsampleCancelled : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct ImageUpsampleOptions {
  int scale = 2;   // 2, or 4 (the ×4 model; without one, two ×2 stages, the intermediate kept in 16 bits)
  // Side of a tile in input pixels (rounded up to even): memory grows with tile², and each tile is extended
  // by the model's reach on every side, so small tiles redo more work. 384: 1080p -> 4K in 3 rows of tiles.
  int tile = 384;
  // Called after each tile with (tiles done, tiles in total), on the calling thread.
  std::function<void(int64_t done, int64_t total)> progress{};
  // Checked before each tile: once stop is requested, upsample() throws UpsampleCancelled.
  std::stop_token stop{};
};

class ImageUpsampler {
 public:
  // The bundled default (clean-photo) models, ×2 and ×4, from bundled_weights().
  ImageUpsampler();
  // The models of safetensors files written by samples/upsampler/train.py: `weights` ×2 or ×4 (the file
  // says which), and optionally `weights_x4` a ×4 model beside a ×2 one. Scale 4 runs the ×4 model, or
  // without one the ×2 model twice; scale 2 needs a ×2 model.
  explicit ImageUpsampler(const std::filesystem::path& weights, const std::filesystem::path& weights_x4 = {});

  // `image`: H×W, as cv::imread(..., IMREAD_UNCHANGED) gives it: grey, grey + alpha, BGR or BGRA, 8 or
  // 16 bits per channel. Returns the same type, `options.scale` times wider and taller. Colour goes
  // through the model; alpha is resized with cv::INTER_CUBIC. Tiles change no output value but for
  // Winograd's rounding (at 1080p -> 4K, 18 of 24.9 million 8-bit values by one step); under
  // set_default_conv_algorithm(ConvAlgorithm::direct) the output is the same bits for every tile size.
  // Throws std::invalid_argument for another type, an empty image or a bad option.
  cv::Mat upsample(const cv::Mat& image, const ImageUpsampleOptions& options = {}) const;

  // The bundled weights of a model, found by data_file(): "default", trained on clean downscaled photos,
  // ×2 `upsampler_x2.safetensors` or ×4 `upsampler_x4.safetensors`; or "real", ×2 only,
  // `upsampler_x2_real.safetensors`, trained on inputs that were also JPEG-compressed, noisy or blurred
  // (photos from cameras and the web). Throws std::invalid_argument for another model or scale.
  static std::filesystem::path bundled_weights(std::string_view model = "default", int scale = 2);
  // A file of Strider's data directory: $STRIDER_DATA_DIR/NAME when that variable is set; otherwise
  // the first of EXE_DIR/../share/strider/NAME (installed programs), EXE_DIR/NAME (programs in the
  // build tree) and the installed share/strider/NAME. Throws std::invalid_argument listing the places
  // it looked.
  static std::filesystem::path data_file(const std::string& name);

 private:
  std::shared_ptr<const upsampler::Upsampler> x2_, x4_;  // either may be null, not both
};

}  // namespace strider
