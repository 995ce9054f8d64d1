#include "geometry.hpp"

#include <algorithm>
#include <sstream>
#include <stdexcept>

#include "core/check.hpp"
#include "ops/conv2d.hpp"
#include "ops/conv_transpose2d.hpp"
#include "ops/pool2d.hpp"

namespace strider::conv_arith {

namespace {

// One channel in and out, no bias: the operator's output is its input's image under C alone. Direct
// summation, whatever STRIDER_CONV_ALGO says: small integers then come out exact.
Conv2d make_conv(const Params& p) {
  Conv2d conv(1, 1, p.kernel, {.stride = p.stride, .padding = Conv2dPadding(p.padding.h, p.padding.w),
                               .dilation = p.dilation, .bias = false});
  conv.set_algorithm(ConvAlgorithm::direct);
  return conv;
}
ConvTranspose2d make_transposed(const Params& p) {
  ConvTranspose2d conv(1, 1, p.kernel, {.stride = p.stride, .padding = p.padding,
                                        .output_padding = p.output_padding, .bias = false, .dilation = p.dilation});
  conv.set_algorithm(ConvAlgorithm::direct);  // exact, as make_conv
  return conv;
}
MaxPool2d make_maxpool(const Params& p) {
  return MaxPool2d(p.kernel, {.stride = p.stride, .padding = p.padding, .dilation = p.dilation,
                              .ceil_mode = p.ceil_mode});
}
// divisor_override = 1 makes the average a plain sum over the window, so a unit input gives 1 where
// the window covers it.
AvgPool2d make_avgpool(const Params& p) {
  return AvgPool2d(p.kernel, {.stride = p.stride, .padding = p.padding, .ceil_mode = p.ceil_mode,
                              .divisor_override = 1, .dilation = p.dilation});
}

// The kernel weights 1 + a·kW + b: a single-tap output names its tap, exactly (small integers).
Tensor tap_coded_weight(Hw kernel) {
  Tensor weight({1, 1, kernel.h, kernel.w});
  for (int64_t a = 0; a < kernel.h; ++a)
    for (int64_t b = 0; b < kernel.w; ++b) weight.at(0, 0, a, b) = static_cast<float>(tap_code(a, b, kernel.w));
  return weight;
}

// Batch entry j of the result is the operator applied to the unit vector e_j (a one at input cell j on
// `background`, the value the unit stands out from).
Tensor unit_inputs(Hw input, float background, float unit) {
  const int64_t n = input.h * input.w;
  Tensor units = Tensor::full({n, 1, input.h, input.w}, background);
  for (int64_t j = 0; j < n; ++j) units[j * n + j] = unit;
  return units;
}

// The padded input (relations 1-7, 15).
AxisLayout conv_axis(int64_t i, int64_t k, int64_t s, int64_t p, int64_t d, bool pool, bool ceil_mode) {
  const int64_t o = pool ? pool_output_size(i, k, s, p, d, ceil_mode) : conv_output_size(i, k, s, p, d);
  AxisLayout axis{.first_input = p, .window_step = s, .kernel = k, .dilation = d, .outputs = o};
  // Pooling's ceil_mode may let the last window reach past the padded input.
  const int64_t extent = std::max(i + 2 * p, (o - 1) * s + dilated_kernel_size(k, d));
  for (int64_t x = 0; x < extent; ++x)
    axis.cells.push_back(x < p || (x >= p + i && x < i + 2 * p) ? Cell::padding
                         : x < p + i                             ? Cell::input
                                                                 : Cell::overhang);
  return axis;
}

// The transposed convolution drawn as its equivalent direct convolution (relations 8-14): the
// stretched input ĩ' framed by p' before and p' + a after; a negative frame crops instead.
AxisLayout transposed_axis(int64_t i, int64_t k, int64_t s, int64_t p, int64_t d, int64_t a) {
  const TransposedConvEquivalent e = transposed_conv_equivalent(i, k, s, p, d, a);
  const int64_t before = std::max<int64_t>(e.padding, 0);
  const int64_t after = e.padding + e.output_padding;
  AxisLayout axis{.first_input = before, .input_step = s, .window_start = std::max<int64_t>(-e.padding, 0),
                  .kernel = k, .dilation = d, .outputs = e.output_size};
  for (int64_t x = 0; x < before; ++x) axis.cells.push_back(Cell::padding);
  for (int64_t r = 0; r < e.stretched_size; ++r) {
    const bool cropped = r < -e.padding || r >= e.stretched_size + after;
    axis.cells.push_back(cropped ? Cell::cropped : r % s == 0 ? Cell::input : Cell::inserted_zero);
  }
  // The guide's order: the p' border, then the a extra zeros.
  for (int64_t x = 0; x < after; ++x) axis.cells.push_back(x < e.padding ? Cell::padding : Cell::output_padding);
  return axis;
}

AxisLayout axis_layout(const Params& p, bool height) {
  const auto pick = [height](Hw v) { return height ? v.h : v.w; };
  if (p.kind == Kind::transposed)
    return transposed_axis(pick(p.input), pick(p.kernel), pick(p.stride), pick(p.padding), pick(p.dilation),
                           pick(p.output_padding));
  return conv_axis(pick(p.input), pick(p.kernel), pick(p.stride), pick(p.padding), pick(p.dilation),
                   p.kind != Kind::conv, p.ceil_mode);
}

}  // namespace

const std::vector<Figure>& guide_figures() {
  using enum Kind;
  static const std::vector<Figure> figures = {
      {"2.1", {.kind = conv, .input = 4, .kernel = 3}},
      {"2.2", {.kind = conv, .input = 5, .kernel = 4, .padding = 2}},
      {"2.3", {.kind = conv, .input = 5, .kernel = 3, .padding = 1}},
      {"2.4", {.kind = conv, .input = 5, .kernel = 3, .padding = 2}},
      {"2.5", {.kind = conv, .input = 5, .kernel = 3, .stride = 2}},
      {"2.6", {.kind = conv, .input = 5, .kernel = 3, .stride = 2, .padding = 1}},
      {"2.7", {.kind = conv, .input = 6, .kernel = 3, .stride = 2, .padding = 1}},
      // The transposes of 2.1-2.7: input i' is the direct convolution's output.
      {"4.1", {.kind = transposed, .input = 2, .kernel = 3}},
      {"4.2", {.kind = transposed, .input = 6, .kernel = 4, .padding = 2}},
      {"4.3", {.kind = transposed, .input = 5, .kernel = 3, .padding = 1}},
      {"4.4", {.kind = transposed, .input = 7, .kernel = 3, .padding = 2}},
      {"4.5", {.kind = transposed, .input = 2, .kernel = 3, .stride = 2}},
      {"4.6", {.kind = transposed, .input = 3, .kernel = 3, .stride = 2, .padding = 1}},
      {"4.7", {.kind = transposed, .input = 3, .kernel = 3, .stride = 2, .padding = 1, .output_padding = 1}},
      {"5.1", {.kind = conv, .input = 7, .kernel = 3, .dilation = 2}},
  };
  return figures;
}

std::string_view kind_name(Kind kind) {
  switch (kind) {
    case Kind::conv: return "conv";
    case Kind::transposed: return "transposed";
    case Kind::maxpool: return "maxpool";
    case Kind::avgpool: return "avgpool";
  }
  return "?";
}

Hw operator_output_size(const Params& p) {
  const Shape input{1, 1, p.input.h, p.input.w};
  Shape out;
  switch (p.kind) {
    case Kind::conv: out = make_conv(p).output_shape(input); break;
    case Kind::transposed: out = make_transposed(p).output_shape(input); break;
    case Kind::maxpool: out = make_maxpool(p).output_shape(input); break;
    case Kind::avgpool: out = make_avgpool(p).output_shape(input); break;
  }
  return {out[-2], out[-1]};
}

std::string operator_repr(const Params& p) {
  std::ostringstream os;
  switch (p.kind) {
    case Kind::conv: os << make_conv(p); break;
    case Kind::transposed: os << make_transposed(p); break;
    case Kind::maxpool: os << make_maxpool(p); break;
    case Kind::avgpool: os << make_avgpool(p); break;
  }
  return os.str();
}

bool traceable(const Params& p, Hw output) {
  return std::max({p.input.h, p.input.w, output.h, output.w}) <= max_traced_size;
}

Matrix operator_matrix(const Params& p) {
  const Hw out = operator_output_size(p);
  check(traceable(p, out), "input ", p.input.h, "x", p.input.w, " and output ", out.h, "x", out.w,
        " are too large to trace through the operator (at most ", max_traced_size, " cells per axis)");
  Tensor y;
  switch (p.kind) {
    case Kind::conv: {
      Conv2d conv = make_conv(p);
      conv.set_weight(tap_coded_weight(p.kernel));
      y = conv(unit_inputs(p.input, 0, 1));
      break;
    }
    case Kind::transposed: {
      ConvTranspose2d conv = make_transposed(p);
      conv.set_weight(tap_coded_weight(p.kernel));
      y = conv(unit_inputs(p.input, 0, 1));
      break;
    }
    // Padding never wins a max: on a -1 background, a window's max is 0 exactly when it covers the unit.
    case Kind::maxpool: y = make_maxpool(p)(unit_inputs(p.input, -1, 0)); break;
    case Kind::avgpool: y = make_avgpool(p)(unit_inputs(p.input, 0, 1)); break;
  }
  Matrix m{out.h * out.w, p.input.h * p.input.w, {}};
  m.entries.resize(static_cast<std::size_t>(m.rows * m.cols));
  for (int64_t j = 0; j < m.cols; ++j)
    for (int64_t o = 0; o < m.rows; ++o) {
      const float v = y[j * m.rows + o];
      m.entries[static_cast<std::size_t>(o * m.cols + j)] =
          p.kind == Kind::maxpool ? (v == 0.0f ? 1 : 0) : static_cast<int64_t>(v);
    }
  return m;
}

Matrix transpose(const Matrix& m) {
  Matrix t{m.cols, m.rows, std::vector<int64_t>(m.entries.size())};
  for (int64_t r = 0; r < m.rows; ++r)
    for (int64_t c = 0; c < m.cols; ++c) t.entries[static_cast<std::size_t>(c * t.cols + r)] = m.at(r, c);
  return t;
}

Params direct_convolution(const Params& p, Hw output) {
  return {.kind = Kind::conv, .input = output, .kernel = p.kernel, .stride = p.stride, .padding = p.padding,
          .dilation = p.dilation};
}

bool is_transpose_of_direct(const Params& p, Hw output, const Matrix& m) {
  const Matrix c = operator_matrix(direct_convolution(p, output));
  return c.cols == m.rows && c.rows == m.cols && transpose(c) == m;
}

Layout layout(const Params& p) { return {axis_layout(p, true), axis_layout(p, false)}; }

Cell cell_at(const Layout& layout, int64_t y, int64_t x) {
  const Cell row = layout.h.cells.at(static_cast<std::size_t>(y));
  const Cell col = layout.w.cells.at(static_cast<std::size_t>(x));
  // The most special kind wins: a padding row crossing an input column is padding.
  for (const Cell c : {Cell::cropped, Cell::overhang, Cell::output_padding, Cell::padding, Cell::inserted_zero})
    if (row == c || col == c) return c;
  return Cell::input;
}

std::vector<GridCell> window_taps(const Layout& layout, int64_t o) {
  const int64_t oy = o / layout.w.outputs, ox = o % layout.w.outputs;
  std::vector<GridCell> taps;
  for (int64_t a = 0; a < layout.h.kernel; ++a)
    for (int64_t b = 0; b < layout.w.kernel; ++b)
      taps.push_back({layout.h.tap_position(oy, a), layout.w.tap_position(ox, b)});
  return taps;
}

Matrix layout_matrix(const Params& p, const Layout& layout) {
  const AxisLayout &h = layout.h, &w = layout.w;
  Matrix m{h.outputs * w.outputs, p.input.h * p.input.w, {}};
  m.entries.assign(static_cast<std::size_t>(m.rows * m.cols), 0);
  for (int64_t o = 0; o < m.rows; ++o) {
    const std::vector<GridCell> taps = window_taps(layout, o);
    for (std::size_t t = 0; t < taps.size(); ++t) {
      const GridCell c = taps[t];
      if (cell_at(layout, c.y, c.x) != Cell::input) continue;
      const int64_t a = static_cast<int64_t>(t) / w.kernel, b = static_cast<int64_t>(t) % w.kernel;
      const int64_t j = (c.y - h.first_input) / h.input_step * p.input.w + (c.x - w.first_input) / w.input_step;
      // The equivalent convolution of the transposed one runs the kernel flipped in both axes.
      const int64_t code = p.kind == Kind::conv         ? tap_code(a, b, w.kernel)
                           : p.kind == Kind::transposed ? tap_code(h.kernel - 1 - a, w.kernel - 1 - b, w.kernel)
                                                        : 1;
      m.entries[static_cast<std::size_t>(o * m.cols + j)] = code;
    }
  }
  return m;
}

Geometry checked_geometry(const Params& p) {
  Geometry g{p, operator_output_size(p), layout(p), operator_matrix(p)};
  std::ostringstream message;
  message << "internal: the operator and the arithmetic disagree: ";
  if (g.output != Hw(g.layout.h.outputs, g.layout.w.outputs)) {
    message << "the operator's output is " << g.output << ", the layout has " << g.layout.h.outputs << " x "
            << g.layout.w.outputs << " windows";
    throw std::logic_error(message.str());
  }
  const Matrix predicted = layout_matrix(p, g.layout);
  for (int64_t o = 0; o < predicted.rows; ++o)
    for (int64_t j = 0; j < predicted.cols; ++j)
      if (predicted.at(o, j) != g.matrix.at(o, j)) {
        message << "at output (" << o / g.output.w << ", " << o % g.output.w << ") and input ("
                << j / p.input.w << ", " << j % p.input.w << ") the operator reads tap code " << g.matrix.at(o, j)
                << " but the arithmetic predicts " << predicted.at(o, j);
        throw std::logic_error(message.str());
      }
  return g;
}

std::vector<GridCell> operator_reads(const Geometry& g, int64_t o) {
  std::vector<GridCell> reads;
  for (int64_t j = 0; j < g.matrix.cols; ++j)
    if (g.matrix.at(o, j) != 0)
      reads.push_back({g.layout.h.input_position(j / g.params.input.w),
                       g.layout.w.input_position(j % g.params.input.w)});
  return reads;
}

}  // namespace strider::conv_arith
