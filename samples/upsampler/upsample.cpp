// upsample: ×2 / ×4 super-resolution of photos with Strider's trained encoder-decoder (model.py).
//
//   upsample                          the bundled photo -> ./astronaut_256_x2.png and its comparison
//   upsample INPUT [-o OUTPUT] [--scale 2|4] [--tile N] [--threads N] [--compare] [--reference HR_IMAGE]
//            [--model default|real] [--weights FILE] [--exact] [--max-pixels N] [--quiet] [--version]
//            [--model FILE.onnx [--range 1|255] [--channels rgb|bgr|y] [--tile-pad N]]
//   upsample FOLDER [-o OUTPUT_FOLDER] [--overwrite]   every image of FOLDER -> FOLDER_x2/, a summary;
//                                                      exit 1 if any image failed
#include <chrono>
#include <exception>
#include <filesystem>
#include <functional>
#include <iomanip>
#include <iostream>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <opencv2/imgproc.hpp>

#include "compare.hpp"
#include "core/check.hpp"
#include "core/parallel.hpp"
#include "core/version.hpp"
#include "files.hpp"
#include "vision/image_header.hpp"
#include "metrics.hpp"
#ifdef STRIDER_UPSAMPLE_ONNX
#include "onnx_upsampler.hpp"
#endif
#include "ops/winograd_kernel.hpp"
#include "upsampler/image_upsampler.hpp"
#include "upsampler/tiling.hpp"
#include "vision/image_file.hpp"

namespace fs = std::filesystem;
using namespace strider;
using namespace strider::upsampler;

