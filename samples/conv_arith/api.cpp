#include "api.hpp"

#include <algorithm>
#include <array>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string_view>

#include "core/check.hpp"
#include "draw.hpp"
#include "options.hpp"
#include "report.hpp"

namespace strider::conv_arith {

namespace {

using nlohmann::json;

// The grid cell kinds as single letters, one string per row of the drawn input grid.
char cell_letter(Cell kind) {
  switch (kind) {
    case Cell::input: return 'i';
    case Cell::padding: return 'p';
    case Cell::inserted_zero: return 'z';
    case Cell::output_padding: return 'a';
    case Cell::overhang: return 'o';
    case Cell::cropped: return 'c';
  }
  return '?';
}

json hw(Hw v) { return json::array({v.h, v.w}); }
json cell(GridCell c) { return json::array({c.y, c.x}); }

json params_json(const Params& p) {
  return {{"kind", kind_name(p.kind)}, {"i", hw(p.input)},    {"k", hw(p.kernel)},
          {"s", hw(p.stride)},         {"p", hw(p.padding)},  {"d", hw(p.dilation)},
          {"a", hw(p.output_padding)}, {"ceil_mode", p.ceil_mode}};
}

json axis_json(const Summary& s, const AxisSummary& a) {
  json j = {{"input", a.input},
            {"kernel", a.kernel},
            {"stride", a.stride},
            {"padding", a.padding},
            {"dilation", a.dilation},
            {"output_padding", a.output_padding},
            {"effective_kernel", a.effective_kernel},
            {"output", a.output},
            {"relation", a.relation},
            {"lines", axis_lines(s.params.kind, s.params.ceil_mode, a)}};
  if (s.params.kind == Kind::transposed) {
    const TransposedConvEquivalent& e = a.equivalent;
    j["equivalent"] = {{"kernel", e.kernel},
                       {"stride", e.stride},
                       {"dilation", e.dilation},
                       {"zeros_inserted", e.zeros_inserted},
                       {"stretched_size", e.stretched_size},
                       {"padding", e.padding},
                       {"output_padding", e.output_padding},
                       {"output_size", e.output_size}};
    j["output_size_range"] = {a.output_size_range.min, a.output_size_range.max};
    j["max_output_padding"] = a.max_output_padding;
  } else {
    j["same_output_inputs"] = {a.same_output_inputs.min, a.same_output_inputs.max};
    j["uncovered"] = a.uncovered;
  }
  return j;
}

json matrix_json(const Geometry& g) {
  const Params& p = g.params;
  json entries = json::array();
  for (int64_t o = 0; o < g.matrix.rows; ++o)
    for (int64_t j = 0; j < g.matrix.cols; ++j)
      if (const int64_t code = g.matrix.at(o, j); code != 0)
        entries.push_back({o, j, matrix_entry_text(p, code)});
  json m = {{"name", p.kind == Kind::transposed ? "Cᵀ" : "C"},
            {"rows", g.matrix.rows},
            {"cols", g.matrix.cols},
            {"entries", std::move(entries)}};
  if (p.kind == Kind::transposed) {
    const Params direct = direct_convolution(p, g.output);
    std::ostringstream note;
    if (is_transpose_of_direct(p, g.output, g.matrix))
      note << "the transpose of C, the matrix of " << operator_repr(direct) << " on a " << g.output.h << "x"
           << g.output.w << " input (checked)";
    else
      note << "not a transpose: output_padding >= stride makes the direct convolution's matrix another shape";
    m["note"] = note.str();
  }
  return m;
}

json trace_json(const Summary& s) {
  Geometry g;
  try {
    g = page_geometry(s.params);
  } catch (const std::invalid_argument& e) {
    return {{"error", e.what()}};
  }
  json grid = json::array();
  for (int64_t y = 0; y < g.layout.h.extent(); ++y) {
    std::string row;
    for (int64_t x = 0; x < g.layout.w.extent(); ++x) row += cell_letter(cell_at(g.layout, y, x));
    grid.push_back(row);
  }
  json legend = json::object();
  for (const Cell c : {Cell::input, Cell::padding, Cell::inserted_zero, Cell::output_padding, Cell::overhang,
                       Cell::cropped})
    legend[std::string(1, cell_letter(c))] = cell_label(c);
  json windows = json::array();
  for (int64_t o = 0; o < g.output.h * g.output.w; ++o) {
    json taps = json::array(), reads = json::array();
    for (const GridCell c : window_taps(g.layout, o)) taps.push_back(cell(c));
    for (const GridCell c : operator_reads(g, o)) reads.push_back(cell(c));
    windows.push_back({{"taps", std::move(taps)}, {"reads", std::move(reads)}});
  }
  json inputs = json::array();  // where input pixel j (a column of the matrix) is drawn
  for (int64_t j = 0; j < g.matrix.cols; ++j)
    inputs.push_back(
        {g.layout.h.input_position(j / g.params.input.w), g.layout.w.input_position(j % g.params.input.w)});
  json picture = {{"ok", true}};
  try {
    check_drawable(g);
  } catch (const std::invalid_argument& e) {
    picture = {{"ok", false}, {"error", e.what()}};
  }
  return {{"grid", std::move(grid)},     {"legend", std::move(legend)}, {"windows", std::move(windows)},
          {"inputs", std::move(inputs)}, {"matrix", matrix_json(g)},     {"picture", std::move(picture)}};
}

// "5" or "5x7", as the CLI reads it.
std::string size_text(Hw v) {
  return v.h == v.w ? std::to_string(v.h) : std::to_string(v.h) + "x" + std::to_string(v.w);
}

// A query's text as a message quotes it: control characters as \xNN. A NUL would end the message early
// (what() is a C string), and the page shows the message as text.
std::string printable(std::string_view text) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  for (const unsigned char c : text) {
    if (c < 0x20 || c == 0x7F) out += {'\\', 'x', hex[c >> 4], hex[c & 15]};
    else out += static_cast<char>(c);
  }
  return out;
}

}  // namespace

