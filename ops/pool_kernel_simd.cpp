// The arch-specific half of the pooling kernel, compiled once per SIMD level like conv_kernel_simd.cpp.
#include <algorithm>
#include <limits>
#include <type_traits>

#include "../core/simd_batch.hpp"
#include "conv_kernel.hpp"
#include "panel.hpp"
#include "pool_kernel.hpp"

namespace strider::kernels {

namespace {

using Arch = STRIDER_KERNEL_ARCH;
using B = Simd<Arch>::Batch;
constexpr int64_t V = B::size;
constexpr int NR = 4;  // vectors per step; NR·V divides tile_columns at every level

template <bool Max>
void pool_row(const PoolPass& p, const float* panel, const int64_t* offsets, int64_t taps, int64_t i, int64_t j0,
              int64_t cols, float* out) {
  const B row_divisor(Max ? 1.0f : p.row_divisor[i]);
  for (int64_t j = 0; j < cols; j += NR * V) {
    B acc[NR];
    for (int r = 0; r < NR; ++r) acc[r] = B(Max ? -std::numeric_limits<float>::infinity() : 0.0f);
    // Taps in the reference's order (rows, then columns): the first of equal maxima and any NaN win.
    for (int64_t t = 0; t < taps; ++t) {
      const float* x = panel + offsets[t] + j;
      for (int r = 0; r < NR; ++r) {
        const B v = B::load_unaligned(x + r * V);
        acc[r] = Max ? max_keep_nan(acc[r], v) : acc[r] + v;
      }
    }
    for (int r = 0; r < NR; ++r) {
      const int64_t col = j + r * V;
      if (col >= cols) break;
      B v = acc[r];
      if constexpr (!Max) v = v / (row_divisor * B::load_unaligned(p.column_divisor + j0 + col));
      if (cols - col >= V) {
        v.store_unaligned(out + col);
      } else {
        float lanes[V];
        v.store_unaligned(lanes);
        std::copy(lanes, lanes + (cols - col), out + col);
      }
    }
  }
}

}  // namespace

template <class A>
void run_pool_tasks(const PoolPass& p, int64_t begin, int64_t end, float* panel, int64_t* offsets) noexcept {
  static_assert(std::is_same_v<A, Arch>, "this TU holds the kernels of one arch");
  PanelSource source = panel_source(p);
  const int64_t width = panel_width(source);
  const int64_t taps = p.kernel_h * p.kernel_w;
  for (int64_t a = 0, t = 0; a < p.kernel_h; ++a)
    for (int64_t b = 0; b < p.kernel_w; ++b) offsets[t++] = panel_offset(source, width, 0, a, b);
  const int64_t tiles = (p.out_w + tile_columns - 1) / tile_columns, row_blocks = ceil_div(p.out_h, source.rows);
  const int64_t step = row_step(source, width);
  for (int64_t task = begin; task < end; ++task) {
    const int64_t tile = task % tiles, block = task / tiles % row_blocks, plane = task / (tiles * row_blocks);
    const int64_t j0 = tile * tile_columns, cols = std::min(tile_columns, p.out_w - j0);
    const int64_t i0 = block * source.rows, rows = std::min(source.rows, p.out_h - i0);
    source.input = p.input + plane * p.in_h * p.in_w;
    build_panel(source, i0, j0, cols, panel, width);
    for (int64_t t = 0; t < rows; ++t) {
      float* out = p.output + (plane * p.out_h + i0 + t) * p.out_w + j0;
      if (p.max) pool_row<true>(p, panel + t * step, offsets, taps, i0 + t, j0, cols, out);
      else pool_row<false>(p, panel + t * step, offsets, taps, i0 + t, j0, cols, out);
    }
  }
}

template void run_pool_tasks<Arch>(const PoolPass&, int64_t, int64_t, float*, int64_t*) noexcept;

}  // namespace strider::kernels
