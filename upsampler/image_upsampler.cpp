#include "image_upsampler.hpp"

#include <cstdlib>
#include <sstream>
#include <system_error>
#include <vector>

#include "core/check.hpp"
#include "tiling.hpp"
#include "upsampler_model.hpp"

namespace strider {
namespace fs = std::filesystem;

ImageUpsampler::ImageUpsampler() : ImageUpsampler(bundled_weights("default", 2), bundled_weights("default", 4)) {}

ImageUpsampler::ImageUpsampler(const fs::path& weights, const fs::path& weights_x4) {
  auto model = std::make_shared<const upsampler::Upsampler>(upsampler::load_upsampler(weights));
  (model->scale() == 2 ? x2_ : x4_) = std::move(model);
  if (weights_x4.empty()) return;
  check(x2_ != nullptr, "ImageUpsampler: '", weights.string(), "' is a ×4 model already: no weights_x4 beside it");
  x4_ = std::make_shared<const upsampler::Upsampler>(upsampler::load_upsampler(weights_x4));
  check(x4_->scale() == 4, "ImageUpsampler: weights_x4 '", weights_x4.string(), "' is a ×", x4_->scale(), " model");
}

cv::Mat ImageUpsampler::upsample(const cv::Mat& image, const ImageUpsampleOptions& options) const {
  check(options.tile >= 16 && options.tile <= (1 << 16), "upsample: tile must be in [16, 65536], but got ",
        options.tile);
  // The stop token is polled where progress is reported: before the first tile and after each one.
  const auto poll = [&options] {
    if (options.stop.stop_requested()) throw UpsampleCancelled("upsample: cancelled");
  };
  check(options.scale == 2 || options.scale == 4, "upsample: --scale must be 2 or 4, but got ", options.scale);
  const upsampler::Upsampler* model = options.scale == 4 && x4_ ? x4_.get() : x2_.get();
  check(model != nullptr, "upsample: these weights are a ×4 model: --scale must be 4, but got ", options.scale);
  poll();
  return upsampler::upsample_image(image, options.scale, upsampler::as_tile_model(*model), {.tile = options.tile},
                                   [&](int64_t done, int64_t total) {
                                     if (options.progress) options.progress(done, total);
                                     if (done < total) poll();
                                   });
}

fs::path ImageUpsampler::bundled_weights(std::string_view model, int scale) {
  check(model == "default" || model == "real", "upsampler: model must be 'default' or 'real', but got '", model, "'");
  check(scale == 2 || (scale == 4 && model == "default"), "upsampler: the bundled '", model, "' model has no ×", scale,
        " weights (", model == "default" ? "×2 and ×4" : "×2 only: scale 4 runs it twice", ")");
  if (model == "real") return data_file("upsampler_x2_real.safetensors");
  return data_file(scale == 4 ? "upsampler_x4.safetensors" : "upsampler_x2.safetensors");
}

fs::path ImageUpsampler::data_file(const std::string& name) {
  if (const char* dir = std::getenv("STRIDER_DATA_DIR"); dir != nullptr && *dir != '\0') {
    const fs::path path = fs::path(dir) / name;
    check(fs::is_regular_file(path), "cannot find '", name, "' in STRIDER_DATA_DIR='", dir,
          "': no such file (unset the variable to use the installed data)");
    return path;
  }
  std::vector<fs::path> places;
  std::error_code error;
  const fs::path exe = fs::read_symlink("/proc/self/exe", error);
  if (!error) places = {exe.parent_path() / ".." / "share" / "strider", exe.parent_path()};
  places.emplace_back(STRIDER_INSTALL_DATADIR);
  std::ostringstream tried;
  for (const fs::path& place : places) {
    if (fs::is_regular_file(place / name, error)) return (place / name).lexically_normal();
    tried << (tried.tellp() > 0 ? ", " : "") << place.lexically_normal().string();
  }
  fail("cannot find Strider's data file '", name, "' (looked in ", tried.str(),
       "): give its path (upsample --weights FILE) or set STRIDER_DATA_DIR to the folder holding it");
}

}  // namespace strider