Geometry page_geometry(const Params& p) {
  const Hw output = operator_output_size(p);
  check(std::max({p.input.h, p.input.w, output.h, output.w}) <= max_page_cells, "the grids are shown for at most ",
        max_page_cells, " input and output cells per axis, but the input is ", p.input.h, "x", p.input.w,
        " and the output ", output.h, "x", output.w);
  const int64_t taps = output.h * output.w * p.kernel.h * p.kernel.w;
  check(taps <= max_page_taps, "the grids are shown for at most ", max_page_taps,
        " kernel taps in all (output cells x kernel cells), but this one has ", taps);
  const Layout l = layout(p);
  check(std::max(l.h.extent(), l.w.extent()) <= max_page_grid, "the grids are shown for at most ", max_page_grid,
        " drawn input cells per axis (padding and inserted zeros included), but this one is ", l.h.extent(), "x",
        l.w.extent());
  return checked_geometry(p);
}

PageRequest parse_query(const Query& query) {
  static const std::set<std::string> names = {"kind", "figure", "i", "k", "s", "p", "d", "a", "ceil-mode"};
  for (const auto& [name, value] : query) {
    const std::string shown_name = printable(name), shown_value = printable(value);
    check(shown_name == name && shown_value == value, "parameter '", shown_name,
          "': control characters are not allowed, but got '", shown_value, "'");
  }
  for (auto it = query.begin(); it != query.end(); it = query.upper_bound(it->first)) {
    check(names.count(it->first) > 0, "unknown parameter '", it->first,
          "': expected kind, i, k, s, p, d, a, ceil-mode (the options of conv-arith) or figure");
    check(query.count(it->first) == 1, "parameter '", it->first, "' given ", query.count(it->first), " times");
  }
  const auto get = [&](const std::string& name, std::string fallback) {
    const auto it = query.find(name);
    return it == query.end() ? fallback : it->second;
  };
  PageRequest r;
  if (query.count("figure")) {
    check(query.size() == 1, "figure: a figure of the guide sets every parameter; give it alone");
    r.figure = get("figure", "");
    const auto& figures = guide_figures();
    const auto f = std::find_if(figures.begin(), figures.end(), [&](const Figure& f) { return f.id == r.figure; });
    check(f != figures.end(), "figure: the guide's figures are 2.1 ... 2.7, 4.1 ... 4.7 and 5.1, but got '", r.figure,
          "'");
    r.params = f->params;
    return r;
  }
  ParamsText text;
  text.kind = get("kind", text.kind);
  text.input = get("i", text.input);
  text.kernel = get("k", text.kernel);
  text.stride = get("s", text.stride);
  text.padding = get("p", text.padding);
  text.dilation = get("d", text.dilation);
  text.output_padding = get("a", text.output_padding);
  const std::string ceil = get("ceil-mode", "0");
  check(ceil == "" || ceil == "0" || ceil == "1" || ceil == "true" || ceil == "false",
        "ceil-mode: expected 1, true, 0 or false, but got '", ceil, "'");
  text.ceil_mode = ceil == "" || ceil == "1" || ceil == "true";
  r.params = parse_params(text);
  const Params& p = r.params;
  // A figure of the guide given by its parameters is still that figure.
  for (const Figure& f : guide_figures())
    if (f.params == p) r.figure = f.id;
  return r;
}

std::string query_string(const Params& p) {
  std::string q = "kind=" + std::string(kind_name(p.kind)) + "&i=" + size_text(p.input) + "&k=" + size_text(p.kernel);
  if (p.stride != (is_pool(p.kind) ? p.kernel : Hw(1))) q += "&s=" + size_text(p.stride);
  if (p.padding != Hw(0)) q += "&p=" + size_text(p.padding);
  if (p.dilation != Hw(1)) q += "&d=" + size_text(p.dilation);
  if (p.output_padding != Hw(0)) q += "&a=" + size_text(p.output_padding);
  if (p.ceil_mode) q += "&ceil-mode=1";
  return q;
}

json explain(const PageRequest& r) {
  const Params& p = r.params;
  json j = {{"params", params_json(p)}, {"query", query_string(p)}};
  if (!r.figure.empty()) j["figure"] = r.figure;
  Summary s;
  try {
    s = summarize(p);
  } catch (const std::invalid_argument& e) {
    j["error"] = e.what();
    return j;
  }
  j["operator"] = operator_repr(p);
  j["headline"] = headline(p, s.output());
  j["output"] = hw(s.output());
  j["axes"] = {axis_json(s, s.h), axis_json(s, s.w)};
  j["trace"] = trace_json(s);
  return j;
}

json figure_list() {
  json list = json::array();
  for (const Figure& f : guide_figures())
    list.push_back({{"id", f.id}, {"query", query_string(f.params)},
                    {"headline", headline(f.params, operator_output_size(f.params))}});
  return list;
}

}  // namespace strider::conv_arith
