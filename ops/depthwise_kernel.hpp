#pragma once
// The depthwise 3x3 convolution at stride 1 and dilation 1 (MobileNet's layer, shapes.json's c8): one
// input channel per output channel, any padding. A ConvPass (ops/conv_kernel.hpp) that is_depthwise3x3
// runs here instead of through the implicit GEMM, whose microkernel issues a load per FMA with a single
// channel and whose panel copy cost a fifth of the layer (AVX2, one thread: 22 %).
//
// The kernel reads the input rows in place: a register tile of R output rows loads each of its R + 2
// input rows' vectors once, at the three column shifts, for up to three FMAs. Rows above and below the
// input read a row of zeros (or the row the padding mode reflects). The tiles whose taps reach past a
// row's ends, a vector or so at each end: with one column of zero padding each side (the "same" 3x3,
// AVX2 and AVX-512), they shift the padding's zero into a vector they load inside the row; otherwise
// they copy their rows' few floats, padded, to the stack first. Each output starts from the bias and
// adds its nine products, kernel row by row.
//
// Tasks are (image, channel, block of output rows); every output is written by one task.
#include <cstdint>

#include "conv_kernel.hpp"

namespace strider::kernels {

bool is_depthwise3x3(const ConvPass& pass);

// Output rows per task: four register tiles of 6 rows (ops/depthwise_kernel_simd.cpp), 90 tasks per
// channel of a 4K frame.
constexpr int64_t depthwise_task_rows = 24;

// Where a pass's columns and scratch go, for an arch whose vectors hold `vector` floats.
struct DepthwiseGeometry {
  int64_t tasks;
  // Output columns [0, left) and [right, out_w) read padding; [left, right) is a whole number of
  // vectors whose taps all lie inside the input rows.
  int64_t left, right;
  // The scratch of a task: a row of zeros, for zero padding.
  int64_t zero_floats;
};
DepthwiseGeometry depthwise_geometry(const ConvPass& pass, int64_t vector);

// Runs tasks [begin, end) with a scratch of geometry.zero_floats floats. Thread-free and throw-free.
template <class Arch>
void run_depthwise3x3_tasks(const ConvPass& pass, const DepthwiseGeometry& geometry, int64_t begin, int64_t end,
                            float* zeros) noexcept;

// Every task of a pass that is_depthwise3x3, in parallel, at the SIMD level in force.
void run_depthwise3x3_pass(const ConvPass& pass);

}  // namespace strider::kernels
