// upsample: ×2 / ×4 super-resolution of photos with Strider's trained encoder-decoder (model.py).
//
//   upsample                          the bundled photo -> ./astronaut_256_x2.png and its comparison
//   upsample INPUT [-o OUTPUT] [--scale 2|4] [--tile N] [--threads N] [--compare] [--reference HR_IMAGE]
//   upsample FOLDER [-o OUTPUT_FOLDER] every image of FOLDER
#include <chrono>
#include <exception>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <stdexcept>
#include <string>

#include <CLI/CLI.hpp>
#include <opencv2/imgproc.hpp>

#include "compare.hpp"
#include "core/check.hpp"
#include "core/parallel.hpp"
#include "files.hpp"
#include "metrics.hpp"
#include "upsampler/image_upsampler.hpp"

namespace fs = std::filesystem;
using namespace strider;
using namespace strider::upsampler;

namespace {

struct Options {
  fs::path input = STRIDER_SAMPLE_DATA "/astronaut_256.png";
  fs::path output;
  int scale = 2;
  int tile = 256;
  int threads = 0;  // 0: all hardware threads
  bool compare = false;
  fs::path reference;
  fs::path weights;  // empty: the bundled weights (ImageUpsampler::bundled_weights)
};

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// `name`_x2.png: PNG keeps 16 bits and alpha losslessly.
fs::path default_output(const fs::path& input, const fs::path& folder, int scale) {
  return folder / (input.stem().string() + "_x" + std::to_string(scale) + ".png");
}

// The reference cropped to the output's size: a reference up to scale - 1 pixels larger is the image the
// input was made from before cropping to a multiple of the scale (samples/upsampler/photos.py, degrade).
cv::Mat matching_reference(const fs::path& path, const cv::Mat& output, int scale) {
  const cv::Mat reference = read_image(path);
  check(reference.cols >= output.cols && reference.rows >= output.rows && reference.cols < output.cols + scale &&
            reference.rows < output.rows + scale,
        "--reference '", path.string(), "' is ", reference.cols, "x", reference.rows, ", but the output is ",
        output.cols, "x", output.rows, ": the input must be the reference downscaled by ", scale);
  check(reference.channels() == output.channels(), "--reference '", path.string(), "' has ", reference.channels(),
        " channels, the input ", output.channels());
  return reference(cv::Rect(0, 0, output.cols, output.rows));
}

void process(const fs::path& input, const fs::path& output, const Options& options, const ImageUpsampler& upsampler,
             const std::string& label) {
  const auto start = std::chrono::steady_clock::now();
  check_output_path(output, input);
  const cv::Mat image = read_image(input);
  ProgressBar bar(label);
  const cv::Mat result =
      upsampler.upsample(image, {.scale = options.scale,
                                 .tile = options.tile,
                                 .progress = [&bar](int64_t done, int64_t total) { bar.update(done, total); }});
  write_image_atomically(output, result, input);
  std::cout << "wrote " << output.string() << " (" << result.cols << "x" << result.rows << ") from "
            << input.string() << " (" << image.cols << "x" << image.rows << ") in " << std::fixed
            << std::setprecision(2) << seconds_since(start) << " s\n";
  if (options.compare) {
    fs::path picture = output;
    picture.replace_filename(output.stem().string() + "_compare.png");
    write_image_atomically(picture, compare_picture(image, result, options.scale), input);
    std::cout << "wrote " << picture.string() << " (nearest | bicubic | Strider)\n";
  }
  if (!options.reference.empty()) {
    const cv::Mat reference = matching_reference(options.reference, result, options.scale);
    cv::Mat bicubic;
    cv::resize(image, bicubic, result.size(), 0, 0, cv::INTER_CUBIC);
    const int border = options.scale;
    const double psnr_bicubic = y_psnr(bicubic, reference, border), psnr_model = y_psnr(result, reference, border);
    std::cout << "vs " << options.reference.string() << " (Y channel, " << border << "-pixel border ignored):\n"
              << std::setprecision(2) << "  bicubic  PSNR " << psnr_bicubic << " dB  SSIM " << std::setprecision(4)
              << y_ssim(bicubic, reference, border) << '\n'
              << std::setprecision(2) << "  Strider  PSNR " << psnr_model << " dB  SSIM " << std::setprecision(4)
              << y_ssim(result, reference, border) << std::setprecision(2) << "  (" << std::showpos
              << psnr_model - psnr_bicubic << std::noshowpos << " dB)\n";
  }
}

int run(const Options& options, bool demo) {
  if (options.threads > 0) set_num_threads(options.threads);
  const ImageUpsampler upsampler = options.weights.empty() ? ImageUpsampler() : ImageUpsampler(options.weights);
  if (!fs::is_directory(options.input)) {
    const fs::path output =
        options.output.empty() ? default_output(options.input, demo ? fs::path(".") : options.input.parent_path(),
                                                options.scale)
                               : options.output;
    process(options.input, output, options, upsampler, options.input.filename().string());
    return 0;
  }
  check(options.reference.empty(), "--reference needs a single INPUT image, but '", options.input.string(),
        "' is a folder");
  const auto images = list_images(options.input);
  check(!images.empty(), "no images in folder '", options.input.string(), "'");
  fs::path folder = options.output;
  if (folder.empty()) folder = options.input.lexically_normal().string() + "_x" + std::to_string(options.scale);
  check(!fs::exists(folder) || fs::is_directory(folder), "-o '", folder.string(),
        "' must be a folder when INPUT is a folder");
  fs::create_directories(folder);
  // One unreadable file does not stop the others; it is reported, and the exit code says so.
  std::size_t failed = 0;
  for (std::size_t i = 0; i < images.size(); ++i) {
    const std::string label = "[" + std::to_string(i + 1) + "/" + std::to_string(images.size()) + "] " +
                              images[i].filename().string();
    try {
      process(images[i], default_output(images[i], folder, options.scale), options, upsampler, label);
    } catch (const std::invalid_argument& e) {
      std::cerr << "upsample: " << e.what() << '\n';
      ++failed;
    }
  }
  check(failed == 0, failed, " of ", images.size(), " images failed");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  CLI::App app("upsample: ×2 / ×4 photo super-resolution with Strider's trained encoder-decoder.\n"
               "With no arguments: the bundled photo, written to ./astronaut_256_x2.png with --compare.");
  CLI::Option* input = app.add_option("input", options.input, "image (anything OpenCV reads) or folder of images")
                           ->check(CLI::ExistingPath);
  app.add_option("-o,--output", options.output, "output image, or folder for a folder (default INPUT_x2.png)");
  app.add_option("--scale", options.scale, "2 or 4 (two ×2 stages)")->check(CLI::IsMember({2, 4}));
  app.add_option("--tile", options.tile, "tile side in input pixels (memory ~ tile²)")->check(CLI::Range(16, 1 << 16));
  app.add_option("--threads", options.threads, "threads (default: all)")->check(CLI::Range(1, 1024));
  app.add_flag("--compare", options.compare, "also write OUTPUT_compare.png: nearest | bicubic | Strider");
  app.add_option("--reference", options.reference, "high-resolution original: print Y-PSNR / SSIM")
      ->check(CLI::ExistingFile);
  app.add_option("--weights", options.weights, "safetensors weights (default: upsampler_x2.safetensors of the data directory)")->check(CLI::ExistingFile);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  // Without INPUT: the bundled photo, written with its comparison to the current directory.
  const bool demo = input->count() == 0;
  if (demo) options.compare = true;
  try {
    return run(options, demo);
  } catch (const std::exception& e) {
    std::cerr << "upsample: " << e.what() << '\n';
    return 2;
  }
}
