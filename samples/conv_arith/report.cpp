#include "report.hpp"

#include <algorithm>
#include <cstdlib>
#include <sstream>
#include <stdexcept>
#include <vector>

namespace strider::conv_arith {

namespace {

// The most specific row of ARITHMETIC.md that covers the axis. The transposed convolution's rows are
// those of the direct convolution it transposes: a = 0 means (i + 2p - k) is divisible by s.
int relation(Kind kind, const AxisSummary& a) {
  const bool half = a.kernel % 2 == 1 && a.padding == a.kernel / 2, full = a.padding == a.kernel - 1;
  if (is_pool(kind)) return 7;
  if (kind == Kind::conv) {
    if (a.dilation > 1) return 15;
    if (a.stride > 1) return a.padding == 0 ? 5 : 6;
    return a.padding == 0 ? 1 : half ? 3 : full ? 4 : 2;
  }
  if (a.dilation > 1 || a.output_padding > 0) return 14;
  if (a.stride > 1) return a.padding == 0 ? 12 : 13;
  return a.padding == 0 ? 8 : half ? 10 : full ? 11 : 9;
}

const char* relation_text(int relation, bool dilated) {
  switch (relation) {
    case 1: return "no zero padding, unit strides: o = (i - k) + 1";
    case 2: return "zero padding, unit strides: o = (i - k) + 2p + 1";
    case 3: return "half (same) padding: o = i";
    case 4: return "full padding: o = i + (k - 1)";
    case 5: return "no zero padding, non-unit strides: o = floor((i - k) / s) + 1";
    case 6: return "zero padding, non-unit strides: o = floor((i + 2p - k) / s) + 1";
    case 7: return "pooling: o = floor((i + 2p - k̂) / s) + 1 (ceil_mode: ceil, without a last window starting "
                   "in the right padding)";
    case 8: return "transpose of no padding, unit strides: o' = i' + (k - 1)";
    case 9: return "transpose of zero padding, unit strides: o' = i' + (k - 1) - 2p";
    case 10: return "transpose of half padding: o' = i'";
    case 11: return "transpose of full padding: o' = i' - (k - 1)";
    case 12: return "transpose of no padding, non-unit strides: o' = s(i' - 1) + k";
    case 13: return "transpose of zero padding, non-unit strides: o' = s(i' - 1) + k - 2p";
    case 14: return dilated ? "transpose, general, dilated: o' = s(i' - 1) - 2p + d(k - 1) + a + 1"
                            : "transpose, general: o' = s(i' - 1) + a + k - 2p";
    case 15: return "dilated convolution: o = floor((i + 2p - k - (k - 1)(d - 1)) / s) + 1";
  }
  return "?";
}

AxisSummary summarize_axis(const Params& p, bool height) {
  const auto pick = [height](Hw v) { return height ? v.h : v.w; };
  AxisSummary a{.input = pick(p.input), .kernel = pick(p.kernel), .stride = pick(p.stride),
                .padding = pick(p.padding), .dilation = pick(p.dilation),
                .output_padding = pick(p.output_padding)};
  a.effective_kernel = dilated_kernel_size(a.kernel, a.dilation);
  if (p.kind == Kind::transposed) {
    a.equivalent = transposed_conv_equivalent(a.input, a.kernel, a.stride, a.padding, a.dilation, a.output_padding);
    a.output = a.equivalent.output_size;
    a.output_size_range = conv_transpose_output_size_range(a.input, a.kernel, a.stride, a.padding, a.dilation);
    a.max_output_padding = std::max(a.stride, a.dilation) - 1;
  } else if (is_pool(p.kind)) {
    a.output = pool_output_size(a.input, a.kernel, a.stride, a.padding, a.dilation, p.ceil_mode);
    // Ask the operator: ceil_mode's dropped last window has no closed-form inverse, and small inputs
    // whose windows miss every pixel are rejected, which the relation does not know.
    a.same_output_inputs = {a.input, a.input};
    for (int64_t i = 1; i <= a.input + a.stride + a.effective_kernel; ++i) {
      Params q = p;
      (height ? q.input.h : q.input.w) = i;
      try {
        if (pick(operator_output_size(q)) == a.output)
          a.same_output_inputs = {std::min(a.same_output_inputs.min, i), std::max(a.same_output_inputs.max, i)};
      } catch (const std::invalid_argument&) {
      }
    }
  } else {
    a.output = conv_output_size(a.input, a.kernel, a.stride, a.padding, a.dilation);
    a.same_output_inputs = conv_input_size_range(a.output, a.kernel, a.stride, a.padding, a.dilation);
  }
  if (p.kind != Kind::transposed)
    a.uncovered = a.input + 2 * a.padding - ((a.output - 1) * a.stride + a.effective_kernel);
  a.relation = relation(p.kind, a);
  return a;
}

// "3" when both axes agree, else "3x5" (H x W). Streams, not operator+ on strings, which GCC 12 at -O2
// warns about falsely (-Wrestrict).
std::string value(int64_t h, int64_t w) {
  std::ostringstream os;
  if (h == w) os << h;
  else if (h < 0 || w < 0) os << '(' << h << ", " << w << ')';  // "-1x1" would misread
  else os << h << 'x' << w;
  return os.str();
}
std::string value(Hw v) { return value(v.h, v.w); }
std::string size(Hw v) {
  std::ostringstream os;
  os << v.h << 'x' << v.w;
  return os.str();
}

std::string cell_name(int64_t index, int64_t width) {
  return std::to_string(index / width) + "," + std::to_string(index % width);
}

}  // namespace

std::vector<std::string> axis_lines(Kind kind, bool ceil_mode, const AxisSummary& a) {
  std::vector<std::string> lines;
  std::ostringstream os;
  os << "relation " << a.relation << ", " << relation_text(a.relation, a.dilation > 1);
  lines.push_back(os.str());
  os.str("");
  if (kind == Kind::transposed) {
    os << "  = s(i' - 1) - 2p + k̂ + a = " << a.stride << "·(" << a.input << " - 1) - 2·" << a.padding << " + "
       << a.effective_kernel << " + " << a.output_padding << " = " << a.output;
  } else {
    const bool ceil = kind != Kind::conv && ceil_mode;
    const int64_t span = a.input + 2 * a.padding - a.effective_kernel;
    os << "  = " << (ceil ? "ceil" : "floor") << "((" << a.input << " + 2·" << a.padding << " - "
       << a.effective_kernel << ") / " << a.stride << ") + 1";
    if (a.output != (ceil ? ceil_div(span, a.stride) : floor_div(span, a.stride)) + 1)
      os << " - 1 (the last window would start in the right padding)";
    os << " = " << a.output;
  }
  lines.push_back(os.str());
  lines.push_back("effective kernel size k̂ = k + (k - 1)(d - 1) = " + std::to_string(a.effective_kernel));
  os.str("");
  if (kind == Kind::transposed) {
    const TransposedConvEquivalent& e = a.equivalent;
    os << "equivalent direct convolution: k' = " << e.kernel << ", s' = 1, " << e.zeros_inserted
       << " zero(s) inserted between input pixels (ĩ' = " << e.stretched_size << "), p' = " << e.padding;
    if (e.padding < 0) os << " (negative: the stretched input is cropped instead of padded)";
    os << ", a = " << e.output_padding << " extra zero(s) at the bottom/right";
    lines.push_back(os.str());
    os.str("");
    os << "  o' = ĩ' + 2p' + a - k̂ + 1 = " << e.stretched_size << (e.padding < 0 ? " - " : " + ")
       << std::abs(2 * e.padding) << " + " << e.output_padding << " - " << a.effective_kernel << " + 1 = "
       << e.output_size;
    lines.push_back(os.str());
    lines.push_back("output_padding may be 0.." + std::to_string(a.max_output_padding) +
                    " (a < s or a < d); output_size may be " + std::to_string(a.output_size_range.min) + ".." +
                    std::to_string(a.output_size_range.max) + ": the direct convolution maps each of these sizes to " +
                    std::to_string(a.input));
  } else {
    os << "input sizes with the same output: " << a.same_output_inputs.min << ".." << a.same_output_inputs.max;
    if (a.same_output_inputs.max > a.same_output_inputs.min) os << " (the rounding loses which: Fig 2.6 / 2.7)";
    lines.push_back(os.str());
    if (a.uncovered > 0)
      lines.push_back("the last " + std::to_string(a.uncovered) + " cell(s) of the padded input are never covered");
    if (a.uncovered < 0)
      lines.push_back("the last window reaches " + std::to_string(-a.uncovered) + " cell(s) past the padded input");
  }
  return lines;
}

// "w1,12" once an axis has more than 10 taps.
std::string matrix_entry_text(const Params& p, int64_t code) {
  if (code == 0) return ".";
  if (is_pool(p.kind)) return "1";
  const int64_t a = (code - 1) / p.kernel.w, b = (code - 1) % p.kernel.w;
  const bool wide = p.kernel.h > 10 || p.kernel.w > 10;
  std::ostringstream os;
  os << 'w' << a << (wide ? "," : "") << b;
  return os.str();
}

Summary summarize(const Params& p) {
  operator_output_size(p);
  return {p, summarize_axis(p, true), summarize_axis(p, false)};
}

std::string headline(const Params& p, Hw output) {
  std::ostringstream os;
  os << kind_name(p.kind) << ": input " << size(p.input) << ", k=" << value(p.kernel) << ", s=" << value(p.stride)
     << ", p=" << value(p.padding);
  if (p.dilation != Hw(1)) os << ", d=" << value(p.dilation);
  if (p.kind == Kind::transposed && p.output_padding != Hw(0)) os << ", a=" << value(p.output_padding);
  if (p.ceil_mode) os << ", ceil_mode";
  os << " -> output " << size(output);
  return os.str();
}

std::vector<std::string> picture_title(const Summary& s, std::string_view figure) {
  const Params& p = s.params;
  std::string first = headline(p, s.output());
  if (!figure.empty()) first = "Fig " + std::string(figure) + "   " + first;
  const std::string relations = s.h.relation == s.w.relation ? "relation " + std::to_string(s.h.relation)
                                                             : "relations " + std::to_string(s.h.relation) + " (H), " +
                                                                   std::to_string(s.w.relation) + " (W)";
  if (p.kind != Kind::transposed) {
    const Hw padded = {s.h.input + 2 * s.h.padding, s.w.input + 2 * s.w.padding};
    return {first, relations + "; padded input " + size(padded) + ", kernel footprint " +
                       size({s.h.effective_kernel, s.w.effective_kernel})};
  }
  const auto eq = [](const AxisSummary& a, auto field) { return a.equivalent.*field; };
  const auto both = [&](auto field) { return value(eq(s.h, field), eq(s.w, field)); };
  std::string second = "drawn as a stride-1 convolution over the input with " +
                       both(&TransposedConvEquivalent::zeros_inserted) + " zero(s) inserted, p'=" +
                       both(&TransposedConvEquivalent::padding);
  if (p.output_padding != Hw(0)) second += ", a=" + value(p.output_padding);
  return {first, second + " (" + relations + ")"};
}

std::string describe(const Summary& s) {
  std::ostringstream os;
  os << headline(s.params, s.output()) << "\n  operator: " << operator_repr(s.params) << '\n';
  const std::vector<std::string> h = axis_lines(s.params.kind, s.params.ceil_mode, s.h);
  const std::vector<std::string> w = axis_lines(s.params.kind, s.params.ceil_mode, s.w);
  if (h == w) {
    for (const std::string& line : h) os << "  " << line << '\n';
  } else {
    for (const std::string& line : h) os << "  H: " << line << '\n';
    for (const std::string& line : w) os << "  W: " << line << '\n';
  }
  return os.str();
}

std::string format_matrix(const Params& p, Hw output, const Matrix& m) {
  std::ostringstream os;
  os << (p.kind == Kind::transposed ? "Cᵀ" : "C") << " (" << m.rows << " x " << m.cols << ")";
  if (m.cols > max_printed_columns || m.rows > max_printed_rows) {
    os << " is too large to print (at most " << max_printed_rows << " rows and " << max_printed_columns
       << " columns): choose a smaller --input\n";
    return os.str();
  }
  os << ": row = output cell y,x; column = input cell y,x; "
     << (is_pool(p.kind) ? "1 = in the window" : "wab = weight[a][b]") << "; . = 0\n";
  std::size_t width = cell_name(m.cols - 1, p.input.w).size();
  for (const int64_t code : m.entries) width = std::max(width, matrix_entry_text(p, code).size());
  const std::size_t label = cell_name(m.rows - 1, output.w).size();
  const auto pad = [&os](const std::string& text, std::size_t w) {
    os << std::string(w - text.size() + 1, ' ') << text;
  };
  os << std::string(label + 1, ' ');
  for (int64_t j = 0; j < m.cols; ++j) pad(cell_name(j, p.input.w), width);
  os << '\n';
  for (int64_t o = 0; o < m.rows; ++o) {
    pad(cell_name(o, output.w), label);
    for (int64_t j = 0; j < m.cols; ++j) pad(matrix_entry_text(p, m.at(o, j)), width);
    os << '\n';
  }
  return os.str();
}

}  // namespace strider::conv_arith
