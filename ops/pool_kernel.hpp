#pragma once
// The pooling kernel: max or average over windows, vectorized along W. Like the convolution kernel
// (conv_kernel.hpp) it splits work into tasks of (plane, output row, column tile), copies the rows a
// task reads into a small panel split into stride phases, and reduces taps with contiguous loads.
#include <cstdint>

namespace strider::kernels {

struct PoolPass {
  const float* input = nullptr;
  float* output = nullptr;
  int64_t planes = 0, in_h = 0, in_w = 0, out_h = 0, out_w = 0;  // planes: N·C, each in_h x in_w
  int64_t kernel_h = 1, kernel_w = 1, stride_h = 1, stride_w = 1;
  int64_t pad_h = 0, pad_w = 0, dilation_h = 1, dilation_w = 1;
  bool max = true;
  // Average pooling divides output (i, j) by row_divisor[i] · column_divisor[j]; column_divisor is
  // readable up to out_w + tile_columns (vector loads past the last column).
  const float* row_divisor = nullptr;
  const float* column_divisor = nullptr;
};

// The input rows a task reads (ops/panel.hpp): one plane, -inf padding for max, 0 for average.
struct PanelSource;
PanelSource panel_source(const PoolPass& pass);

// Runs tasks [begin, end) with the panel and kernel_h · kernel_w offsets of scratch. Thread-free and
// throw-free.
template <class Arch>
void run_pool_tasks(const PoolPass& pass, int64_t begin, int64_t end, float* panel, int64_t* offsets) noexcept;

// Runs a whole pass: every task, in parallel, at the SIMD level in force.
void run_pool_pass(const PoolPass& pass);

}  // namespace strider::kernels
