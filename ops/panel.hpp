#pragma once
// Internal to the kernel TUs (ops/*_simd.cpp): copies the input rows a window slides over into a
// panel, so the SIMD loops read every tap contiguously. The functions live in an anonymous namespace so
// each arch's TU keeps its own copy, compiled with its own flags.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <type_traits>

#ifdef STRIDER_KERNEL_ARCH
#include "../core/simd_batch.hpp"
#endif

#include "../core/arithmetic.hpp"
#include "conv_kernel.hpp"

namespace strider::kernels {

// Where the rows of `rows` consecutive output rows come from: `channels` planes starting at `input`,
// each in_h x in_w; output (i, j) reads input (i·sh + a·dh - pad_top, j·sw + b·dw - pad_left) for
// a < kernel_h, b < kernel_w. The panel holds each input row those output rows read once.
struct PanelSource {
  const float* input;
  int64_t channels, in_h, in_w;
  int64_t kernel_h, kernel_w, stride_h, stride_w, dilation_h, dilation_w, pad_top, pad_left;
  PaddingMode padding_mode;  // how out-of-range positions are read; zeros means `fill`
  float fill;                // 0 for convolution and average pooling, -inf for max pooling
  int64_t rows = 1;          // output rows per panel
  int64_t columns = tile_columns;  // output columns per panel row, a multiple of 16 (any vector's width)
};

namespace {

// Input rows per channel in a panel: those the output rows and kernel rows reach.
inline int64_t input_rows(const PanelSource& s) {
  return (s.rows - 1) * s.stride_h + std::max<int64_t>(s.kernel_h - 1, 0) * s.dilation_h + 1;
}
// Rows of the panel: one per (channel, input row, stride phase).
inline int64_t panel_rows(const PanelSource& s) { return s.channels * input_rows(s) * s.stride_w; }
// Columns of a panel row: a tile of output columns plus those the taps reach past it, rounded up to an
// odd number of 64-byte lines: a register tile reads a few vectors from each of K consecutive rows, and
// rows 12 lines apart (192 floats) fell on a quarter of the L1's sets (c7 on one AVX2 thread: 5.0 -> 4.8
// ms).
inline int64_t panel_width(const PanelSource& s) {
  const int64_t lines = (s.columns + std::max<int64_t>(s.kernel_w - 1, 0) * s.dilation_w / s.stride_w + 15) / 16;
  return (lines | 1) * 16;
}
// Offset in the panel of tap (channel c, kernel row a, kernel column b) for the first output row and
// column; output row t of the panel adds t · row_step(s, width).
inline int64_t panel_offset(const PanelSource& s, int64_t width, int64_t c, int64_t a, int64_t b) {
  const int64_t tap = b * s.dilation_w;
  return ((c * input_rows(s) + a * s.dilation_h) * s.stride_w + tap % s.stride_w) * width + tap / s.stride_w;
}
inline int64_t row_step(const PanelSource& s, int64_t width) { return s.stride_h * s.stride_w * width; }

// A 1x1 window at stride 1 without padding reads each output's own input position, so a panel would be a
// copy of the input rows: the convolution kernel reads the input itself, its taps a plane apart (c7, one
// thread: the copy was 7.4 % of the time).
inline bool reads_input_directly(const PanelSource& s) {
  return s.kernel_h == 1 && s.kernel_w == 1 && s.stride_h == 1 && s.stride_w == 1 && s.pad_top == 0 &&
         s.pad_left == 0;
}

// to[m] = from[2m] for whole vectors of B where it has even_lanes. Returns the m it reached.
template <class B>
int64_t copy_even_vectors(const float* from, float* to, int64_t n) {
  int64_t m = 0;
  if constexpr (has_swizzles<B>)
    for (; m + static_cast<int64_t>(B::size) <= n; m += B::size) even_lanes<B>(from + 2 * m).store_unaligned(to + m);
  return m;
}

// to[m] = from[2m] for m < n: the stride-2 phase split of a panel row (the most common strided case).
inline void copy_even(const float* from, float* to, int64_t n) {
  int64_t m = 0;
#ifdef STRIDER_KERNEL_ARCH
  m = copy_even_vectors<Simd<STRIDER_KERNEL_ARCH>::Batch>(from, to, n);
#endif
  for (; m < n; ++m) to[m] = from[2 * m];
}

// How many output rows one panel serves: several when a row's panel is small (few input channels, as in
// depthwise or first layers), so each input row is copied once instead of kernel_h times; one when the
// panel is large, where the GEMM dwarfs the copy and the panel must stay in L2. A panel of 256 KB, or of
// 512 KB where 256 KB would copy each input row more than twice: a tall window over many channels, as
// FSRCNN's 9x9 stride-2 ConvTranspose2d run merged (56 channels, 5 rows, one output row per 256 KB panel),
// where the copy took a third of the time (7 rows: 12.5-12.9 -> 10.3-11.9 ms, one AVX2 thread).
inline int64_t panel_row_block(const PanelSource& s, int64_t out_h) {
  const int64_t per_input_row = s.channels * s.stride_w * panel_width(s);
  const int64_t reach = std::max<int64_t>(s.kernel_h - 1, 0) * s.dilation_h;
  const auto rows_within = [&](int64_t floats) {
    const int64_t input_rows = floats / per_input_row - reach;
    return input_rows <= 1 ? int64_t{1} : (input_rows - 1) / s.stride_h + 1;
  };
  int64_t rows = rows_within(65536);
  if ((rows - 1) * s.stride_h + reach + 1 > 2 * rows * s.stride_h) rows = rows_within(131072);
  return std::clamp<int64_t>(rows, 1, std::min<int64_t>(16, std::max<int64_t>(out_h, 1)));
}

inline float padded_value(const float* row, int64_t col, int64_t width, PaddingMode mode, float fill) {
  const int64_t s = padded_source_index(col, width, mode);
  return s >= 0 && s < width ? row[s] : fill;  // past the padding's reach only discarded lanes read it
}

// to[0 .. n) = from[0 .. n), or `fill` where from is null, in inline vectors: the row of a depthwise or
// first layer's panel is a few vectors, where a memcpy or memset call cost as much as the copy.
inline void put_run(const float* from, float fill, float* to, int64_t n) {
  int64_t m = 0;
#ifdef STRIDER_KERNEL_ARCH
  using B = Simd<STRIDER_KERNEL_ARCH>::Batch;
  constexpr int64_t V = B::size;
  if (from != nullptr)
    for (; m + V <= n; m += V) B::load_unaligned(from + m).store_unaligned(to + m);
  else
    for (; m + V <= n; m += V) B(fill).store_unaligned(to + m);
#endif
  for (; m < n; ++m) to[m] = from != nullptr ? from[m] : fill;
}

// Zero padding at stride 1 (depthwise layers, most first layers): each panel row is an input row's span
// [c0, c0 + reach) with `fill` outside the input, copied without the general path's calls per row.
inline void build_unit_stride_panel(const PanelSource& s, int64_t i, int64_t c0, int64_t reach, float* row,
                                    int64_t width) {
  const int64_t plane = s.in_h * s.in_w;
  const int64_t lo = std::clamp<int64_t>(-c0, 0, reach), hi = std::clamp<int64_t>(s.in_w - c0, lo, reach);
  for (int64_t c = 0; c < s.channels; ++c) {
    for (int64_t rel = 0; rel < input_rows(s); ++rel, row += width) {
      const int64_t ih = i * s.stride_h + rel - s.pad_top;
      if (ih < 0 || ih >= s.in_h) {
        put_run(nullptr, s.fill, row, reach);
        continue;
      }
      const float* first = s.input + c * plane + ih * s.in_w + (c0 + lo);  // c0 + lo >= 0
      // The next channel's row, every line of it (the first line alone left FSRCNN's 1x1 56 -> 12 on
      // 256² copying rows 43 % of its time; one thread, medians: 2.50 -> 2.24 ms, c7 5.12 -> 4.85).
      if (c + 1 < s.channels)
        for (int64_t m = 0; m < hi - lo; m += 16) __builtin_prefetch(first + plane + m);
      put_run(nullptr, s.fill, row, lo);
      put_run(first, 0.0f, row + lo, hi - lo);
      put_run(nullptr, s.fill, row + hi, reach - hi);
    }
  }
}

// Fills the panel for output rows i .. i + s.rows, columns j0 .. j0 + cols: phase r of (c, input row)
// holds the input columns c0 + r + m·sw, c0 = j0·sw - pad_left, so tap b reads phase (b·dw) % sw from
// index (b·dw) / sw on.
inline void build_panel(const PanelSource& s, int64_t i, int64_t j0, int64_t cols, float* panel, int64_t width) {
  const int64_t plane = s.in_h * s.in_w, sw = s.stride_w;
  const int64_t reach = cols + std::max<int64_t>(s.kernel_w - 1, 0) * s.dilation_w / sw;
  const int64_t c0 = j0 * sw - s.pad_left;
  if (sw == 1 && s.padding_mode == PaddingMode::zeros) return build_unit_stride_panel(s, i, c0, reach, panel, width);
  float* row = panel;
  // The span of an input row the panel reads, for prefetching the next channel's row while this one is
  // copied: the copy is otherwise bound by the latency of each channel plane's first lines.
  const int64_t span_begin = std::clamp<int64_t>(c0, 0, s.in_w);
  const int64_t span_end = std::clamp<int64_t>(c0 + reach * sw, span_begin, s.in_w);
  for (int64_t c = 0; c < s.channels; ++c) {
    for (int64_t rel = 0; rel < input_rows(s); ++rel) {
      const int64_t ih = padded_source_index(i * s.stride_h + rel - s.pad_top, s.in_h, s.padding_mode);
      const bool outside = ih < 0 || ih >= s.in_h;
      const float* src = s.input + c * plane + (outside ? 0 : ih * s.in_w);
      // A row at a time: all the next channel's rows at once (c2: 11 rows of 16 lines) stalled the copy
      // on the misses in flight, 26 % of its samples on the prefetches.
      if (c + 1 < s.channels && !outside)
        for (int64_t m = span_begin; m < span_end; m += 16) __builtin_prefetch(src + plane + m);
      for (int64_t r = 0; r < sw; ++r, row += width) {
        if (outside) {
          std::fill(row, row + reach, s.fill);
          continue;
        }
        const int64_t base = c0 + r;
        // m in [lo, hi) reads inside the input; the rest is padding.
        const int64_t lo = std::clamp<int64_t>(ceil_div(-base, sw), 0, reach);
        const int64_t hi = std::clamp<int64_t>(floor_div(s.in_w - 1 - base, sw) + 1, lo, reach);
        if (s.padding_mode == PaddingMode::zeros) {
          std::fill(row, row + lo, s.fill);
          std::fill(row + hi, row + reach, s.fill);
        } else {
          for (int64_t m = 0; m < lo; ++m) row[m] = padded_value(src, base + m * sw, s.in_w, s.padding_mode, s.fill);
          for (int64_t m = hi; m < reach; ++m) row[m] = padded_value(src, base + m * sw, s.in_w, s.padding_mode, s.fill);
        }
        if (sw == 1) {
          std::memcpy(row + lo, src + base + lo, static_cast<std::size_t>(hi - lo) * sizeof(float));
        } else if (sw == 2) {
          copy_even(src + base + 2 * lo, row + lo, hi - lo);
        } else {
          const float* from = src + base;
          for (int64_t m = lo; m < hi; ++m) row[m] = from[m * sw];
        }
        // Columns past `reach` feed only lanes the kernels discard: they keep whatever the buffer held.
      }
    }
  }
}

}  // namespace
}  // namespace strider::kernels
