// The arch-neutral half of the convolution kernel: task geometry, per-thread workspace, dispatch.
#include "conv_kernel.hpp"

#include <algorithm>

#include <tbb/enumerable_thread_specific.h>

#include "../core/parallel.hpp"
#include "../core/simd_batch.hpp"

namespace strider::kernels {

int64_t task_count(const ConvPass& pass) {
  const int64_t tiles = (pass.out_w + tile_columns - 1) / tile_columns;
  return pass.batch * pass.weights->groups * pass.out_h * tiles;
}

int64_t panel_rows(const ConvPass& pass) {
  // One row per (input channel, kernel row, stride phase); none without taps.
  return pass.weights->k() > 0 ? pass.weights->in_per_group * pass.weights->kernel_h * pass.stride_w : 0;
}

int64_t panel_width(const ConvPass& pass) {
  const int64_t reach = std::max<int64_t>(pass.weights->kernel_w - 1, 0) * pass.dilation_w / pass.stride_w;
  return (tile_columns + panel_round - 1) / panel_round * panel_round + reach;
}

void run_conv_pass(const ConvPass& pass) {
  const int64_t tasks = task_count(pass);
  if (tasks == 0) return;
  // One workspace per thread, grown when a pass needs more: the kernels themselves never allocate.
  struct Workspace {
    std::vector<float> panel;
    std::vector<int64_t> offsets;
  };
  static tbb::enumerable_thread_specific<Workspace> workspaces;
  const auto panel_size = static_cast<std::size_t>(panel_rows(pass) * panel_width(pass));
  const auto offsets_size = static_cast<std::size_t>(pass.weights->k());
  dispatch([&](auto arch) {
    parallel_for(0, tasks, [&](int64_t begin, int64_t end) {
      Workspace& w = workspaces.local();
      if (w.panel.size() < panel_size) w.panel.resize(panel_size);
      if (w.offsets.size() < offsets_size) w.offsets.resize(offsets_size);
      run_conv_tasks<decltype(arch)>(pass, begin, end, w.panel.data(), w.offsets.data());
    });
  });
}

}  // namespace strider::kernels
