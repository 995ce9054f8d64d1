// The arch-neutral half of the row-Winograd kernel: when it runs, its task geometry, dispatch.
#include "row_winograd_kernel.hpp"

#include <algorithm>
#include <vector>

#include "../core/parallel.hpp"
#include "../core/simd_batch.hpp"
#include "panel.hpp"

namespace strider::kernels {

bool row_winograd_applies(const ConvPass& p) {
  const PackedConvWeights& w = *p.weights;
  return (w.kernel_h == 3 || w.kernel_h == 5 || w.kernel_h == 7) && p.stride_h == 2 && p.dilation_h == 1 &&
         w.kernel_w <= 7 && p.dilation_w == 1 && p.stride_w <= 2 && w.k() > 0;
}

bool use_row_winograd(ConvAlgorithm algorithm, const ConvPass& p) {
  if (!row_winograd_applies(p)) return false;
  if (algorithm == ConvAlgorithm::automatic) algorithm = default_conv_algorithm();
  if (algorithm != ConvAlgorithm::automatic) return algorithm == ConvAlgorithm::winograd;
  // Measured (2 threads, AVX-512, stride 2, "same" padding, direct / row-Winograd time): 3 rows 16 -> 32 on
  // 256² 1.09-1.15, 32 -> 64 (c2) 1.17-1.20, 64 -> 128 1.20-1.24, 128 -> 128 1.12-1.15, 16 -> 16 1.00-1.05;
  // 8 -> 16 and 8 -> 32 even, 3 -> 32 and 16 -> 8 0.8-0.9. 5 rows: 3 -> 32 1.05-1.15, 8 -> 16 1.13, 32 -> 64
  // 1.28-1.40. 7 rows: 3 -> 16 1.1, 3 -> 64 (c10) 1.19, 8 -> 64 1.35.
  const PackedConvWeights& w = *p.weights;
  return (w.kernel_h >= 5 || w.in_per_group * w.kernel_w >= 48) && w.out_per_group >= 16 && p.out_h >= 8;
}

namespace {

constexpr int64_t task_rows = 4;  // F(4, r): output rows per tile

// The floats of a task's panel and transformed planes.
int64_t rows_floats(const PanelSource& s, int64_t points) {
  return (panel_rows(s) + points * s.channels * s.stride_w) * panel_width(s);
}

}  // namespace

void run_row_winograd_pass(const ConvPass& pass, const RowWinogradWeights& w) {
  if (pass.out_h <= 0 || pass.out_w <= 0 || pass.batch == 0) return;
  // The pass with the odd kernel rows' weights, then the products' GEMMs into a block's rows of sums.
  std::vector<ConvPass> planes(w.planes.size(), pass);
  for (std::size_t i = 0; i < planes.size(); ++i) {
    ConvPass& plane = planes[i];
    plane.weights = &w.planes[i];
    if (i == 0) continue;
    plane.out_channel_stride = tile_columns, plane.out_col_stride = 1;
    plane.bias = nullptr, plane.epilogue = Epilogue(), plane.residual = nullptr;
  }
  const PackedConvWeights& odd = w.planes.front();
  const int64_t points = static_cast<int64_t>(planes.size()) - 1;
  PanelSource source = panel_source({&planes.front(), 1});
  source.kernel_h = 2 * odd.kernel_h + 1, source.rows = task_rows;
  // Narrower tiles for many channels, so that the rows stay within about 1 MB (the L2) where they can: the
  // direct kernel's panel holds 3 input rows where this one holds kernel_h + 6 and the transformed planes.
  while (source.columns > 32 && rows_floats(source, points) > (int64_t{1} << 18))
    source.columns = std::max<int64_t>(32, (source.columns / 2 + 15) / 16 * 16);  // whole vectors
  const int64_t width = panel_width(source);
  std::vector<int64_t> offsets;
  for (int64_t c = 0; c < odd.in_per_group; ++c)
    for (int64_t a = 0; a < odd.kernel_h; ++a)
      for (int64_t b = 0; b < odd.kernel_w; ++b) offsets.push_back(panel_offset(source, width, c, 2 * a + 1, b));
  PanelSource plane_rows = source;  // a transformed plane: a row per (channel, column phase)
  plane_rows.kernel_h = 1, plane_rows.rows = 1;
  for (int64_t c = 0; c < odd.in_per_group; ++c)
    for (int64_t b = 0; b < odd.kernel_w; ++b) offsets.push_back(panel_offset(plane_rows, width, c, 0, b));

  const int64_t tasks =
      pass.batch * odd.groups * ceil_div(pass.out_h, task_rows) * ceil_div(pass.out_w, source.columns);
  // The panel, the transformed planes, a block's products and 4 output rows' sums, and the partial sums of
  // a chunked K.
  const auto floats = static_cast<std::size_t>(rows_floats(source, points) + (points + 5) * odd.block * tile_columns);
  const RowWinogradRun run{planes, source, offsets.data()};
  dispatch([&](auto arch) {
    parallel_for(0, tasks, [&](int64_t begin, int64_t end) {
      run_row_winograd_tasks<decltype(arch)>(run, begin, end, thread_workspace(floats, 0).panel);
    });
  });
}

}  // namespace strider::kernels
