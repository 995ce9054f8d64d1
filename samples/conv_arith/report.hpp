#pragma once
// What conv-arith prints: the sizes of one configuration per axis, which relation of ARITHMETIC.md
// gives them, the transposed convolution's equivalent direct convolution, and the matrix C as text.
// Sizes come from the arithmetic API (core/arithmetic.hpp) after the operator has validated them.
#include <string>
#include <string_view>
#include <vector>

#include "geometry.hpp"

namespace strider::conv_arith {

struct AxisSummary {
  int64_t input = 0, kernel = 0, stride = 0, padding = 0, dilation = 0, output_padding = 0;
  int64_t effective_kernel = 0;  // k̂ = k + (k - 1)(d - 1)
  int64_t output = 0;
  int relation = 0;  // the row of ARITHMETIC.md that gives `output`
  // Conv and pools: the input sizes with this output (the floor's ambiguity, Fig 2.6 / 2.7), and the
  // padded input cells after the last window (negative: a ceil_mode window reaches past them).
  SizeRange same_output_inputs = {};
  int64_t uncovered = 0;
  // Transposed: the equivalent direct convolution, the output sizes PyTorch's output_size accepts
  // (output_padding 0 .. s - 1) and the largest valid output_padding (a < s or a < d).
  TransposedConvEquivalent equivalent = {};
  SizeRange output_size_range = {};
  int64_t max_output_padding = 0;
};

struct Summary {
  Params params;
  AxisSummary h, w;
  Hw output() const { return {h.output, w.output}; }
};

// Validates through the operator first (std::invalid_argument with its message).
Summary summarize(const Params& params);

// "conv: input 6x6, k=3, s=2, p=1 -> output 3x3" (a per-axis value prints as HxW when the axes differ).
std::string headline(const Params& params, Hw output);
// The title lines of a picture, ASCII (OpenCV's fonts have no other): the headline, prefixed with
// "Fig 2.7  " when `figure` is given, then what the grid shows.
std::vector<std::string> picture_title(const Summary& summary, std::string_view figure);
// The lines describe() prints for one axis: the relation, its formula with the numbers filled in, and
// what follows (the equivalent direct convolution, the valid output_padding / output_size).
std::vector<std::string> axis_lines(Kind kind, bool ceil_mode, const AxisSummary& axis);
// The whole printed report, several lines.
std::string describe(const Summary& summary);

// The operator matrix as a table (rows: outputs, columns: inputs; `wab` is weight[a][b]), or one line
// saying why it is too large to print.
inline constexpr int64_t max_printed_columns = 64;
inline constexpr int64_t max_printed_rows = 100;
std::string format_matrix(const Params& params, Hw output, const Matrix& matrix);
// One entry of the matrix as format_matrix prints it: "w12" (weight[1][2]), "1" (pools), "." (0).
std::string matrix_entry_text(const Params& params, int64_t code);

}  // namespace strider::conv_arith
