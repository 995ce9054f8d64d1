// The arch-specific half of the convolution kernel. ops/CMakeLists.txt compiles this file once per
// SIMD level with that level's flags and STRIDER_KERNEL_ARCH set to its xsimd arch (or ScalarArch).
#include <algorithm>
#include <type_traits>

#include "conv_microkernel.hpp"
#include "panel.hpp"

namespace strider::kernels {

namespace {

// Whether passes a and b are the two column phases of a stride-2 transposed convolution's row (b's outputs
// just after a's), with one bias and, as every pass of one run_conv_passes call, one epilogue: then their
// tiles are stored together, a vector of each interleaved into two contiguous ones, where each alone
// stores every other float.
bool interleaves(const ConvPass& a, const ConvPass& b) {
  return a.out_col_stride == 2 && b.out_col_stride == 2 && b.output == a.output + 1 && a.out_w == b.out_w &&
         a.out_channel_stride == b.out_channel_stride && a.out_row_stride == b.out_row_stride &&
         a.out_batch_stride == b.out_batch_stride && a.bias == b.bias &&
         b.residual == (a.residual ? a.residual + 1 : nullptr) && a.weights->out_per_group == b.weights->out_per_group;
}

}  // namespace

template <class A>
void run_conv_tasks(std::span<const ConvPass> passes, int64_t begin, int64_t end, float* panel,
                    const int64_t* offsets) noexcept {
  static_assert(std::is_same_v<A, Arch>, "this TU holds the kernels of one arch");
  const ConvPass& first = passes.front();  // the task geometry, which every pass shares
  const PackedConvWeights& w = *first.weights;
  PanelSource source = panel_source(passes);
  const int64_t width = panel_width(source);
  const int64_t tiles = ceil_div(first.out_w, source.columns);
  const int64_t row_blocks = ceil_div(first.out_h, source.rows);
  const bool direct = passes.size() == 1 && reads_input_directly(source);
  // Past the panel (panel_floats() counts them); a tapless pass has neither.
  float* partial = w.k() == 0 ? nullptr : panel + panel_rows(source) * width;
  float* pair = w.k() == 0 ? nullptr : partial + w.block * tile_columns;
  bool paired = passes.size() % 2 == 0;  // as pairs of column phases (t3's four phases: two pairs)
  for (std::size_t q = 0; paired && q < passes.size(); q += 2) paired = interleaves(passes[q], passes[q + 1]);
  for (int64_t task = begin; task < end; ++task) {
    const int64_t tile = task % tiles, block = task / tiles % row_blocks;
    const int64_t g = task / (tiles * row_blocks) % w.groups, n = task / (tiles * row_blocks * w.groups);
    const int64_t j0 = tile * source.columns, cols = std::min(source.columns, first.out_w - j0);
    const int64_t i0 = block * source.rows, rows = std::min(source.rows, first.out_h - i0);
    source.input = first.input + (n * w.groups + g) * w.in_per_group * first.in_h * first.in_w;
    // In place where the microkernels' whole vectors stay inside the input (a transposed phase's may not).
    const bool in_place = direct && j0 + ceil_div(cols, V) * V <= first.in_w && i0 + rows <= first.in_h;
    const float* rows_from = in_place ? source.input + i0 * first.in_w + j0 : panel;
    const int64_t step = in_place ? first.in_w : row_step(source, width);
    if (w.k() > 0 && !in_place) build_panel(source, i0, j0, cols, panel, width);  // k = 0: bias only
    // Pass by pass, so that one pass's weights stay in L2 over the rows; a pair of column phases block by
    // block, the first's tiles waiting in `pair` for the second's.
    const int64_t* pass_offsets = in_place ? offsets + w.k() : offsets;
    for (std::size_t q = 0; q < passes.size(); q += paired ? 2 : 1) {
      const ConvPass& p = passes[q];
      const PassRun run{p, {&p.epilogue, p.output, p.residual}, pass_offsets, k_chunk(p, in_place)};
      pass_offsets += p.weights->k();
      RowTarget row{p.output + n * p.out_batch_stride + g * p.weights->out_per_group * p.out_channel_stride +
                        i0 * p.out_row_stride + j0 * p.out_col_stride,
                    rows_from, cols, partial, paired ? pair : nullptr, false};
      if (!paired) {
        for (int64_t t = 0; t < rows; ++t, row.out += p.out_row_stride, row.panel += step)
          run_blocks(run, g, 0, p.weights->blocks(), row);
        continue;
      }
      const ConvPass& second = passes[q + 1];
      const PassRun second_run{second, {&second.epilogue, second.output, second.residual}, pass_offsets,
                               k_chunk(second, false)};
      pass_offsets += second.weights->k();
      for (int64_t t = 0; t < rows; ++t, row.out += p.out_row_stride, row.panel += step)
        for (int64_t blk = 0; blk < p.weights->blocks(); ++blk) {
          RowTarget block_row = row;
          block_row.out += blk * p.weights->block * p.out_channel_stride;
          run_blocks(run, g, blk, blk + 1, block_row);
          run_blocks(second_run, g, blk, blk + 1, block_row, true);
        }
    }
  }
}

template void run_conv_tasks<Arch>(std::span<const ConvPass>, int64_t, int64_t, float*, const int64_t*) noexcept;

}  // namespace strider::kernels
