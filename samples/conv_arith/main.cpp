// conv-arith: the convolution arithmetic explorer. Prints the sizes of a convolution, transposed
// convolution or pooling and the relation of Dumoulin & Visin's guide that gives them, optionally the
// matrix C, and draws every kernel position (PNG) and an animation (GIF), from the real operators.
//
//   conv-arith -i 5 -k 3 -s 2 -p 1 --matrix      conv-arith --kind transposed -i 3 -k 3 -s 2 -p 1 -a 1 -o t
//   conv-arith --figure 2.7 -o fig2_7            conv-arith --figure all -o figures/
#include <charconv>
#include <filesystem>
#include <iostream>
#include <optional>

#include <CLI/CLI.hpp>
#include <opencv2/imgcodecs.hpp>

#include "core/check.hpp"
#include "core/version.hpp"
#include "draw.hpp"
#include "gif.hpp"
#include "report.hpp"

using namespace strider;
using namespace strider::conv_arith;
namespace fs = std::filesystem;

namespace {

// "5" or "5x7" (H x W). Negative values pass, so the operator rejects them with its own message.
Hw parse_hw(const std::string& option, const std::string& text) {
  const auto number = [&](std::string_view s) {
    int64_t v = 0;
    const auto [end, error] = std::from_chars(s.data(), s.data() + s.size(), v);
    check(error == std::errc() && end == s.data() + s.size() && !s.empty(), option,
          ": expected N or HxW (e.g. 3 or 3x5), but got '", text, "'");
    return v;
  };
  const std::size_t x = text.find('x');
  if (x == std::string::npos) return number(text);
  return {number(std::string_view(text).substr(0, x)), number(std::string_view(text).substr(x + 1))};
}

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
  const Matrix c = operator_matrix(direct);
  if (c.cols == m.rows && c.rows == m.cols && transpose(c) == m)
    std::cout << "  = the transpose of C, the matrix of " << operator_repr(direct) << " on a " << output.h << "x"
              << output.w << " input (checked)\n";
  else
    std::cout << "  the direct convolution on a " << output.h << "x" << output.w << " input has a " << c.rows
              << " x " << c.cols << " matrix: output_padding >= stride makes the shapes differ\n";
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
  // Flat drawings compress about 5x better at zlib's highest level than at OpenCV's default.
  check(cv::imwrite(png.string(), draw_sheet(g, title), {cv::IMWRITE_PNG_COMPRESSION, 9}), "cannot write image '",
        png.string(), "'");
  write_gif(gif, draw_frames(g, title), 70);
  std::cout << "  wrote " << png.string() << " and " << gif.string() << "\n\n";
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"conv-arith: sizes, relation, matrix and pictures of a convolution, transposed convolution or "
               "pooling, as in Dumoulin & Visin's guide to convolution arithmetic. A size is N or HxW."};
  app.set_version_flag("--version", "conv-arith " STRIDER_VERSION);
  Params p;
  std::string kind = "conv", input = "5", kernel = "3", stride, padding = "0", dilation = "1", output_padding = "0";
  std::string figure;
  Output out;
  std::string prefix;
  app.add_option("--kind", kind, "conv | transposed | maxpool | avgpool")
      ->check(CLI::IsMember({"conv", "transposed", "maxpool", "avgpool"}))
      ->default_str("conv");
  std::vector<CLI::Option*> parameters = {
      app.add_option("-i,--input", input, "input size (transposed: i', its own input)")->default_str("5"),
      app.add_option("-k,--kernel", kernel, "kernel size")->default_str("3"),
      app.add_option("-s,--stride", stride, "stride (pools: default the kernel size)")->default_str("1"),
      app.add_option("-p,--padding", padding, "zero padding on each side")->default_str("0"),
      app.add_option("-d,--dilation", dilation, "dilation")->default_str("1"),
      app.add_option("-a,--output-padding", output_padding, "transposed: output_padding a")->default_str("0"),
      app.add_flag("--ceil-mode", p.ceil_mode, "pools: ceil_mode")};
  CLI::Option* figure_option =
      app.add_option("--figure", figure, "a figure of the guide: 2.1 ... 2.7, 4.1 ... 4.7, 5.1, or all");
  for (CLI::Option* o : parameters) figure_option->excludes(o);
  figure_option->excludes("--kind");
  app.add_flag("--matrix", out.matrix, "print the matrix C (Cᵀ for the transposed convolution)");
  app.add_option("-o,--out", prefix,
                 "draw: write OUT.png (every kernel position) and OUT.gif (animation); with --figure all, a "
                 "directory for fig2_1.png ...");

  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {  // --help, --version
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "conv-arith: " << e.what() << '\n';
    return 2;
  }

  try {
    if (figure.empty()) {
      for (const Kind k : {Kind::conv, Kind::transposed, Kind::maxpool, Kind::avgpool})
        if (kind_name(k) == kind) p.kind = k;
      p.input = parse_hw("--input", input);
      p.kernel = parse_hw("--kernel", kernel);
      const bool pool = is_pool(p.kind);
      p.stride = stride.empty() ? (pool ? p.kernel : Hw(1)) : parse_hw("--stride", stride);
      p.padding = parse_hw("--padding", padding);
      p.dilation = parse_hw("--dilation", dilation);
      p.output_padding = parse_hw("--output-padding", output_padding);
      check(p.kind == Kind::transposed || p.output_padding == Hw(0),
            "--output-padding applies to --kind transposed only");
      check(pool || !p.ceil_mode, "--ceil-mode applies to --kind maxpool and avgpool only");
      if (!prefix.empty()) out.prefix = prefix;
      run(p, "", out);
      return 0;
    }
    bool found = false;
    for (const Figure& f : guide_figures()) {
      if (figure != "all" && figure != f.id) continue;
      found = true;
      if (!prefix.empty()) {
        std::string name = "fig" + std::string(f.id);
        name[4] = '_';  // fig2_7: a dot would read as an extension
        if (figure == "all") fs::create_directories(prefix);
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
