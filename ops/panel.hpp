#pragma once
// Internal to the kernel TUs (ops/*_simd.cpp): copies the input rows a window slides over into a
// panel, so the SIMD loops read every tap contiguously. The functions live in an anonymous namespace so
// each arch's TU keeps its own copy, compiled with its own flags.
#include <algorithm>
#include <cstdint>
#include <cstring>

#include "../core/arithmetic.hpp"

namespace strider::kernels {

// Where the rows of one output row i come from: `channels` planes starting at `input`, each in_h x in_w;
// output (i, j) reads input (i·sh + a·dh - pad_top, j·sw + b·dw - pad_left) for a < kernel_h, b < kernel_w.
struct PanelSource {
  const float* input;
  int64_t channels, in_h, in_w;
  int64_t kernel_h, kernel_w, stride_h, stride_w, dilation_h, dilation_w, pad_top, pad_left;
  PaddingMode padding_mode;  // how out-of-range positions are read; zeros means `fill`
  float fill;                // 0 for convolution and average pooling, -inf for max pooling
};

namespace {

// Rows of the panel: one per (channel, kernel row, stride phase).
inline int64_t panel_rows(const PanelSource& s) { return s.channels * s.kernel_h * s.stride_w; }
// Columns of a panel row for `tile` output columns whose loads reach up to `round` columns past them.
inline int64_t panel_width(const PanelSource& s, int64_t tile, int64_t round) {
  const int64_t reach = std::max<int64_t>(s.kernel_w - 1, 0) * s.dilation_w / s.stride_w;  // columns taps add
  return (tile + round - 1) / round * round + reach;
}
// Offset in the panel of tap (channel c, kernel row a, kernel column b) for output column 0.
inline int64_t panel_offset(const PanelSource& s, int64_t width, int64_t c, int64_t a, int64_t b) {
  const int64_t tap = b * s.dilation_w;
  return ((c * s.kernel_h + a) * s.stride_w + tap % s.stride_w) * width + tap / s.stride_w;
}

inline float padded_value(const float* row, int64_t col, int64_t width, PaddingMode mode, float fill) {
  const int64_t s = padded_source_index(col, width, mode);
  return s >= 0 && s < width ? row[s] : fill;  // past the padding's reach only discarded lanes read it
}

// Fills the panel for output row i, columns j0 .. j0 + cols: phase r of (c, a) holds the input columns
// c0 + r + m·sw, c0 = j0·sw - pad_left, so tap b reads phase (b·dw) % sw from index (b·dw) / sw on.
inline void build_panel(const PanelSource& s, int64_t i, int64_t j0, int64_t cols, float* panel, int64_t width) {
  const int64_t plane = s.in_h * s.in_w, sw = s.stride_w;
  const int64_t reach = cols + std::max<int64_t>(s.kernel_w - 1, 0) * s.dilation_w / sw;
  const int64_t c0 = j0 * sw - s.pad_left;
  float* row = panel;
  for (int64_t c = 0; c < s.channels; ++c) {
    for (int64_t a = 0; a < s.kernel_h; ++a) {
      const int64_t ih = padded_source_index(i * s.stride_h + a * s.dilation_h - s.pad_top, s.in_h, s.padding_mode);
      const bool outside = ih < 0 || ih >= s.in_h;
      const float* src = s.input + c * plane + (outside ? 0 : ih * s.in_w);
      for (int64_t r = 0; r < sw; ++r, row += width) {
        if (outside) {
          std::fill(row, row + width, s.fill);
          continue;
        }
        const int64_t base = c0 + r;
        // m in [lo, hi) reads inside the input; the rest is padding.
        const int64_t lo = std::clamp<int64_t>(ceil_div(-base, sw), 0, reach);
        const int64_t hi = std::clamp<int64_t>(floor_div(s.in_w - 1 - base, sw) + 1, lo, reach);
        for (int64_t m = 0; m < lo; ++m) row[m] = padded_value(src, base + m * sw, s.in_w, s.padding_mode, s.fill);
        if (sw == 1) {
          std::memcpy(row + lo, src + base + lo, static_cast<std::size_t>(hi - lo) * sizeof(float));
        } else {
          const float* from = src + base;
          for (int64_t m = lo; m < hi; ++m) row[m] = from[m * sw];
        }
        for (int64_t m = hi; m < reach; ++m) row[m] = padded_value(src, base + m * sw, s.in_w, s.padding_mode, s.fill);
        std::fill(row + reach, row + width, s.fill);
      }
    }
  }
}

}  // namespace
}  // namespace strider::kernels
