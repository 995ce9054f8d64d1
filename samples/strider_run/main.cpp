// strider-run: runs an ONNX model (torch.onnx.export) on .npy tensors or an image.
//
//   strider-run unet.onnx input.npy --compare expected.npy     prints the output shape, time and errors
//   strider-run upsampler.onnx photo.png -o photo_x2.png --threads 2 --repeat 10 --profile
//   strider-run two_in.onnx -i image=x.npy -i weight=w.npy -o y=y.npy -o mask=m.npy
//
// Every error is one line on stderr and exit code 2; the outputs are checked (names, formats, folders)
// before anything runs. --compare exits 1 when any element differs by more than --atol + --rtol·|expected|.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <map>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>
#include <opencv2/imgcodecs.hpp>

#include "core/check.hpp"
#include "core/files.hpp"
#include "core/npy.hpp"
#include "core/parallel.hpp"
#include "core/version.hpp"
#include "onnx/onnx_model.hpp"
#include "samples/image_io.hpp"
#include "vision/image_header.hpp"

using namespace strider;
namespace fs = std::filesystem;

namespace {

const std::string preprocessing =
    "Images: an input image (" + std::string(vision::readable_formats) + ") is decoded as 8-bit colour and\n"
    "becomes a [1, 3, H, W] float32 tensor in RGB order with values / 255 in [0, 1] (no mean or std: bake\n"
    "them into the model, or pass an .npy). An image output must be [1, 1 or 3, H, W], read as RGB (or\n"
    "grey) in [0, 1], multiplied by 255, rounded and clamped to 8 bits.";

// "NAME=FILE", or a bare FILE for the model's only input / first output.
struct Binding {
  std::string name;  // empty: by position
  fs::path file;
};

Binding parse_binding(const std::string& text) {
  const auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0) return {"", text};
  return {text.substr(0, eq), text.substr(eq + 1)};
}

struct Options {
  fs::path model;
  std::vector<std::string> inputs, outputs;  // NAME=FILE or FILE
  std::optional<std::string> compare;        // NAME=FILE or FILE
  int threads = 0;                           // 0: all hardware threads
  int repeat = 1;
  bool profile = false;
  double atol = 1e-4, rtol = 1e-4;
};

bool is_npy(const fs::path& p) { return p.extension() == ".npy"; }

// The index of the graph value `b` names among `values` (inputs or outputs).
std::size_t index_of(const std::vector<TensorInfo>& values, const Binding& b, const char* what) {
  if (b.name.empty()) {
    check(values.size() == 1 || std::string(what) == "output", "the model has ", values.size(), " ", what,
          "s: name each, as NAME=FILE");
    return 0;
  }
  for (std::size_t k = 0; k < values.size(); ++k)
    if (values[k].name == b.name) return k;
  std::string names;
  for (const TensorInfo& v : values) names += (names.empty() ? "'" : ", '") + v.name + "'";
  fail("the model has no ", what, " named '", b.name, "' (its ", what, "s: ", names, ")");
}

// Checks an output's destination before any work: the folder exists and the format can hold the output.
void check_destination(const TensorInfo& info, const fs::path& path) {
  const fs::path folder = path.parent_path();
  check(folder.empty() || fs::is_directory(folder), "-o ", path.string(), ": the folder '", folder.string(),
        "' does not exist");
  check(!fs::is_directory(path), "-o ", path.string(), ": it is a folder, not a file name");
  if (is_npy(path)) return;
  check(cv::haveImageWriter(path.string()), "-o ", path.string(),
        ": not a format strider-run writes (.npy, or an image format OpenCV writes: .png, .jpg...)");
  const auto& d = info.dims;
  check(d.empty() || (d.size() == 4 && d[0] <= 1 && (d[1] < 0 || d[1] == 1 || d[1] == 3)), "-o ", path.string(),
        ": output '", info.name, "' is declared [", d.size(), "-D, channels ", d.size() > 1 ? d[1] : -1,
        "]; an image needs [1, 1 or 3, H, W] (write .npy instead)");
}

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

void print_profile(const RunProfile& p) {
  std::cout << "profile: median of " << p.runs << " runs " << p.median_ms << " ms; activation arena "
            << std::fixed << std::setprecision(1) << p.arena_bytes / 1048576.0 << " MiB (all activations "
            << p.activation_bytes / 1048576.0 << " MiB)\n";
  std::cout << "      ms   share        rate  node\n";
  for (const NodeProfile& n : p.nodes) {
    std::cout << std::setw(8) << std::setprecision(3) << n.median_ms << std::setw(7) << std::setprecision(1)
              << 100 * n.share << "%  " << std::setw(7) << std::setprecision(1)
              << (n.flops > 0 ? n.gflops() : n.gbytes_per_second()) << (n.flops > 0 ? " GFLOP/s" : " GB/s   ")
              << "  " << n.node;
    for (const std::string& f : n.fused) std::cout << " + " << f;
    std::cout << '\n';
  }
  std::cout.unsetf(std::ios::floatfield);
  std::cout << std::setprecision(6);
}

