#pragma once
// The convolution kernel shared by Conv2d and ConvTranspose2d: an implicit GEMM over NCHW.
//
// A pass computes, for output pixel (i, j) of every image and output channel o of group g,
//   out = epilogue(bias[o] + sum_{c, a, b} w[o, c, a, b] · x[c, i·sh + a·dh - pad_top, j·sw + b·dw - pad_left])
// with out-of-range input positions filled per padding_mode, and stores it at
//   output[n·out_batch_stride + o·out_channel_stride + i·out_row_stride + j·out_col_stride].
// Conv2d is one pass. ConvTranspose2d is s_h·s_w stride-1 passes, one per output phase, each writing
// every s-th output pixel: no inserted zero is ever multiplied.
//
// Work is split into tasks of (image, group, output row, column tile); each output is written by one
// task, so results do not depend on the thread count. A task copies the input rows it reads into a
// small panel (zero-padded, split into stride phases so every tap reads contiguously), bounded by the
// tile width, never by the image size. The microkernel then multiplies blocks of packed weights
// (broadcast) by panel rows (vector loads) into a register tile of block x NR·V outputs.
#include <cstdint>
#include <span>
#include <vector>

#include "../core/arithmetic.hpp"
#include "epilogue.hpp"

namespace strider::kernels {

// Output columns per task. Every microkernel's loads (at most a task's columns, the last ones rounded up
// to a whole vector) stay inside a panel row of PanelSource::columns + the taps' reach (ops/panel.hpp).
constexpr int64_t tile_columns = 192;

// Weights repacked for the microkernel: per group and block of `block` output channels, the
// K = in_per_group·kernel_h·kernel_w weights of each channel interleaved: [g][block index][K][block],
// zero past the group's last output channel.
struct PackedConvWeights {
  int64_t groups = 1;
  int64_t in_per_group = 0;
  int64_t out_per_group = 0;
  int64_t kernel_h = 0;
  int64_t kernel_w = 0;
  int block = 8;  // output channels per microkernel: 1, 2, 3, 4, 6 or 8
  std::vector<float> data;

  int64_t k() const { return in_per_group * kernel_h * kernel_w; }
  int64_t blocks() const { return (out_per_group + block - 1) / block; }
};

// Packs weight(o, c, a, b) for global output channel o and in-group input channel c.
template <class WeightAt>
PackedConvWeights pack_conv_weights(int64_t groups, int64_t in_per_group, int64_t out_per_group, int64_t kernel_h,
                                    int64_t kernel_w, WeightAt weight) {
  PackedConvWeights p{groups, in_per_group, out_per_group, kernel_h, kernel_w, 8, {}};
  // The smallest block that covers the group's channels, so few-channel layers (an RGB output, depthwise)
  // waste no FMAs; past that, 6 where 8 would pad more channels (ESPCN's 12 outputs: 2 x 6, not 2 x 8).
  for (int block : {6, 4, 3, 2, 1})
    if (block >= out_per_group) p.block = block;
  if (out_per_group > 6 && ceil_div(out_per_group, 6) * 6 < ceil_div(out_per_group, 8) * 8)
    p.block = 6;
  const int64_t k = p.k();
  p.data.assign(static_cast<std::size_t>(groups * p.blocks() * k * p.block), 0.0f);
  float* out = p.data.data();
  for (int64_t g = 0; g < groups; ++g)
    for (int64_t blk = 0; blk < p.blocks(); ++blk)
      for (int64_t c = 0; c < in_per_group; ++c)
        for (int64_t a = 0; a < kernel_h; ++a)
          for (int64_t b = 0; b < kernel_w; ++b, out += p.block)
            for (int m = 0; m < p.block; ++m) {
              const int64_t o = blk * p.block + m;
              if (o < out_per_group) out[m] = weight(g * out_per_group + o, c, a, b);
            }
  return p;
}

struct ConvPass {
  const float* input = nullptr;
  int64_t batch = 0, in_h = 0, in_w = 0;  // channels: weights->groups · in_per_group, plane after plane
  float* output = nullptr;
  int64_t out_h = 0, out_w = 0;
  int64_t out_batch_stride = 0, out_channel_stride = 0, out_row_stride = 0, out_col_stride = 1;
  int64_t stride_h = 1, stride_w = 1, dilation_h = 1, dilation_w = 1;
  int64_t pad_top = 0, pad_left = 0;  // may be negative: the pass starts inside the input
  PaddingMode padding_mode = PaddingMode::zeros;
  const PackedConvWeights* weights = nullptr;
  const float* bias = nullptr;  // per global output channel, or null
  Epilogue epilogue;
  const float* residual = nullptr;  // the epilogue's residual, offset like `output` (ops/epilogue_simd.hpp)
};

// The input rows a task of `passes` reads (ops/panel.hpp), and the floats of panel (with partial sums) one
// task needs: those of one pass, or the union of the columns of passes that read the same rows (those
// run_conv_passes runs as one). The task geometry (batch, groups, output size) is the first pass's.
struct PanelSource;
PanelSource panel_source(std::span<const ConvPass> passes);
int64_t panel_floats(std::span<const ConvPass> passes);
// Runs tasks [begin, end) of `passes` with a panel of panel_floats(passes) floats and the taps' panel
// offsets (panel_offset in ops/panel.hpp, the same for every task), each pass's k() after the previous
// pass's. Thread-free and throw-free.
template <class Arch>
void run_conv_tasks(std::span<const ConvPass> passes, int64_t begin, int64_t end, float* panel,
                    const int64_t* offsets) noexcept;

// Taps per pass of a register tile over a task's tile: K, or chunks of it (ops/conv_kernel.cpp says why),
// the sums kept between chunks. in_place: the tile is read from the input itself, not from a panel.
int64_t k_chunk(const ConvPass& p, bool in_place);

// Runs a whole pass: every task, in parallel, at the SIMD level in force.
void run_conv_pass(const ConvPass& pass);
// Runs passes over the same input, as ConvTranspose2d's phases are, with one bias and one epilogue (those
// of the convolution whose phases they are). Consecutive undilated ones that read the same rows into
// outputs of one size (the column phases of a row phase, say) run as one set of tasks, each copying its
// input rows once for all of them, over the union of their columns: t3's four phases read one pixel each,
// and took 1.35-1.98 ms instead of 1.76-1.94 (AVX2, one thread); t1's and t4's pairs of 2x2 windows a
// column apart spent 4.3 and 3.9 % of their time copying rows instead of 7.3 and 6.2. The two column
// phases of a stride-2 row phase also store together, contiguously (t3 1.34-1.37 -> 1.18 ms, t1, t2 and
// t6 3 % faster; AVX2, one thread). Others run one after another.
void run_conv_passes(std::span<const ConvPass> passes);

// A task's scratch: one per thread, grown on demand, so the kernels themselves never allocate. The panel
// starts on a 64-byte line (detail::LineVector): from a plain vector, every other 8-float load of the
// microkernel straddled two lines, and c7's microkernel took 1.38x the time of the same loop on an aligned
// panel in the same process (perf, one AVX2 thread); aligned, 1.11x.
struct Workspace {
  float* panel;
  int64_t* offsets;
};
Workspace thread_workspace(std::size_t panel_floats, std::size_t offsets);

}  // namespace strider::kernels
