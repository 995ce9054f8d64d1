// strider-run: runs an ONNX model (torch.onnx.export) on an .npy tensor or an image.
//
//   strider-run unet.onnx input.npy --compare expected.npy     prints the output shape, time and errors
//   strider-run upsampler.onnx photo.png -o photo_x2.png --threads 2 --repeat 10
//
// An image becomes [1, C, H, W] in [0, 1] (RGB); a PNG output is clamped to [0, 1] and rounded to 8 bits.
// --compare exits 1 when any element differs by more than --atol + --rtol·|expected|. Every error is
// one line on stderr and exit code 2.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <optional>

#include <CLI/CLI.hpp>

#include "core/check.hpp"
#include "core/npy.hpp"
#include "core/parallel.hpp"
#include "onnx/onnx_model.hpp"
#include "samples/image_io.hpp"

using namespace strider;
namespace fs = std::filesystem;

namespace {

struct Options {
  fs::path model, input;
  std::optional<fs::path> output, compare;
  int threads = 0;  // 0: all hardware threads
  int repeat = 1;
  double atol = 1e-4, rtol = 1e-4;
};

bool is_npy(const fs::path& p) { return p.extension() == ".npy"; }

Tensor read_input(const fs::path& path) {
  if (is_npy(path)) return load_npy(path);
  return samples::image_to_tensor(samples::read_image(path));
}

// Largest |a - b| and the largest |a - b| / |b| (over |b| > 0); the elements beyond atol + rtol·|b|.
struct Errors {
  double max_abs = 0, max_rel = 0;
  int64_t beyond = 0;
};

Errors compare(const Tensor& actual, const Tensor& expected, double atol, double rtol) {
  check(actual.shape() == expected.shape(), "--compare: the output has shape ", actual.shape(),
        ", but the expected tensor has shape ", expected.shape());
  Errors e;
  for (int64_t i = 0; i < actual.numel(); ++i) {
    const double a = actual[i], b = expected[i], d = std::fabs(a - b);
    if (std::isnan(a) != std::isnan(b) || d > atol + rtol * std::fabs(b)) ++e.beyond;
    if (std::isnan(d)) continue;
    e.max_abs = std::max(e.max_abs, d);
    if (b != 0) e.max_rel = std::max(e.max_rel, d / std::fabs(b));
  }
  return e;
}

int run(const Options& o) {
  if (o.threads > 0) set_num_threads(o.threads);
  OnnxModel model = load_onnx(o.model);
  const Tensor input = read_input(o.input);
  using Clock = std::chrono::steady_clock;
  Tensor output;
  double first_ms = 0, best_ms = 0;
  for (int r = 0; r < o.repeat; ++r) {
    const auto start = Clock::now();
    output = model.run(input);
    const double ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    if (r == 0) first_ms = best_ms = ms;
    best_ms = std::min(best_ms, ms);
  }
  std::cout << "input " << input.shape() << " -> output " << output.shape() << '\n';
  std::cout << "time: first run " << first_ms << " ms (builds the plan)";
  if (o.repeat > 1) std::cout << ", best of " << o.repeat << ' ' << best_ms << " ms";
  std::cout << ", " << get_num_threads() << " threads\n";
  if (o.output) {
    if (is_npy(*o.output)) save_npy(*o.output, output);
    else samples::write_image(*o.output, samples::tensor_to_image(output));
    std::cout << "wrote " << o.output->string() << '\n';
  }
  if (!o.compare) return 0;
  const Errors e = compare(output, load_npy(*o.compare), o.atol, o.rtol);
  std::cout << "max abs error " << e.max_abs << ", max rel error " << e.max_rel << " (tolerance " << o.atol << " + "
            << o.rtol << "·|expected|): " << (e.beyond == 0 ? "ok" : std::to_string(e.beyond) + " elements beyond")
            << '\n';
  return e.beyond == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app("strider-run: run an ONNX model on an .npy tensor or an image", "strider-run");
  Options o;
  app.add_option("model", o.model, "MODEL.onnx, from torch.onnx.export")->required();
  app.add_option("input", o.input, "INPUT.npy ([N, C, H, W] float32) or an image (png, jpg)")->required();
  app.add_option("-o,--output", o.output, "write the output: OUT.npy, or OUT.png for a 1- or 3-channel image");
  app.add_option("--compare", o.compare, "EXPECTED.npy: print the errors, exit 1 beyond the tolerance");
  app.add_option("--atol", o.atol, "absolute tolerance of --compare")->capture_default_str();
  app.add_option("--rtol", o.rtol, "relative tolerance of --compare")->capture_default_str();
  app.add_option("--threads", o.threads, "threads (default 0: all)")->check(CLI::Range(0, 1024));
  app.add_option("--repeat", o.repeat, "runs, for timing")->check(CLI::PositiveNumber)->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "strider-run: " << e.what() << " (--help for usage)\n";
    return 2;
  }
  try {
    return run(o);
  } catch (const std::exception& e) {  // invalid files and arguments, I/O errors
    std::cerr << "strider-run: " << e.what() << '\n';
    return 2;
  }
}
