// The arch-neutral half of the pooling kernel: task geometry, workspace, dispatch.
#include "pool_kernel.hpp"

#include <limits>

#include "../core/parallel.hpp"
#include "../core/simd_batch.hpp"
#include "conv_kernel.hpp"
#include "panel.hpp"

namespace strider::kernels {

PanelSource panel_source(const PoolPass& p) {
  PanelSource s{p.input, 1, p.in_h, p.in_w, p.kernel_h, p.kernel_w, p.stride_h, p.stride_w, p.dilation_h,
                p.dilation_w, p.pad_h, p.pad_w, PaddingMode::zeros,
                p.max ? -std::numeric_limits<float>::infinity() : 0.0f};
  s.rows = panel_row_block(s, p.out_h);
  return s;
}

void run_pool_pass(const PoolPass& pass) {
  const int64_t row_blocks = ceil_div(pass.out_h, panel_source(pass).rows);
  const int64_t tasks = pass.planes * row_blocks * ((pass.out_w + tile_columns - 1) / tile_columns);
  if (tasks == 0) return;
  const PanelSource source = panel_source(pass);
  const auto panel_size = static_cast<std::size_t>(panel_rows(source) * panel_width(source));
  const auto offsets_size = static_cast<std::size_t>(pass.kernel_h * pass.kernel_w);
  dispatch([&](auto arch) {
    parallel_for(0, tasks, [&](int64_t begin, int64_t end) {
      Workspace& w = thread_workspace(panel_size, offsets_size);
      run_pool_tasks<decltype(arch)>(pass, begin, end, w.panel.data(), w.offsets.data());
    });
  });
}

}  // namespace strider::kernels
