// The arch-neutral half of the row-Winograd kernel: when it runs, its task geometry, dispatch.
#include "row_winograd_kernel.hpp"

#include <vector>

#include "../core/parallel.hpp"
#include "../core/simd_batch.hpp"
#include "panel.hpp"

namespace strider::kernels {

bool row_winograd_applies(const ConvPass& p) {
  const PackedConvWeights& w = *p.weights;
  return w.kernel_h == 3 && p.stride_h == 2 && p.dilation_h == 1 && w.kernel_w <= 3 && p.dilation_w == 1 &&
         p.stride_w <= 2 && w.k() > 0;
}

bool use_row_winograd(ConvAlgorithm algorithm, const ConvPass& p) {
  if (!row_winograd_applies(p)) return false;
  if (algorithm == ConvAlgorithm::automatic) algorithm = default_conv_algorithm();
  if (algorithm != ConvAlgorithm::automatic) return algorithm == ConvAlgorithm::winograd;
  const PackedConvWeights& w = *p.weights;
  return w.in_per_group * w.kernel_w >= 48 && w.out_per_group >= 16 && p.out_h >= 8;
}

namespace {

constexpr int64_t task_rows = 4;  // F(4, 2): output rows per tile

}  // namespace

void run_row_winograd_pass(const ConvPass& pass, const RowWinogradWeights& w) {
  if (pass.out_h <= 0 || pass.out_w <= 0 || pass.batch == 0) return;
  // The pass with kernel row 1's weights, then the products' GEMMs into a block's rows of sums.
  std::vector<ConvPass> planes(w.planes.size(), pass);
  for (std::size_t i = 0; i < planes.size(); ++i) {
    ConvPass& plane = planes[i];
    plane.weights = &w.planes[i];
    if (i == 0) continue;
    plane.out_channel_stride = tile_columns, plane.out_col_stride = 1;
    plane.bias = nullptr, plane.epilogue = Epilogue(), plane.residual = nullptr;
  }
  PanelSource source = panel_source({&planes.front(), 1});
  source.kernel_h = 3, source.rows = task_rows;
  const int64_t width = panel_width(source);
  const PackedConvWeights& single = w.planes.front();
  std::vector<int64_t> offsets;
  for (int64_t c = 0; c < single.in_per_group; ++c)
    for (int64_t b = 0; b < single.kernel_w; ++b) offsets.push_back(panel_offset(source, width, c, 1, b));
  PanelSource plane_rows = source;  // a transformed plane: a row per (channel, column phase)
  plane_rows.kernel_h = 1, plane_rows.rows = 1;
  for (int64_t c = 0; c < single.in_per_group; ++c)
    for (int64_t b = 0; b < single.kernel_w; ++b) offsets.push_back(panel_offset(plane_rows, width, c, 0, b));

  const int64_t tasks =
      pass.batch * single.groups * ceil_div(pass.out_h, task_rows) * ceil_div(pass.out_w, source.columns);
  // The panel, the 5 transformed planes, a block's 5 products and 4 output rows' sums, and the partial sums
  // of a chunked K.
  const auto floats = static_cast<std::size_t>(panel_rows(source) * width +
                                               5 * single.in_per_group * source.stride_w * width +
                                               10 * single.block * tile_columns);
  const RowWinogradRun run{planes, source, offsets.data()};
  dispatch([&](auto arch) {
    parallel_for(0, tasks, [&](int64_t begin, int64_t end) {
      run_row_winograd_tasks<decltype(arch)>(run, begin, end, thread_workspace(floats, 0).panel);
    });
  });
}

}  // namespace strider::kernels
