// conv-arith: the convolution arithmetic explorer. Prints the sizes of a convolution, transposed
// convolution or pooling and the relation of Dumoulin & Visin's guide that gives them, optionally the
// matrix C, and draws every kernel position (PNG) and an animation (GIF), from the real operators.
//
//   conv-arith -i 5 -k 3 -s 2 -p 1 --matrix      conv-arith --kind transposed -i 3 -k 3 -s 2 -p 1 -a 1 -o t
//   conv-arith --figure 2.7 -o fig2_7            conv-arith --figure all -o figures/
//   conv-arith serve                             the same, interactive, at http://127.0.0.1:8080/
#include <filesystem>
#include <iostream>
#include <optional>
#include <sstream>
#include <vector>

#include <CLI/CLI.hpp>
#include <opencv2/imgcodecs.hpp>

#include "core/check.hpp"
#include "core/files.hpp"
#include "core/version.hpp"
#include "draw.hpp"
#include "gif.hpp"
#include "options.hpp"
#include "report.hpp"
#include "samples/image_io.hpp"
#include "serve.hpp"

using namespace strider;
using namespace strider::conv_arith;
namespace fs = std::filesystem;

namespace {

struct Output {
  bool matrix = false;
  std::optional<fs::path> prefix;  // writes <prefix>.png and <prefix>.gif
};

void print_matrices(const Params& p, Hw output) {
  const Matrix m = operator_matrix(p);
  std::cout << format_matrix(p, output, m);
  if (p.kind != Kind::transposed) return;
  // The transposed convolution's matrix is the direct convolution's, transposed.
  const Params direct = direct_convolution(p, output);
  if (is_transpose_of_direct(p, output, m))
    std::cout << "  = the transpose of C, the matrix of " << operator_repr(direct) << " on a " << output.h << "x"
              << output.w << " input (checked)\n";
  else
    std::cout << "  the direct convolution on a " << output.h << "x" << output.w << " input has a "
              << operator_matrix(direct).rows << " x " << output.h * output.w
              << " matrix: output_padding >= stride makes the shapes differ\n";
}

void run(const Params& p, std::string_view figure, const Output& out) {
  const Summary summary = summarize(p);
  std::cout << (figure.empty() ? "" : "Fig " + std::string(figure) + "  ") << describe(summary);
  if (!traceable(p, summary.output())) {
    std::cout << "  (more than " << max_traced_size << " cells per axis: not traced through the operator)\n";
    check(!out.matrix && !out.prefix, "too large for --matrix and --out: at most ", max_traced_size,
          " input and output cells per axis");
    return;
  }
  const Geometry g = checked_geometry(p);
  std::cout << "  checked: the operator reads exactly the input pixels the windows above cover\n";
  if (out.matrix) print_matrices(p, g.output);
  if (!out.prefix) {
    std::cout << '\n';
    return;
  }
  const std::vector<std::string> title = picture_title(summary, figure);
  fs::path png = *out.prefix, gif = *out.prefix;
  png += ".png";
  gif += ".gif";
  // Each file replaced whole (core/files): a failed write, a full disk say, leaves the earlier drawing.
  // Flat drawings compress about 5x better at zlib's highest level than at OpenCV's default.
  samples::write_image(png, draw_sheet(g, title), {cv::IMWRITE_PNG_COMPRESSION, 9});
  std::ostringstream gif_bytes;
  write_gif(gif_bytes, gif.string(), draw_frames(g, title), 70);
  write_file_atomically(gif, {gif_bytes.view()}, "cannot write GIF");
  std::cout << "  wrote " << png.string() << " and " << gif.string() << "\n\n";
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"conv-arith: sizes, relation, matrix and pictures of a convolution, transposed convolution or "
               "pooling, as in Dumoulin & Visin's guide to convolution arithmetic. A size is N or HxW."};
  app.set_version_flag("--version", "conv-arith " STRIDER_VERSION);
  ParamsText text;
  std::string figure;
  Output out;
  std::string prefix;
  app.add_option("--kind", text.kind, "conv | transposed | maxpool | avgpool")
      ->check(CLI::IsMember({"conv", "transposed", "maxpool", "avgpool"}))
      ->default_str("conv");
  std::vector<CLI::Option*> parameters = {
      app.add_option("-i,--input", text.input, "input size (transposed: i', its own input)")->default_str("5"),
      app.add_option("-k,--kernel", text.kernel, "kernel size")->default_str("3"),
      app.add_option("-s,--stride", text.stride, "stride (pools: default the kernel size)")->default_str("1"),
      app.add_option("-p,--padding", text.padding, "zero padding on each side")->default_str("0"),
      app.add_option("-d,--dilation", text.dilation, "dilation")->default_str("1"),
      app.add_option("-a,--output-padding", text.output_padding, "transposed: output_padding a")->default_str("0"),
      app.add_flag("--ceil-mode", text.ceil_mode, "pools: ceil_mode")};
  CLI::Option* figure_option =
      app.add_option("--figure", figure, "a figure of the guide: 2.1 ... 2.7, 4.1 ... 4.7, 5.1, or all");
  for (CLI::Option* o : parameters) figure_option->excludes(o);
  figure_option->excludes("--kind");
  app.add_flag("--matrix", out.matrix, "print the matrix C (Cᵀ for the transposed convolution)");
  app.add_option("-o,--out", prefix,
                 "draw: write OUT.png (every kernel position) and OUT.gif (animation); with --figure all, a "
                 "directory for fig2_1.png ...");

  ServeOptions serve_options;
  CLI::App* serve_command = app.add_subcommand("serve", "serve the interactive page at http://HOST:PORT/ until Ctrl-C");
  serve_command->add_option("--port", serve_options.port, "TCP port; 0 picks a free one")
      ->check(CLI::Range(0, 65535))
      ->capture_default_str();
  serve_command->add_option("--host", serve_options.host, "address to listen on")->capture_default_str();

  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {  // --help, --version
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "conv-arith: " << e.what() << '\n';
    return 2;
  }

  try {
    if (*serve_command) return serve(serve_options);
    // OUT names files (OUT.png, OUT.gif): a path ending in a separator would write the hidden '.png' there.
    check(prefix.empty() || figure == "all" || fs::path(prefix).has_filename(), "--out '", prefix,
          "': expected a file name without its extension (OUT gives OUT.png and OUT.gif), not a folder");
    if (figure.empty()) {
      if (!prefix.empty()) out.prefix = prefix;
      run(parse_params(text), "", out);
      return 0;
    }
    if (figure == "all" && !prefix.empty()) {
      std::error_code error;
      fs::create_directories(prefix, error);
      check(!error, "--out '", prefix, "': cannot make the folder of the figures: ", error.message());
    }
    bool found = false;
    for (const Figure& f : guide_figures()) {
      if (figure != "all" && figure != f.id) continue;
      found = true;
      if (!prefix.empty()) {
        std::string name = "fig" + std::string(f.id);
        name[4] = '_';  // fig2_7: a dot would read as an extension
        out.prefix = figure == "all" ? fs::path(prefix) / name : fs::path(prefix);
      }
      run(f.params, f.id, out);
    }
    check(found, "--figure: the guide's figures are 2.1 ... 2.7, 4.1 ... 4.7 and 5.1 (or all), but got '", figure,
          "'");
    return 0;
  } catch (const std::invalid_argument& e) {
    std::cerr << "conv-arith: " << e.what() << '\n';
    return 2;
  } catch (const std::exception& e) {  // a bug, e.g. the operator disagreeing with the arithmetic
    std::cerr << "conv-arith: " << e.what() << '\n';
    return 1;
  }
}