namespace {

struct Options {
  fs::path input;  // empty: the demo, the bundled photo (astronaut_256.png of the data directory)
  fs::path output;
  int scale = 0;  // 0: the model's (2 for Strider's)
  int tile = ImageUpsampleOptions{}.tile;
  int threads = 0;  // 0: all hardware threads
  bool compare = false;
  fs::path reference;
  std::string model = "default";  // Strider's "default" or "real" model, or (ONNX built) FILE.onnx
  fs::path weights;  // empty: the bundled weights of `model` (ImageUpsampler::bundled_weights)
  int64_t max_pixels = vision::ReadOptions{}.max_pixels;
  bool quiet = false;
  bool overwrite = false;  // folders: replace outputs that exist before the run
  bool exact = false;      // direct convolutions: the output's bits do not depend on --tile
#ifdef STRIDER_UPSAMPLE_ONNX
  OnnxConvention convention;
#endif
};

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// `name`_x2.png: PNG keeps 16 bits and alpha losslessly.
fs::path default_output(const fs::path& input, const fs::path& folder, int scale) {
  return folder / (input.stem().string() + "_x" + std::to_string(scale) + ".png");
}

// FOLDER_x2 beside FOLDER, however FOLDER is spelled ("photos/", ".", "a/../photos").
fs::path default_output_folder(const fs::path& folder, int scale) {
  fs::path path = fs::absolute(folder).lexically_normal();
  if (!path.has_filename()) path = path.parent_path();  // the trailing separator
  return path.string() + "_x" + std::to_string(scale);
}

// The reference cropped to the output's size: a reference up to scale - 1 pixels larger is the image the
// input was made from before cropping to a multiple of the scale (samples/upsampler/photos.py, degrade).
cv::Mat matching_reference(const fs::path& path, const cv::Mat& output, int scale, int64_t max_pixels) {
  const cv::Mat reference = read_image(path, max_pixels);
  check(reference.cols >= output.cols && reference.rows >= output.rows && reference.cols < output.cols + scale &&
            reference.rows < output.rows + scale,
        "--reference '", path.string(), "' is ", reference.cols, "x", reference.rows, ", but the output is ",
        output.cols, "x", output.rows, ": the input must be the reference downscaled by ", scale);
  check(reference.channels() == output.channels(), "--reference '", path.string(), "' has ", reference.channels(),
        " channels, the input ", output.channels());
  return reference(cv::Rect(0, 0, output.cols, output.rows));
}

// The model that enlarges an image: Strider's own, or an ONNX file's.
using Enlarge = std::function<cv::Mat(const cv::Mat& image, const Progress& progress)>;

void process(const fs::path& input, const fs::path& output, const Options& options, const Enlarge& enlarge,
             const std::string& label) {
  const auto start = std::chrono::steady_clock::now();
  check_output_path(output, input);
  const cv::Mat image = read_image(input, options.max_pixels);
  ProgressBar bar(label, ProgressBar::style_for_stderr(options.quiet));
  const cv::Mat result = enlarge(image, [&bar](int64_t done, int64_t total) { bar.update(done, total); });
  write_image_atomically(output, result, input);
  if (!options.quiet)
    std::cout << "wrote " << output.string() << " (" << result.cols << "x" << result.rows << ") from "
              << input.string() << " (" << image.cols << "x" << image.rows << ") in " << std::fixed
              << std::setprecision(2) << seconds_since(start) << " s\n";
  if (options.compare) {
    const fs::path picture = compare_path(output);
    write_image_atomically(picture, compare_picture(image, result, options.scale), input);
    if (!options.quiet) std::cout << "wrote " << picture.string() << " (nearest | bicubic | Strider)\n";
  }
  if (!options.reference.empty()) {
    const cv::Mat reference = matching_reference(options.reference, result, options.scale, options.max_pixels);
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

// The model of the options, with options.scale resolved (0: the model's own).
Enlarge load(Options& options) {
#ifdef STRIDER_UPSAMPLE_ONNX
  if (options.model != "default" && options.model != "real") {
    // Tiles give the untiled result bit for bit only on the direct path: Winograd's rounding depends
    // on where its 4x4 tiles fall, which a tile's origin moves. An arbitrary model's error is not
    // measured here, so it always runs exact (the bundled ones do under --exact).
    set_default_conv_algorithm(ConvAlgorithm::direct);
    auto model = std::make_shared<const OnnxUpsampler>(options.model, options.convention);
    if (options.scale == 0) options.scale = model->scale();
    if (!options.quiet)
      std::cout << options.model << ": x" << model->scale() << ", receptive radius "
                << model->receptive_radius() << " px\n";
    return [model, scale = options.scale, tile = options.tile](const cv::Mat& image, const Progress& progress) {
      return model->upsample(image, scale, {.tile = tile}, progress);
    };
  }
#endif
  if (options.scale == 0) options.scale = 2;
  auto upsampler = std::make_shared<const ImageUpsampler>(
      !options.weights.empty()   ? ImageUpsampler(options.weights)
      : options.model == "real" ? ImageUpsampler(ImageUpsampler::bundled_weights("real"))
                                : ImageUpsampler());
  return [upsampler, scale = options.scale, tile = options.tile](const cv::Mat& image, const Progress& progress) {
    return upsampler->upsample(image, {.scale = scale, .tile = tile, .progress = progress});
  };
}

int run_one(const Options& options, bool demo, const Enlarge& enlarge) {
  const fs::path output =
      options.output.empty()
          ? default_output(options.input, demo ? fs::path(".") : options.input.parent_path(), options.scale)
          : options.output;
  // Every output is checked before the work that would be lost if it could not be written.
  check_output_path(output, options.input);
  if (options.compare) check_output_path(compare_path(output), options.input);
  process(options.input, output, options, enlarge, options.input.filename().string());
  return 0;
}

// A folder: every image is attempted, whatever happens to the others; a summary, exit 1 if any failed.
int run_folder(const Options& options, const Enlarge& enlarge) {
  check(options.reference.empty(), "--reference needs a single INPUT image, but '", options.input.string(),
        "' is a folder");
  const auto images = list_images(options.input);
  check(!images.empty(), "no images in folder '", options.input.string(), "'");
  const fs::path folder = options.output.empty() ? default_output_folder(options.input, options.scale) : options.output;
  check(!fs::exists(folder) || fs::is_directory(folder), "-o '", folder.string(),
        "' must be a folder when INPUT is a folder");
  fs::create_directories(folder);
  const std::vector<FolderJob> jobs = plan_folder(images, folder, options.scale, options.compare, options.overwrite);
  std::vector<std::string> failed;
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    const FolderJob& job = jobs[i];
    const std::string label = "[" + std::to_string(i + 1) + "/" + std::to_string(jobs.size()) + "] " +
                              job.input.filename().string();
    try {
      check(job.refused.empty(), "skipping '", job.input.string(), "': ", job.refused);
      process(job.input, job.output, options, enlarge, label);
    } catch (const std::exception& e) {  // unreadable file, full disk, out of memory: the next image still runs
      std::cerr << "upsample: " << e.what() << '\n';
      failed.push_back(job.input.filename().string());
    }
  }
  if (!options.quiet) {
    std::cout << "upsample: " << jobs.size() - failed.size() << " done, " << failed.size() << " failed";
    for (std::size_t i = 0; i < failed.size(); ++i) std::cout << (i ? ", " : " (") << failed[i];
    std::cout << (failed.empty() ? "" : ")") << " -> " << folder.string() << '\n';
  }
  return failed.empty() ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  CLI::App app("upsample: ×2 / ×4 photo super-resolution with Strider's trained encoder-decoder.\n"
               "With no arguments: the bundled photo, written to ./astronaut_256_x2.png with --compare.");
  CLI::Option* input =
      app.add_option("input", options.input,
                     "image (" + std::string(vision::readable_formats) + ") or folder of images")
          ->check(CLI::ExistingPath);
  app.add_option("-o,--output", options.output, "output image, or folder for a folder (default INPUT_x2.png)");
  app.add_option("--scale", options.scale,
                 "2 or 4 (the ×4 model; --model real: two ×2 stages); with --model FILE.onnx: its scale (default) or "
                 "its square");
  app.add_option("--tile", options.tile, "tile side in input pixels (memory ~ tile²)")->check(CLI::Range(16, 1 << 16));
  app.add_option("--threads", options.threads, "threads (default: all)")->check(CLI::Range(1, 1024));
  app.add_flag("--compare", options.compare, "also write OUTPUT_compare.png: nearest | bicubic | Strider");
  app.add_option("--reference", options.reference, "high-resolution original: print Y-PSNR / SSIM")
      ->check(CLI::ExistingFile);
#ifdef STRIDER_UPSAMPLE_ONNX
  app.add_option("--model", options.model,
                 "default: Strider's model for clean photos; real: for JPEG, noisy or soft photos; or FILE.onnx: any "
                 "one-input one-output image model, scale found by a probe run")
      ->check(CLI::IsMember({"default", "real"}) | CLI::ExistingFile)
      ->capture_default_str();
#else
  app.add_option("--model", options.model,
                 "default: Strider's model for clean photos; real: for JPEG, noisy or soft photos")
      ->check(CLI::IsMember({"default", "real"}))
      ->capture_default_str();
#endif
  app.add_option("--weights", options.weights,
                 "safetensors weights for --model default|real (default: the model's bundled file in "
                 "../share/strider beside the program, or in $STRIDER_DATA_DIR)")
      ->check(CLI::ExistingFile);
  app.add_flag("--exact", options.exact,
               "direct convolutions only, as --model FILE.onnx always runs: the output is the same bits for any "
               "--tile (by default Winograd's rounding changes about one 8-bit value in a million by one step; "
               "1.2x faster)");
  app.add_option("--max-pixels", options.max_pixels, "largest input image, width × height (checked before decoding)")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 40))
      ->capture_default_str();
  app.add_flag("-q,--quiet", options.quiet, "no progress and no 'wrote' lines: errors and --reference only");
  app.add_flag("--overwrite", options.overwrite, "folders: replace outputs that exist already (default: skip them)");
#ifdef STRIDER_UPSAMPLE_ONNX
  app.add_option("--range", options.convention.range, "--model's pixel range: 1 ([0, 1]) or 255")
      ->check(CLI::IsMember({1, 255}))
      ->capture_default_str();
  app.add_option("--channels", options.convention.channels,
                 "--model's input: rgb, bgr, or y (it enlarges luma; chroma goes bicubic)")
      ->check(CLI::IsMember({"rgb", "bgr", "y"}))
      ->capture_default_str();
  app.add_option("--tile-pad", options.convention.tile_pad, "--model's receptive radius in input pixels (default: probed)")
      ->check(CLI::Range(0, 4096));
#endif
  app.set_version_flag("--version", "upsample " STRIDER_VERSION);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  // Without INPUT: the bundled photo, written with its comparison to the current directory.
  const bool demo = input->count() == 0;
  if (demo) options.compare = true;
  remove_temporary_files_on_signals();
  try {
    if (demo) options.input = ImageUpsampler::data_file("astronaut_256.png");
    if (options.threads > 0) set_num_threads(options.threads);
    if (options.exact) set_default_conv_algorithm(ConvAlgorithm::direct);
    const Enlarge enlarge = load(options);
    return fs::is_directory(options.input) ? run_folder(options, enlarge) : run_one(options, demo, enlarge);
  } catch (const std::exception& e) {
    std::cerr << "upsample: " << e.what() << '\n';
    return 2;
  }
}
