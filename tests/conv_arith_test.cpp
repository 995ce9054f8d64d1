// conv-arith's geometry (samples/conv_arith): every figure of the guide and random configurations of
// each kind. Three sources must agree: the operator traced on unit vectors (operator_matrix), the
// layout built from the arithmetic API (layout, layout_matrix), and the window positions written out
// here from PyTorch's definitions (PYTORCH_SEMANTICS.md), which share no code with either.
#include <gtest/gtest.h>

#include <functional>
#include <random>
#include <string>

#include "ops/conv2d.hpp"
#include "ops/conv_transpose2d.hpp"
#include "ops/pool2d.hpp"
#include "samples/conv_arith/geometry.hpp"
#include "samples/conv_arith/report.hpp"
#include "test_util.hpp"

namespace strider::conv_arith {
namespace {

using testing::rejects;

// PyTorch's definitions: output o reads input o·s - p + a·d through tap a (conv, pools, taps outside
// the input skipped); the transposed convolution scatters input j to output j·s - p + a·d through tap a.
Matrix expected_matrix(const Params& p, Hw out) {
  const Hw in = p.input;
  Matrix m{out.h * out.w, in.h * in.w, std::vector<int64_t>(std::size_t(out.h * out.w * in.h * in.w), 0)};
  const auto set = [&](int64_t oy, int64_t ox, int64_t iy, int64_t ix, int64_t a, int64_t b) {
    const bool outside = oy < 0 || oy >= out.h || ox < 0 || ox >= out.w || iy < 0 || iy >= in.h || ix < 0 ||
                         ix >= in.w;
    if (!outside)
      m.entries[std::size_t((oy * out.w + ox) * m.cols + iy * in.w + ix)] =
          is_pool(p.kind) ? 1 : 1 + a * p.kernel.w + b;
  };
  for (int64_t a = 0; a < p.kernel.h; ++a)
    for (int64_t b = 0; b < p.kernel.w; ++b) {
      if (p.kind == Kind::transposed) {
        for (int64_t jy = 0; jy < in.h; ++jy)
          for (int64_t jx = 0; jx < in.w; ++jx)
            set(jy * p.stride.h - p.padding.h + a * p.dilation.h, jx * p.stride.w - p.padding.w + b * p.dilation.w,
                jy, jx, a, b);
      } else {
        for (int64_t oy = 0; oy < out.h; ++oy)
          for (int64_t ox = 0; ox < out.w; ++ox)
            set(oy, ox, oy * p.stride.h - p.padding.h + a * p.dilation.h,
                ox * p.stride.w - p.padding.w + b * p.dilation.w, a, b);
      }
    }
  return m;
}

// The output size per axis from the arithmetic API.
int64_t arithmetic_output(const Params& p, int64_t i, int64_t k, int64_t s, int64_t pad, int64_t d, int64_t a) {
  if (p.kind == Kind::transposed) return conv_transpose_output_size(i, k, s, pad, d, a);
  if (is_pool(p.kind)) return pool_output_size(i, k, s, pad, d, p.ceil_mode);
  return conv_output_size(i, k, s, pad, d);
}
Hw arithmetic_output(const Params& p) {
  return {arithmetic_output(p, p.input.h, p.kernel.h, p.stride.h, p.padding.h, p.dilation.h, p.output_padding.h),
          arithmetic_output(p, p.input.w, p.kernel.w, p.stride.w, p.padding.w, p.dilation.w, p.output_padding.w)};
}

// What lies under tap `a` of window `o` on one axis, from the definitions: the padded input for conv
// and pools; for the transposed convolution, the stretched input ĩ' seen by a stride-1 window that
// starts p' = d(k - 1) - p before it.
Cell expected_axis_cell(const Params& p, int64_t i, int64_t k, int64_t s, int64_t pad, int64_t d, int64_t o,
                        int64_t a) {
  if (p.kind != Kind::transposed) {
    const int64_t x = o * s - pad + a * d;
    return x >= 0 && x < i ? Cell::input : x < i + pad ? Cell::padding : Cell::overhang;
  }
  const int64_t stretched = (i - 1) * s + 1, p_prime = d * (k - 1) - pad, r = o + a * d - p_prime;
  if (r < 0) return Cell::padding;
  if (r < stretched) return r % s == 0 ? Cell::input : Cell::inserted_zero;
  return r - stretched < p_prime ? Cell::padding : Cell::output_padding;
}

// Everything the program shows for one valid configuration, against the definitions and the operator.
void check_configuration(const Params& p) {
  const Hw out = operator_output_size(p);
  ASSERT_EQ(out, arithmetic_output(p));
  const Summary s = summarize(p);
  EXPECT_EQ(s.output(), out);

  const Matrix expected = expected_matrix(p, out);
  const Matrix traced = operator_matrix(p);
  EXPECT_EQ(traced, expected) << "the operator's taps differ from the definition";
  const Layout l = layout(p);
  EXPECT_EQ(layout_matrix(p, l), expected) << "the layout's windows differ from the definition";
  EXPECT_NO_THROW(checked_geometry(p));

  ASSERT_EQ(l.h.outputs, out.h);
  ASSERT_EQ(l.w.outputs, out.w);
  for (int64_t o = 0; o < out.h * out.w; ++o) {
    const std::vector<GridCell> taps = window_taps(l, o);
    for (std::size_t t = 0; t < taps.size(); ++t) {
      const int64_t a = int64_t(t) / p.kernel.w, b = int64_t(t) % p.kernel.w;
      ASSERT_GE(taps[t].y, 0);
      ASSERT_LT(taps[t].y, l.h.extent());
      ASSERT_GE(taps[t].x, 0);
      ASSERT_LT(taps[t].x, l.w.extent());
      EXPECT_EQ(l.h.cells[std::size_t(taps[t].y)],
                expected_axis_cell(p, p.input.h, p.kernel.h, p.stride.h, p.padding.h, p.dilation.h, o / out.w, a))
          << "output " << o << " tap row " << a;
      EXPECT_EQ(l.w.cells[std::size_t(taps[t].x)],
                expected_axis_cell(p, p.input.w, p.kernel.w, p.stride.w, p.padding.w, p.dilation.w, o % out.w, b))
          << "output " << o << " tap column " << b;
    }
  }

  if (p.kind == Kind::transposed) {
    const TransposedConvEquivalent e = transposed_conv_equivalent(p.input.h, p.kernel.h, p.stride.h, p.padding.h,
                                                                  p.dilation.h, p.output_padding.h);
    EXPECT_EQ(s.h.equivalent.stretched_size, e.stretched_size);
    EXPECT_EQ(s.h.equivalent.padding, e.padding);
    EXPECT_EQ(s.h.equivalent.output_size, out.h);
    EXPECT_EQ(s.w.output_size_range,
              conv_transpose_output_size_range(p.input.w, p.kernel.w, p.stride.w, p.padding.w, p.dilation.w));
    // The adjoint: Cᵀ is the direct convolution's C transposed, whenever that convolution maps o' back to i'.
    const Params direct = direct_convolution(p, out);
    if (operator_output_size(direct) == p.input) {
      EXPECT_EQ(transpose(operator_matrix(direct)), traced);
    }
    return;
  }
  // Every input size of the printed range gives this output through the operator; its neighbours do not.
  // Without ceil_mode that is relation 6 / 15 inverted, less the sizes the operator rejects.
  const SizeRange r = s.h.same_output_inputs;
  ASSERT_LE(r.min, p.input.h);
  ASSERT_GE(r.max, p.input.h);
  if (!p.ceil_mode) {
    const SizeRange inverse = conv_input_size_range(out.h, p.kernel.h, p.stride.h, p.padding.h, p.dilation.h);
    EXPECT_EQ(r.max, inverse.max);
    EXPECT_GE(r.min, inverse.min);
    if (p.kind == Kind::conv) {
      EXPECT_EQ(r.min, inverse.min);
    }
  }
  const auto output_h = [&](int64_t i) -> int64_t {
    Params q = p;
    q.input.h = i;
    try {
      return operator_output_size(q).h;
    } catch (const std::invalid_argument&) {
      return -1;
    }
  };
  for (int64_t i = r.min; i <= r.max; ++i) EXPECT_EQ(output_h(i), out.h) << "input " << i;
  if (r.min > 1) {
    EXPECT_NE(output_h(r.min - 1), out.h);
  }
  EXPECT_NE(output_h(r.max + 1), out.h);
}

struct FigureCase {
  const char* id;
  Params params;
  Hw output;
  int relation;
  int64_t drawn;  // the drawn grid: the padded input, or the transposed convolution's equivalent input
};

// ARITHMETIC.md's examples, written out again rather than read from guide_figures().
const FigureCase figure_cases[] = {
    {"2.1", {.input = 4, .kernel = 3}, 2, 1, 4},
    {"2.2", {.input = 5, .kernel = 4, .padding = 2}, 6, 2, 9},
    {"2.3", {.input = 5, .kernel = 3, .padding = 1}, 5, 3, 7},
    {"2.4", {.input = 5, .kernel = 3, .padding = 2}, 7, 4, 9},
    {"2.5", {.input = 5, .kernel = 3, .stride = 2}, 2, 5, 5},
    {"2.6", {.input = 5, .kernel = 3, .stride = 2, .padding = 1}, 3, 6, 7},
    {"2.7", {.input = 6, .kernel = 3, .stride = 2, .padding = 1}, 3, 6, 8},
    {"4.1", {.kind = Kind::transposed, .input = 2, .kernel = 3}, 4, 8, 6},
    {"4.2", {.kind = Kind::transposed, .input = 6, .kernel = 4, .padding = 2}, 5, 9, 8},
    {"4.3", {.kind = Kind::transposed, .input = 5, .kernel = 3, .padding = 1}, 5, 10, 7},
    {"4.4", {.kind = Kind::transposed, .input = 7, .kernel = 3, .padding = 2}, 5, 11, 7},
    {"4.5", {.kind = Kind::transposed, .input = 2, .kernel = 3, .stride = 2}, 5, 12, 7},
    {"4.6", {.kind = Kind::transposed, .input = 3, .kernel = 3, .stride = 2, .padding = 1}, 5, 13, 7},
    {"4.7", {.kind = Kind::transposed, .input = 3, .kernel = 3, .stride = 2, .padding = 1, .output_padding = 1}, 6,
     14, 8},
    {"5.1", {.input = 7, .kernel = 3, .dilation = 2}, 3, 15, 7},
};

TEST(ConvArith, EveryFigureOfTheGuide) {
  ASSERT_EQ(guide_figures().size(), std::size(figure_cases));
  for (std::size_t f = 0; f < std::size(figure_cases); ++f) {
    const FigureCase& c = figure_cases[f];
    SCOPED_TRACE(std::string("Fig ") + c.id);
    EXPECT_EQ(guide_figures()[f].id, c.id);
    EXPECT_EQ(guide_figures()[f].params, c.params);
    const Summary s = summarize(c.params);
    EXPECT_EQ(s.output(), c.output);
    EXPECT_EQ(s.h.relation, c.relation);
    EXPECT_EQ(s.w.relation, c.relation);
    const Geometry g = checked_geometry(c.params);
    EXPECT_EQ(g.layout.h.extent(), c.drawn);
    EXPECT_EQ(g.layout.w.extent(), c.drawn);
    check_configuration(c.params);
  }
}

TEST(ConvArith, Fig2_6And2_7ShareTheirOutputAndFig2_7LeavesARowUncovered) {
  const Summary fig2_6 = summarize(figure_cases[5].params), fig2_7 = summarize(figure_cases[6].params);
  EXPECT_EQ(fig2_6.h.same_output_inputs, (SizeRange{5, 6}));
  EXPECT_EQ(fig2_7.w.same_output_inputs, (SizeRange{5, 6}));
  EXPECT_EQ(fig2_6.h.uncovered, 0);
  EXPECT_EQ(fig2_7.h.uncovered, 1);
  const Layout l = layout(figure_cases[6].params);
  for (int64_t o = 0; o < 9; ++o)
    for (const GridCell t : window_taps(l, o)) EXPECT_LT(t.y, 7) << "the last padded row is never read";
}

TEST(ConvArith, Fig4_7IsStretchedPaddedAndBorderedAsTheGuideDrawsIt) {
  const AxisLayout h = layout(figure_cases[13].params).h;
  const std::vector<Cell> cells = {Cell::padding, Cell::input,   Cell::inserted_zero, Cell::input,
                                   Cell::inserted_zero, Cell::input, Cell::padding,  Cell::output_padding};
  EXPECT_EQ(h.cells, cells);
}

// Fig 4.n is the transpose of Fig 2.n: ConvTranspose2d's matrix is Conv2d's, transposed.
TEST(ConvArith, Figures4AreTheTransposesOfFigures2) {
  for (int n = 0; n < 7; ++n) {
    SCOPED_TRACE(std::string("Fig ") + figure_cases[n + 7].id);
    EXPECT_EQ(operator_matrix(figure_cases[n + 7].params), transpose(operator_matrix(figure_cases[n].params)));
  }
}

TEST(ConvArith, PrintsTheSizesAndTheMatrix) {
  const std::string fig2_7 = describe(summarize(figure_cases[6].params));
  for (const char* fragment : {"conv: input 6x6, k=3, s=2, p=1 -> output 3x3", "relation 6", "same output: 5..6",
                               "the last 1 cell(s) of the padded input are never covered"})
    EXPECT_NE(fig2_7.find(fragment), std::string::npos) << fragment << " in\n" << fig2_7;
  const std::string fig4_7 = describe(summarize(figure_cases[13].params));
  for (const char* fragment : {"-> output 6x6", "relation 14", "(ĩ' = 5), p' = 1, a = 1", "output_size may be 5..6"})
    EXPECT_NE(fig4_7.find(fragment), std::string::npos) << fragment << " in\n" << fig4_7;

  // Fig 2.1: C is 4 x 16 and its first row is the kernel's first three rows, spread over the input rows.
  const Params fig2_1 = figure_cases[0].params;
  const std::string c = format_matrix(fig2_1, 2, operator_matrix(fig2_1));
  EXPECT_NE(c.find("C (4 x 16)"), std::string::npos) << c;
  EXPECT_NE(c.find(" 0,0 w00 w01 w02   . w10 w11 w12   . w20 w21 w22   .   .   .   .   .\n"), std::string::npos) << c;
  const Params big{.input = 9, .kernel = 2};
  EXPECT_NE(format_matrix(big, 8, operator_matrix(big)).find("too large to print"), std::string::npos);
}

// Random configurations of each kind, with every parameter differing between the axes.
TEST(ConvArith, RandomConfigurationsMatchTheOperatorAndTheArithmetic) {
  std::mt19937 rng(20240611);
  const auto uniform = [&rng](int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(rng); };
  const auto pair = [&](int64_t lo, int64_t hi) { return Hw(uniform(lo, hi), uniform(lo, hi)); };
  for (const Kind kind : {Kind::conv, Kind::transposed, Kind::maxpool, Kind::avgpool}) {
    int valid = 0, tried = 0;
    while (valid < 200 && tried < 20000) {
      ++tried;
      Params p{.kind = kind, .input = pair(1, 8), .kernel = pair(1, 4), .stride = pair(1, 3),
               .padding = pair(0, kind == Kind::transposed ? 5 : 3), .dilation = pair(1, 3)};
      if (kind == Kind::transposed)
        p.output_padding = {uniform(0, std::max(p.stride.h, p.dilation.h) - 1),
                            uniform(0, std::max(p.stride.w, p.dilation.w) - 1)};
      p.ceil_mode = is_pool(kind) && uniform(0, 1) == 1;
      try {
        operator_output_size(p);
      } catch (const std::invalid_argument&) {
        continue;  // the operator rejects it; RejectsWithTheOperatorsMessage covers those
      }
      ++valid;
      SCOPED_TRACE(headline(p, operator_output_size(p)) + ", a=" + std::to_string(p.output_padding.h) + "x" +
                   std::to_string(p.output_padding.w));
      check_configuration(p);
      if (::testing::Test::HasFailure()) return;  // one configuration's failures are enough to read
    }
    EXPECT_EQ(valid, 200) << kind_name(kind);
  }
}

// The program's errors are the operators' own messages.
template <class Op>
std::string message_of(const std::function<Op()>& make, const Shape& input) {
  try {
    make().output_shape(input);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(ConvArith, RejectsWithTheOperatorsMessage) {
  const Shape x{1, 1, 5, 5};
  const auto same = [&](const Params& p, const std::string& message) {
    SCOPED_TRACE(message);
    EXPECT_TRUE(rejects([&] { summarize(p); }, {message}));
    EXPECT_TRUE(rejects([&] { checked_geometry(p); }, {message}));
  };
  same({.kernel = 0}, message_of<Conv2d>([] { return Conv2d(1, 1, 0, {.bias = false}); }, x));
  same({.kernel = 3, .stride = 0}, message_of<Conv2d>([] { return Conv2d(1, 1, 3, {.stride = 0}); }, x));
  same({.input = 2, .kernel = 3}, message_of<Conv2d>([] { return Conv2d(1, 1, 3); }, {1, 1, 2, 2}));
  same({.kind = Kind::transposed, .kernel = 3, .stride = 2, .output_padding = 2},
       message_of<ConvTranspose2d>([] { return ConvTranspose2d(1, 1, 3, {.stride = 2, .output_padding = 2}); }, x));
  same({.kind = Kind::transposed, .input = 1, .kernel = 1, .padding = 1},
       message_of<ConvTranspose2d>([] { return ConvTranspose2d(1, 1, 1, {.padding = 1}); }, {1, 1, 1, 1}));
  same({.kind = Kind::maxpool, .kernel = 3, .stride = 3, .padding = 2},
       message_of<MaxPool2d>([] { return MaxPool2d(3, {.padding = 2}); }, x));
  same({.kind = Kind::avgpool, .kernel = 3, .stride = -1},
       message_of<AvgPool2d>([] { return AvgPool2d(3, {.stride = -1}); }, x));
  EXPECT_TRUE(rejects([] { summarize({.kernel = 0}); }, {"Conv2d: kernel size should be greater than zero"}));
  // Tracing refuses large inputs and large outputs (a transposed convolution with s = 20 gives 81).
  EXPECT_TRUE(rejects([] { operator_matrix({.input = 49}); }, {"too large to trace"}));
  EXPECT_TRUE(rejects([] { operator_matrix({.kind = Kind::transposed, .input = 5, .kernel = 1, .stride = 20}); },
                      {"too large to trace"}));
}

}  // namespace
}  // namespace strider::conv_arith
