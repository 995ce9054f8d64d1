#include "draw.hpp"

#include <algorithm>
#include <set>

#include <opencv2/imgproc.hpp>

#include "core/check.hpp"

namespace strider::conv_arith {

namespace {

cv::Scalar rgb(int r, int g, int b) { return {double(b), double(g), double(r)}; }

const cv::Scalar white = rgb(255, 255, 255), ink = rgb(30, 30, 30), line = rgb(55, 55, 55);
const cv::Scalar panel_fill = rgb(243, 243, 243), dashes = rgb(120, 120, 120), shade = rgb(15, 30, 75);
const cv::Scalar output_fill = rgb(110, 215, 228);

cv::Scalar fill(Cell kind) {
  switch (kind) {
    case Cell::input: return rgb(96, 152, 214);
    case Cell::padding: return white;
    case Cell::inserted_zero: return rgb(222, 222, 222);
    case Cell::output_padding: return rgb(252, 214, 160);
    case Cell::overhang: return rgb(246, 196, 196);
    case Cell::cropped: return rgb(205, 205, 205);
  }
  return white;
}

// The kernel footprint darkens whatever lies under it, so input and padding stay distinguishable.
cv::Scalar shaded(const cv::Scalar& base) { return base * 0.38 + shade * 0.62; }

void dashed_rect(cv::Mat& img, cv::Rect r, const cv::Scalar& colour) {
  const int dash = std::max(2, r.width / 8), gap = std::max(2, r.width / 10);
  const auto segment = [&](cv::Point a, cv::Point b) {
    const cv::Point d = b - a;
    const int length = std::max(std::abs(d.x), std::abs(d.y));
    for (int t = 0; t < length; t += dash + gap) {
      const int e = std::min(length, t + dash);
      cv::line(img, a + d * t / length, a + d * e / length, colour, 1);
    }
  };
  const cv::Point tl = r.tl(), br = r.br() - cv::Point(1, 1);
  segment(tl, {br.x, tl.y});
  segment({br.x, tl.y}, br);
  segment(tl, {tl.x, br.y});
  segment({tl.x, br.y}, br);
}

void draw_cell(cv::Mat& img, cv::Rect r, Cell kind, bool under_kernel) {
  const cv::Scalar base = fill(kind);
  cv::rectangle(img, r, under_kernel ? shaded(base) : base, cv::FILLED);
  if (kind == Cell::input) {
    cv::rectangle(img, r, line, 1);
  } else {
    dashed_rect(img, r, under_kernel ? white : dashes);
    if (kind == Cell::cropped) {
      cv::line(img, r.tl() + cv::Point(3, 3), r.br() - cv::Point(4, 4), dashes, 1, cv::LINE_AA);
      cv::line(img, {r.x + 3, r.y + r.height - 4}, {r.x + r.width - 4, r.y + 3}, dashes, 1, cv::LINE_AA);
    }
  }
}

void text(cv::Mat& img, const std::string& s, cv::Point org, double scale = 0.5) {
  cv::putText(img, s, org, cv::FONT_HERSHEY_SIMPLEX, scale, ink, 1, cv::LINE_AA);
}

int text_width(const std::string& s, double scale = 0.5) {
  int baseline = 0;
  return cv::getTextSize(s, cv::FONT_HERSHEY_SIMPLEX, scale, 1, &baseline).width;
}

std::string size_text(int64_t h, int64_t w) { return std::to_string(h) + "x" + std::to_string(w); }

// The sizes of one panel (output grid above input grid) in cells; `labels` adds a row above each grid.
struct PanelCells {
  int width, output_top, input_top, height;
};
PanelCells panel_cells(const Geometry& g, bool labels) {
  const int in_w = int(g.layout.w.extent()), in_h = int(g.layout.h.extent());
  const int out_w = int(g.output.w), out_h = int(g.output.h), label = labels ? 1 : 0;
  return {std::max(in_w, out_w), label, label + out_h + 1, label + out_h + 1 + in_h};
}

// Panel for output o with its top-left corner at `origin`, cells of c pixels.
void draw_panel(cv::Mat& img, const Geometry& g, int64_t o, cv::Point origin, int c, bool labels) {
  const PanelCells pc = panel_cells(g, labels);
  const int in_w = int(g.layout.w.extent()), in_h = int(g.layout.h.extent());
  const cv::Point in_tl = origin + cv::Point((pc.width - in_w) * c / 2, pc.input_top * c);
  const cv::Point out_tl = origin + cv::Point((pc.width - int(g.output.w)) * c / 2, pc.output_top * c);
  const auto input_rect = [&](int64_t y, int64_t x) {
    return cv::Rect(in_tl + cv::Point(int(x) * c, int(y) * c), cv::Size(c + 1, c + 1));
  };

  // The footprint: padding-like taps from the layout, input pixels from the operator.
  std::set<std::pair<int64_t, int64_t>> under;
  for (const GridCell t : window_taps(g.layout, o))
    if (cell_at(g.layout, t.y, t.x) != Cell::input) under.insert({t.y, t.x});
  for (const GridCell r : operator_reads(g, o)) under.insert({r.y, r.x});
  for (int64_t y = 0; y < in_h; ++y)
    for (int64_t x = 0; x < in_w; ++x)
      draw_cell(img, input_rect(y, x), cell_at(g.layout, y, x), under.count({y, x}) > 0);
  // The dilated kernel's extent, so the gaps between its taps read as part of one window.
  const std::vector<GridCell> taps = window_taps(g.layout, o);
  cv::rectangle(img, input_rect(taps.front().y, taps.front().x) | input_rect(taps.back().y, taps.back().x), shade, 2);

  for (int64_t y = 0; y < g.output.h; ++y)
    for (int64_t x = 0; x < g.output.w; ++x) {
      const cv::Rect r(out_tl + cv::Point(int(x) * c, int(y) * c), cv::Size(c + 1, c + 1));
      cv::rectangle(img, r, y * g.output.w + x == o ? shaded(output_fill) : output_fill, cv::FILLED);
      cv::rectangle(img, r, line, 1);
    }
  if (!labels) return;
  const Params& p = g.params;
  std::string input = "input " + size_text(p.input.h, p.input.w);
  if (p.kind == Kind::transposed) input += ", zeros inserted";
  if (in_h != p.input.h || in_w != p.input.w) input += ", drawn " + size_text(in_h, in_w);
  text(img, "output " + size_text(g.output.h, g.output.w), out_tl + cv::Point(0, -c / 3));
  text(img, input, in_tl + cv::Point(0, -c / 3));
}

// Title lines, then one swatch per kind of cell the picture shows; returns the height used.
int draw_header(cv::Mat* img, const Geometry& g, const std::vector<std::string>& title, int width) {
  int y = 22;
  for (const std::string& s : title) {
    if (img) text(*img, s, {12, y}, 0.55);
    y += 22;
  }
  std::set<Cell> kinds;
  for (int64_t r = 0; r < g.layout.h.extent(); ++r)
    for (int64_t x = 0; x < g.layout.w.extent(); ++x) kinds.insert(cell_at(g.layout, r, x));
  int x = 12;
  const auto swatch = [&](const std::string& label, const auto& paint) {
    const int w = 16 + 6 + text_width(label, 0.45) + 18;
    if (x + w > width && x > 12) x = 12, y += 22;
    if (img) {
      paint(cv::Rect(x, y - 6, 16, 16));
      cv::putText(*img, label, {x + 22, y + 7}, cv::FONT_HERSHEY_SIMPLEX, 0.45, ink, 1, cv::LINE_AA);
    }
    x += w;
  };
  for (const Cell kind : kinds)
    swatch(cell_label(kind), [&](cv::Rect r) { draw_cell(*img, r, kind, false); });
  swatch("kernel (shaded)", [&](cv::Rect r) {
    cv::rectangle(*img, r, shaded(fill(Cell::input)), cv::FILLED);
    cv::rectangle(*img, r, shade, 2);
  });
  swatch("output", [&](cv::Rect r) {
    cv::rectangle(*img, r, output_fill, cv::FILLED);
    cv::rectangle(*img, r, line, 1);
  });
  return y + 22;
}

}  // namespace

const char* cell_label(Cell kind) {
  switch (kind) {
    case Cell::input: return "input";
    case Cell::padding: return "zero padding";
    case Cell::inserted_zero: return "inserted zero";
    case Cell::output_padding: return "output_padding a";
    case Cell::overhang: return "past the padding (ceil_mode)";
    case Cell::cropped: return "cropped (p' < 0)";
  }
  return "?";
}

// One panel per output cell: beyond these sizes a picture stops being readable.
void check_drawable(const Geometry& g) {
  check(g.output.h <= max_drawn_output && g.output.w <= max_drawn_output && g.layout.h.extent() <= max_drawn_grid &&
            g.layout.w.extent() <= max_drawn_grid,
        "too large to draw: the output is ", size_text(g.output.h, g.output.w), " and the drawn input ",
        size_text(g.layout.h.extent(), g.layout.w.extent()), " (at most ", max_drawn_output, " and ", max_drawn_grid,
        " per axis)");
}

cv::Mat draw_sheet(const Geometry& g, const std::vector<std::string>& title) {
  check_drawable(g);
  const PanelCells pc = panel_cells(g, false);
  const int cols = int(g.output.w), rows = int(g.output.h), gap_cells = 1;
  // Cells as large as fit a ~1500 px wide sheet, within a legible range.
  const int c = std::clamp(1500 / (cols * (pc.width + gap_cells)), 10, 28);
  const int gap = std::max(gap_cells * c, 18), margin = gap / 3;
  int width = 24 + cols * pc.width * c + (cols - 1) * gap + 2 * margin;
  for (const std::string& s : title) width = std::max(width, 24 + text_width(s, 0.55));
  const int header = draw_header(nullptr, g, title, width);
  const int height = header + rows * (pc.height * c + gap) + 8;
  cv::Mat img(height, width, CV_8UC3, white);
  draw_header(&img, g, title, width);
  for (int64_t o = 0; o < g.output.h * g.output.w; ++o) {
    const int px = 12 + margin + int(o % cols) * (pc.width * c + gap);
    const int py = header + margin + int(o / cols) * (pc.height * c + gap);
    // A grey card around each panel ties its output grid to its input grid.
    const cv::Rect card(px - margin, py - margin, pc.width * c + 2 * margin + 1, pc.height * c + 2 * margin + 1);
    cv::rectangle(img, card, panel_fill, cv::FILLED);
    draw_panel(img, g, o, {px, py}, c, false);
  }
  return img;
}

std::vector<cv::Mat> draw_frames(const Geometry& g, const std::vector<std::string>& title) {
  check_drawable(g);
  const PanelCells pc = panel_cells(g, true);
  const int c = std::clamp(520 / std::max(pc.width, pc.height), 14, 40);
  int width = std::max(24 + pc.width * c, 480);
  for (const std::string& s : title) width = std::max(width, 24 + text_width(s, 0.55));
  const int header = draw_header(nullptr, g, title, width);
  const int height = header + pc.height * c + 40;
  std::vector<cv::Mat> frames;
  for (int64_t o = 0; o < g.output.h * g.output.w; ++o) {
    cv::Mat img(height, width, CV_8UC3, white);
    draw_header(&img, g, title, width);
    draw_panel(img, g, o, {(width - pc.width * c) / 2, header}, c, true);
    const size_t reads = operator_reads(g, o).size();
    text(img, "output (" + std::to_string(o / g.output.w) + ", " + std::to_string(o % g.output.w) + ") reads " +
                  std::to_string(reads) + " input pixel" + (reads == 1 ? "" : "s"),
         {12, height - 14});
    frames.push_back(std::move(img));
  }
  return frames;
}

}  // namespace strider::conv_arith
