// The arch-neutral half of the pooling kernel: task geometry, workspace, dispatch.
#include "pool_kernel.hpp"

#include <limits>

#include "../core/parallel.hpp"
#include "../core/simd_batch.hpp"
#include "conv_kernel.hpp"
#include "panel.hpp"
#include "window_gather.hpp"

namespace strider::kernels {

PanelSource panel_source(const PoolPass& p) {
  PanelSource s{p.input, 1, p.in_h, p.in_w, p.kernel_h, p.kernel_w, p.stride_h, p.stride_w, p.dilation_h,
                p.dilation_w, p.pad_h, p.pad_w, PaddingMode::zeros,
                p.max ? -std::numeric_limits<float>::infinity() : 0.0f};
  s.rows = panel_row_block(s, p.out_h);
  return s;
}

void run_pool_pass(const PoolPass& original) {
  if (original.out_h <= 0 || original.out_w <= 0 || original.planes == 0) return;
  // Bound the panel and the taps by what the pass computes (window_gather.hpp); the fill is neutral.
  PoolPass pass = original;
  WindowAxis h = clip_pool_taps(with_unit_stride_if_single(
      {pass.in_h, pass.out_h, pass.kernel_h, pass.stride_h, pass.pad_h, pass.dilation_h}));
  WindowAxis w = clip_pool_taps(with_unit_stride_if_single(
      {pass.in_w, pass.out_w, pass.kernel_w, pass.stride_w, pass.pad_w, pass.dilation_w}));
  const float fill = pass.max ? -std::numeric_limits<float>::infinity() : 0.0f;
  const Tensor gathered = gather_sparse_windows(pass.input, pass.planes, h, w, PaddingMode::zeros, fill);
  if (gathered.defined()) pass.input = gathered.data();
  pass.in_h = h.in, pass.kernel_h = h.kernel, pass.stride_h = h.stride, pass.pad_h = h.pad, pass.dilation_h = h.dilation;
  pass.in_w = w.in, pass.kernel_w = w.kernel, pass.stride_w = w.stride, pass.pad_w = w.pad, pass.dilation_w = w.dilation;

  const int64_t row_blocks = ceil_div(pass.out_h, panel_source(pass).rows);
  const int64_t tasks = pass.planes * row_blocks * ((pass.out_w + tile_columns - 1) / tile_columns);
  if (tasks == 0) return;
  const PanelSource source = panel_source(pass);
  const auto panel_size = static_cast<std::size_t>(panel_rows(source) * panel_width(source));
  const auto offsets_size = static_cast<std::size_t>(pass.kernel_h * pass.kernel_w);
  dispatch([&](auto arch) {
    parallel_for(0, tasks, [&](int64_t begin, int64_t end) {
      const Workspace w = thread_workspace(panel_size, offsets_size);
      run_pool_tasks<decltype(arch)>(pass, begin, end, w.panel, w.offsets);
    });
  });
}

}  // namespace strider::kernels
