// The arch-neutral half of the depthwise 3x3 kernel: geometry and dispatch.
#include "depthwise_kernel.hpp"

#include <algorithm>

#include "../core/parallel.hpp"
#include "../core/simd_batch.hpp"

namespace strider::kernels {

bool is_depthwise3x3(const ConvPass& p) {
  const PackedConvWeights& w = *p.weights;
  return w.in_per_group == 1 && w.out_per_group == 1 && w.kernel_h == 3 && w.kernel_w == 3 && p.stride_h == 1 &&
         p.stride_w == 1 && p.dilation_h == 1 && p.dilation_w == 1;
}

DepthwiseGeometry depthwise_geometry(const ConvPass& p, int64_t vector) {
  DepthwiseGeometry g{};
  g.tasks = p.batch * p.weights->groups * ceil_div(p.out_h, depthwise_task_rows);
  // Output column j reads input columns j - pad_left .. j - pad_left + 2.
  g.left = std::min(p.out_w, ceil_div(std::max<int64_t>(p.pad_left, 0), vector) * vector);
  const int64_t inside_end = std::min(p.out_w, p.in_w + p.pad_left - 2);
  g.right = g.left + std::max<int64_t>(inside_end - g.left, 0) / vector * vector;
  g.zero_floats = p.padding_mode == PaddingMode::zeros ? p.in_w : 0;
  return g;
}

void run_depthwise3x3_pass(const ConvPass& pass) {
  dispatch([&](auto arch) {
    const DepthwiseGeometry geometry = depthwise_geometry(pass, Simd<decltype(arch)>::lanes);
    parallel_for(0, geometry.tasks, [&](int64_t begin, int64_t end) {
      float* zeros = thread_workspace(static_cast<std::size_t>(geometry.zero_floats), 0).panel;
      run_depthwise3x3_tasks<decltype(arch)>(pass, geometry, begin, end, zeros);
    });
  });
}

}  // namespace strider::kernels
