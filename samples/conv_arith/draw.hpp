#pragma once
// Pictures of a checked geometry in the guide's style: the output grid (cyan) above the input grid
// (blue), the padding white with dashed lines, the kernel footprint shaded dark. The shaded input
// pixels are the ones the operator reads (Geometry::matrix); the shaded padding taps come from the
// layout, which checked_geometry has already matched against the operator.
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "geometry.hpp"

namespace strider::conv_arith {

// Pictures larger than this (output / drawn input cells per axis) are refused (std::invalid_argument).
inline constexpr int64_t max_drawn_output = 16;
inline constexpr int64_t max_drawn_grid = 40;

// Throws std::invalid_argument, saying why, when the geometry is too large to draw.
void check_drawable(const Geometry& geometry);
// The legend's name of a kind of cell: "zero padding", "inserted zero", ...
const char* cell_label(Cell kind);

// Every kernel position on one image, one panel per output cell in row-major order, like the guide's
// figures. `title` lines go on top, then a colour legend.
cv::Mat draw_sheet(const Geometry& geometry, const std::vector<std::string>& title);

// One larger frame per kernel position, for the animation; all frames have the same size.
std::vector<cv::Mat> draw_frames(const Geometry& geometry, const std::vector<std::string>& title);

}  // namespace strider::conv_arith
