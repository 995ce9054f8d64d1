#pragma once
// The geometry of one convolution, transposed convolution or pooling, as the convolution arithmetic
// guide draws it (shared/ARITHMETIC.md), from two independent sources that must agree:
//   - the layout: where each input pixel, padding cell, inserted zero and window sits, from the
//     arithmetic API (core/arithmetic.hpp);
//   - the operator matrix: which input pixels each output reads, from running the real Strider
//     operator on unit vectors.
// No drawing here, so the tests can check the geometry without pixels.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/arithmetic.hpp"

namespace strider::conv_arith {

enum class Kind { conv, transposed, maxpool, avgpool };
std::string_view kind_name(Kind kind);  // "conv", "transposed", "maxpool", "avgpool"
inline bool is_pool(Kind kind) { return kind == Kind::maxpool || kind == Kind::avgpool; }

// One configuration, per axis (H, W). For the transposed convolution, input is i', the size of the
// transposed convolution's own input, and kernel/stride/padding/dilation are PyTorch's
// ConvTranspose2d arguments (those of the direct convolution it transposes).
struct Params {
  Kind kind = Kind::conv;
  Hw input = 5;
  Hw kernel = 3;
  Hw stride = 1;
  Hw padding = 0;
  Hw dilation = 1;
  Hw output_padding = 0;  // transposed only
  bool ceil_mode = false;  // pools only
  friend bool operator==(const Params&, const Params&) = default;
};

// The figures of the guide (ARITHMETIC.md): "2.1" ... "2.7", "4.1" ... "4.7", "5.1".
struct Figure {
  std::string_view id;
  Params params;
};
const std::vector<Figure>& guide_figures();

// The output size, from the operator itself: constructs it and calls output_shape on a [1, 1, H, W]
// input, so invalid parameters throw std::invalid_argument with the operator's own message.
Hw operator_output_size(const Params& params);
// The operator as PyTorch prints it: "Conv2d(1, 1, kernel_size=(3, 3), stride=(2, 2), bias=False)".
std::string operator_repr(const Params& params);

// The operator as a matrix: row o (output cell, row-major) and column j (input cell, row-major) hold
// the operator's output o for the unit input e_j. Conv2d and ConvTranspose2d run with the kernel tap
// (a, b) weighted 1 + a·kW + b, so an entry names the tap that connects o and j; the pools give 1
// where the window of o covers j. 0: o does not read j. For the transposed convolution this is Cᵀ.
struct Matrix {
  int64_t rows = 0;
  int64_t cols = 0;
  std::vector<int64_t> entries;
  int64_t at(int64_t row, int64_t col) const { return entries[static_cast<std::size_t>(row * cols + col)]; }
  friend bool operator==(const Matrix&, const Matrix&) = default;
};
// One unit vector per input cell makes the work grow as (input cells) x (output cells): configurations
// with more than max_traced_size cells on an axis of either are refused (std::invalid_argument).
inline constexpr int64_t max_traced_size = 48;
bool traceable(const Params& params, Hw output);
Matrix operator_matrix(const Params& params);
Matrix transpose(const Matrix& matrix);
// The direct convolution a transposed one transposes: Conv2d with the same kernel, stride, padding and
// dilation on an input of the transposed convolution's output size.
Params direct_convolution(const Params& transposed, Hw output);
// Whether `matrix`, a transposed convolution's, is the transpose of its direct convolution's matrix C:
// it is, unless output_padding >= stride makes the shapes differ.
bool is_transpose_of_direct(const Params& transposed, Hw output, const Matrix& matrix);
// The tap code of a weight entry (conv and transposed): 1 + a·kW + b.
inline int64_t tap_code(int64_t a, int64_t b, int64_t kernel_w) { return 1 + a * kernel_w + b; }

// What a cell of the drawn input grid holds.
enum class Cell {
  input,           // a real input pixel
  padding,         // zero padding (p, or p' for the transposed convolution)
  inserted_zero,   // transposed: the s - 1 zeros between input pixels
  output_padding,  // transposed: the extra `a` zeros at the bottom/right
  overhang,        // pools with ceil_mode: where the last window reaches past the padded input
  cropped,         // transposed with p' < 0: stretched input the equivalent convolution crops away
};

// One axis of the drawn input grid: the padded input (conv, pools) or, for the transposed
// convolution, its equivalent direct convolution's input (zeros inserted, p' and a borders).
struct AxisLayout {
  std::vector<Cell> cells = {};  // the drawn grid, first to last
  int64_t first_input = 0;  // real input j sits at first_input + j·input_step
  int64_t input_step = 1;
  int64_t window_start = 0;  // the window of output o starts at window_start + o·window_step
  int64_t window_step = 1;
  int64_t kernel = 1;  // taps at start + a·dilation, a < kernel
  int64_t dilation = 1;
  int64_t outputs = 0;
  int64_t extent() const { return static_cast<int64_t>(cells.size()); }
  int64_t input_position(int64_t j) const { return first_input + j * input_step; }
  int64_t tap_position(int64_t o, int64_t a) const { return window_start + o * window_step + a * dilation; }
};
struct Layout {
  AxisLayout h, w;
};
// From the arithmetic API alone; params must be valid (operator_output_size first).
Layout layout(const Params& params);
Cell cell_at(const Layout& layout, int64_t y, int64_t x);

// The matrix the layout predicts: the taps of every window that land on a real input pixel, coded as
// operator_matrix codes them (the transposed convolution's equivalent kernel is flipped).
Matrix layout_matrix(const Params& params, const Layout& layout);

// A configuration whose picture has been checked: the operator reads exactly the input pixels the
// layout's windows cover, through the same kernel taps.
struct Geometry {
  Params params;
  Hw output;
  Layout layout;
  Matrix matrix;  // from the operator
};
// Throws std::invalid_argument for invalid parameters (the operator's message) and std::logic_error
// naming the first output cell where the operator and the arithmetic disagree.
Geometry checked_geometry(const Params& params);

struct GridCell {
  int64_t y = 0;
  int64_t x = 0;
  friend bool operator==(const GridCell&, const GridCell&) = default;
};
// The drawn cells the operator reads for output (row-major) `o`, from the operator matrix.
std::vector<GridCell> operator_reads(const Geometry& geometry, int64_t o);
// The drawn cells under every kernel tap of output `o`'s window, from the layout.
std::vector<GridCell> window_taps(const Layout& layout, int64_t o);

}  // namespace strider::conv_arith
