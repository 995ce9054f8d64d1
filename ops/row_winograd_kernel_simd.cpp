// The arch-specific half of the row-Winograd kernel (ops/row_winograd_kernel.hpp). ops/CMakeLists.txt
// compiles this file once per SIMD level with that level's flags and STRIDER_KERNEL_ARCH set.
#include <algorithm>
#include <type_traits>

#include "conv_microkernel.hpp"
#include "panel.hpp"
#include "row_winograd_kernel.hpp"

namespace strider::kernels {

namespace {

// Bᵀ on the pair's 5 rows of every (channel, column phase): transformed plane p's row of it, for whole
// vectors of the panel's width (past the copied columns the panel holds stale floats, which only feed
// lanes the GEMMs and the output transform drop).
void transform_rows(const PanelSource& s, const float* panel, float* planes, int64_t width) {
  const int64_t rows = input_rows(s), sw = s.stride_w;
  const int64_t plane = s.channels * sw * width;
  for (int64_t c = 0; c < s.channels; ++c)
    for (int64_t r = 0; r < sw; ++r) {
      const float* d = panel + (c * rows * sw + r) * width;  // pair row k: d + 2k·sw·width
      float* v = planes + (c * sw + r) * width;
      const int64_t step = 2 * sw * width;
      for (int64_t m = 0; m < width; m += V) {
        const B d0 = B::load_unaligned(d + m), d1 = B::load_unaligned(d + step + m);
        const B d2 = B::load_unaligned(d + 2 * step + m), d3 = B::load_unaligned(d + 3 * step + m);
        const B d4 = B::load_unaligned(d + 4 * step + m);
        const B two(2.0f);
        (fma(two, d0 - d2, d3) - d1).store_unaligned(v + m);
        (d3 - fma(two, d1, d2)).store_unaligned(v + plane + m);
        (fma(two, d1, d3) - B(3.0f) * d2).store_unaligned(v + 2 * plane + m);
        (d3 - d1).store_unaligned(v + 3 * plane + m);
        (fma(two, d1 - d3, d4) - d2).store_unaligned(v + 4 * plane + m);
      }
    }
}

// Aᵀ on a block's 5 products (M_p at sums + p·block_floats, Block rows of tile_columns each): each output
// row's sums, y_q at sums + (5 + q)·block_floats, where kernel row 1's GEMM resumes from them.
void transform_sums(float* sums, int64_t block_floats, int64_t channels, int64_t rows, int64_t cols) {
  for (int64_t m = 0; m < channels; ++m) {
    float* const at = sums + m * tile_columns;
    float* const y = at + 5 * block_floats;
    for (int64_t j = 0; j < cols; j += V) {
      B mp[5];
      for (int k = 0; k < 5; ++k) mp[k] = B::load_unaligned(at + k * block_floats + j);
      const B sum12 = mp[1] + mp[2], diff12 = mp[1] - mp[2];
      (mp[0] + sum12 + mp[3]).store_unaligned(y + j);
      if (rows > 1) fma(B(2.0f), mp[3], diff12).store_unaligned(y + block_floats + j);
      if (rows > 2) fma(B(4.0f), mp[3], sum12).store_unaligned(y + 2 * block_floats + j);
      if (rows > 3) (fma(B(8.0f), mp[3], diff12) + mp[4]).store_unaligned(y + 3 * block_floats + j);
    }
  }
}

}  // namespace

template <class A>
void run_row_winograd_tasks(const RowWinogradRun& run, int64_t begin, int64_t end, float* scratch) noexcept {
  static_assert(std::is_same_v<A, Arch>, "this TU holds the kernels of one arch");
  const ConvPass& p = run.planes.front();  // the pass, with kernel row 1's weights
  PanelSource source = run.source;
  const PackedConvWeights& single = *p.weights;
  const int64_t width = panel_width(source), in = single.in_per_group, k = single.k();
  const int64_t block_floats = single.block * tile_columns;
  float* const panel = scratch;
  float* const planes = panel + panel_rows(source) * width;
  const int64_t plane_floats = in * source.stride_w * width;
  float* const sums = planes + 5 * plane_floats;
  const int64_t tiles = ceil_div(p.out_w, source.columns), row_blocks = ceil_div(p.out_h, source.rows);
  const PassRun direct{p, {&p.epilogue, p.output, p.residual}, run.offsets, k_chunk(p, false)};
  for (int64_t task = begin; task < end; ++task) {
    const int64_t tile = task % tiles, block = task / tiles % row_blocks;
    const int64_t g = task / (tiles * row_blocks) % single.groups, n = task / (tiles * row_blocks * single.groups);
    const int64_t j0 = tile * source.columns, cols = std::min(source.columns, p.out_w - j0);
    const int64_t i0 = block * source.rows, rows = std::min(source.rows, p.out_h - i0);
    source.input = p.input + (n * single.groups + g) * in * p.in_h * p.in_w;
    build_panel(source, i0, j0, cols, panel, width);
    transform_rows(source, panel, planes, width);
    float* const out = p.output + n * p.out_batch_stride + g * single.out_per_group * p.out_channel_stride +
                       i0 * p.out_row_stride + j0 * p.out_col_stride;
    for (int64_t blk = 0; blk < single.blocks(); ++blk) {
      const int64_t first = blk * single.block;
      for (int64_t i = 0; i < 5; ++i) {  // the products M_p of the transformed planes
        const ConvPass& plane = run.planes[1 + i];
        const PassRun gemm{plane, {&plane.epilogue, nullptr, nullptr}, run.offsets + k, k_chunk(plane, false)};
        run_blocks(gemm, g, blk, blk + 1,
                   {sums + i * block_floats, planes + i * plane_floats, cols, sums + 9 * block_floats, nullptr, false});
      }
      transform_sums(sums, block_floats, std::min<int64_t>(single.block, single.out_per_group - first), rows, cols);
      // Kernel row 1's GEMM from those sums, stored with the bias and epilogue as the direct kernel stores.
      for (int64_t q = 0; q < rows; ++q)
        run_blocks(direct, g, blk, blk + 1,
                   {out + first * p.out_channel_stride + q * p.out_row_stride, panel + q * row_step(source, width),
                    cols, sums + (5 + q) * block_floats, nullptr, true});
    }
  }
}

template void run_row_winograd_tasks<Arch>(const RowWinogradRun&, int64_t, int64_t, float*) noexcept;

}  // namespace strider::kernels