int run(const Options& o) {
  for (const auto& [name, tolerance] : {std::pair("--atol", o.atol), std::pair("--rtol", o.rtol)})
    check(std::isfinite(tolerance) && tolerance >= 0, name, " must be a finite number >= 0, but got ", tolerance);
  if (o.threads > 0) set_num_threads(o.threads);
  const OnnxModel model = load_onnx(o.model);

  std::optional<std::pair<std::size_t, fs::path>> expected;
  if (o.compare) {
    const Binding b = parse_binding(*o.compare);
    expected.emplace(index_of(model.outputs(), b, "output"), b.file);
  }
  // Files this run reads, which no output may replace.
  std::vector<fs::path> read = {o.model};
  for (const std::string& text : o.inputs) read.push_back(parse_binding(text).file);
  if (expected) read.push_back(expected->second);
  std::map<std::size_t, fs::path> written;  // output index -> file
  for (const std::string& text : o.outputs) {
    const Binding b = parse_binding(text);
    const std::size_t k = index_of(model.outputs(), b, "output");
    check_destination(model.outputs()[k], b.file);
    for (const auto& [other, file] : written)
      check(other != k && !same_file(file, b.file), "-o ", b.file.string(), ": output '", model.outputs()[other].name,
            "' is written to ", file.string(), " already");
    for (const fs::path& file : read)
      check(!same_file(file, b.file), "-o ", b.file.string(), ": refusing to write over a file this run reads");
    written[k] = b.file;
  }

  std::vector<Tensor> inputs(model.input_count());
  std::vector<bool> given(model.input_count(), false);
  for (const std::string& text : o.inputs) {
    const Binding b = parse_binding(text);
    const std::size_t k = index_of(model.inputs(), b, "input");
    check(!given[k], "input '", model.inputs()[k].name, "' is given twice");
    inputs[k] = read_input(b.file);
    given[k] = true;
  }
  for (std::size_t k = 0; k < given.size(); ++k)
    check(given[k], "input '", model.inputs()[k].name, "' is not given (-i NAME=FILE.npy)");
  std::vector<const Tensor*> pointers;
  for (const Tensor& t : inputs) pointers.push_back(&t);

  using Clock = std::chrono::steady_clock;
  std::vector<Tensor> outputs(model.output_count());
  std::vector<double> ms;
  for (int r = 0; r < o.repeat; ++r) {
    const auto start = Clock::now();
    model.run(pointers, outputs);  // the same outputs each time: written in place after the first run
    ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
  }
  for (std::size_t k = 0; k < outputs.size(); ++k)
    std::cout << "output '" << model.outputs()[k].name << "' " << outputs[k].shape() << '\n';
  std::cout << "time: first run " << ms.front() << " ms (builds the plan)";
  if (o.repeat > 1) {
    std::vector<double> rest(ms.begin() + 1, ms.end());
    std::sort(rest.begin(), rest.end());
    std::cout << ", then best " << rest.front() << " ms, median " << rest[rest.size() / 2] << " ms of "
              << rest.size();
  }
  std::cout << ", " << get_num_threads() << " threads\n";
  if (o.profile) print_profile(model.profile(pointers, std::max(o.repeat, 5)));

  for (const auto& [k, file] : written) {
    if (is_npy(file)) save_npy(file, outputs[k]);
    else samples::write_image(file, samples::tensor_to_image(outputs[k]));
    std::cout << "wrote " << file.string() << '\n';
  }
  if (!expected) return 0;
  const Errors e = compare(outputs[expected->first], load_npy(expected->second), o.atol, o.rtol);
  std::cout << "max abs error " << e.max_abs << ", max rel error " << e.max_rel << " (tolerance " << o.atol << " + "
            << o.rtol << "·|expected|): " << (e.beyond == 0 ? "ok" : std::to_string(e.beyond) + " elements beyond")
            << '\n';
  return e.beyond == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app("strider-run: run an ONNX model on .npy tensors or an image", "strider-run");
  app.footer(preprocessing);
  app.set_version_flag("--version", "strider-run " STRIDER_VERSION);
  Options o;
  std::optional<std::string> positional_input;
  app.add_option("model", o.model, "MODEL.onnx, from torch.onnx.export")->required();
  app.add_option("input", positional_input, "INPUT.npy (float32) or an image, for a model with one input");
  app.add_option("-i,--input", o.inputs, "NAME=FILE.npy (or an image): feeds the graph input NAME; repeatable");
  app.add_option("-o,--output", o.outputs,
                 "[NAME=]OUT.npy, or OUT.png (any OpenCV image format) for a [1, 1 or 3, H, W] output; without "
                 "NAME, the first output; repeatable");
  app.add_option("--compare", o.compare, "[NAME=]EXPECTED.npy: print the errors, exit 1 beyond the tolerance");
  app.add_option("--atol", o.atol, "absolute tolerance of --compare")->capture_default_str();
  app.add_option("--rtol", o.rtol, "relative tolerance of --compare")->capture_default_str();
  app.add_option("--threads", o.threads, "threads (default 0: all)")->check(CLI::Range(0, 1024));
  app.add_option("--repeat", o.repeat, "runs, for timing")->check(CLI::Range(1, 1000000))->capture_default_str();
  app.add_flag("--profile", o.profile,
               "time every node of the plan (median over max(--repeat, 5) runs), slowest first, with its share, "
               "GFLOP/s or GB/s and what it fused; and the activation arena's size");
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {  // --help, --version
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "strider-run: " << e.what() << " (--help for usage)\n";
    return 2;
  }
  if (positional_input) o.inputs.insert(o.inputs.begin(), *positional_input);
  try {
    return run(o);
  } catch (const std::exception& e) {  // invalid files and arguments, I/O errors
    std::cerr << "strider-run: " << e.what() << '\n';
    return 2;
  }
}
