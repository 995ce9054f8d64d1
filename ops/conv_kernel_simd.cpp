// The arch-specific half of the convolution kernel. ops/CMakeLists.txt compiles this file once per
// SIMD level with that level's flags and STRIDER_KERNEL_ARCH set to its xsimd arch (or ScalarArch).
#include <algorithm>
#include <type_traits>
#include <utility>

#include "../core/simd_batch.hpp"
#include "conv_kernel.hpp"
#include "epilogue_simd.hpp"
#include "panel.hpp"

namespace strider::kernels {

namespace {  // internal linkage: no other arch's TU can pick up these instantiations

using Arch = STRIDER_KERNEL_ARCH;
using B = Simd<Arch>::Batch;
constexpr int64_t V = B::size;

// The microkernel's register tile for a block of packed weights: Rows of its `block` output channels by
// NR vectors of columns. Rows·NR accumulators + NR loads + 1 broadcast must fit the register file, with at
// least 8 accumulators to cover the FMA latency (2 pipes x 4 cycles); with one channel (depthwise) each load
// feeds one FMA directly, so only the accumulators count. NR·V <= tile_columns keeps every load inside the
// panel. With 16 registers a block of 8 runs as two 4-row halves: 4 x 3 issues 7 loads per 12 FMAs where
// 8 x 1 issued 9 per 8, and load-bound (AVX2: 1.5x slower on the upsampler's 32-channel layers).
struct RegisterTile {
  int rows, nr;
};
constexpr RegisterTile register_tile(int block) {
  if constexpr (Simd<Arch>::registers == 32) {
    switch (block) {
      case 8: return {8, 3};   // 24 accumulators
      case 6: return {6, 4};   // 24
      case 3: return {3, 7};   // 21
      case 1: return {1, 12};  // 12, loads feed the FMAs directly
      default: return {block, 6};  // 4: 24, 2: 12
    }
  }
  switch (block) {
    case 8: return {4, 3};  // 12, twice
    case 6: return {6, 2};  // 12
    case 4: return {4, 3};  // 12
    case 3: return {3, 3};  // 9
    case 2: return {2, 4};  // 8
    default: return {1, 12};
  }
}

// Calls f(std::integral_constant<int, i>{}) for i = 0 .. N-1: indices known at compile time keep the
// tiles' arrays in registers.
template <int N, class F>
inline void unroll(F&& f) {
  [&]<int... I>(std::integer_sequence<int, I...>) {
    (f(std::integral_constant<int, I>{}), ...);
  }(std::make_integer_sequence<int, N>{});
}

// Rows x (NR·V) outputs: `Rows` channels of a block packed `Block` wide (weights points at the first
// one's), columns j .. j + NR·V of the task's tile, for `valid_columns` of which the results are stored
// (the rest read panel slack and are dropped).
template <int Block, int Rows, int NR>
void microkernel(const float* weights, const float* panel, const int64_t* offsets, int64_t k_count, int64_t j,
                 float* out, int64_t channel_stride, int64_t col_stride, int64_t channels, const float* bias,
                 int64_t valid_columns, const EpilogueTarget& epilogue, int64_t first_channel) {
  // Unrolled at compile time throughout (also the stores), or the compiler keeps acc in memory.
  B acc[Rows][NR];
  unroll<Rows>([&](auto m) { unroll<NR>([&](auto r) { acc[m][r] = B(0.0f); }); });
  for (int64_t k = 0; k < k_count; ++k) {
    const float* column = panel + offsets[k] + j;
    B x[NR];
    unroll<NR>([&](auto r) { x[r] = B::load_unaligned(column + r * V); });
    const float* wk = weights + k * Block;
    unroll<Rows>([&](auto m) {
      const B wm(wk[m]);
      unroll<NR>([&](auto r) { acc[m][r] = fma(wm, x[r], acc[m][r]); });
    });
  }
  const bool plain = epilogue.epilogue->empty();
  unroll<Rows>([&](auto m) {
    if (m >= channels) return;
    const B b(bias ? bias[m] : 0.0f);
    float* o = out + m * channel_stride + j * col_stride;
    unroll<NR>([&](auto r) {
      float* at = o + r * V * col_stride;
      const int64_t valid = valid_columns - r * V;
      B v = acc[m][r] + b;
      if (!plain) v = apply_epilogue(v, epilogue, first_channel + m, at, col_stride, valid);
      store_lanes(v, at, col_stride, valid);
    });
  });
}

// The columns [j, cols) left after the full-width microkernels: as few vectors as cover them, so an
// output width that is not a multiple of NR·V wastes at most one vector's lanes.
template <int Block, int Rows, int NR>
void tail_microkernel(int64_t vectors, const float* weights, const float* panel, const int64_t* offsets,
                      int64_t k_count, int64_t j, float* out, int64_t channel_stride, int64_t col_stride,
                      int64_t channels, const float* bias, int64_t valid_columns, const EpilogueTarget& epilogue,
                      int64_t first_channel) {
  if constexpr (NR > 1) {
    if (vectors < NR)
      return tail_microkernel<Block, Rows, NR - 1>(vectors, weights, panel, offsets, k_count, j, out, channel_stride,
                                             col_stride, channels, bias, valid_columns, epilogue, first_channel);
  }
  microkernel<Block, Rows, NR>(weights, panel, offsets, k_count, j, out, channel_stride, col_stride, channels,
                               bias, valid_columns, epilogue, first_channel);
}

template <int Block>
void run_blocks(const ConvPass& p, const EpilogueTarget& epilogue, int64_t g, float* out, const float* panel,
                const int64_t* offsets, int64_t cols) {
  constexpr int Rows = register_tile(Block).rows, NR = register_tile(Block).nr;
  const PackedConvWeights& w = *p.weights;
  const int64_t k = w.k();
  int64_t full = cols / (NR * V) * (NR * V);
  // A one-vector tail runs at a worse load:FMA ratio than any other width: with NR >= 3 the last full
  // tile and that tail become two tiles of (NR + 1) / 2 and NR / 2 vectors instead.
  const bool split_last = NR >= 3 && full > 0 && (cols - full + V - 1) / V == 1;
  if (split_last) full -= NR * V;
  for (int64_t blk = 0; blk < w.blocks(); ++blk) {
    const float* block_weights = w.data.data() + (g * w.blocks() + blk) * k * Block;
    // The block's channels in slices of Rows, each slice over the same panel columns while they are in L1.
    const auto each_slice = [&](auto&& run) {
      for (int64_t first = blk * Block; first < std::min<int64_t>((blk + 1) * Block, w.out_per_group); first += Rows)
        run(block_weights + first % Block, out + first * p.out_channel_stride, w.out_per_group - first,
            p.bias ? p.bias + g * w.out_per_group + first : nullptr, g * w.out_per_group + first);
    };
    for (int64_t j = 0; j < full; j += NR * V)
      each_slice([&](const float* weights, float* slice_out, int64_t channels, const float* bias, int64_t channel) {
        microkernel<Block, Rows, NR>(weights, panel, offsets, k, j, slice_out, p.out_channel_stride, p.out_col_stride,
                                     channels, bias, cols - j, epilogue, channel);
      });
    int64_t j = full;
    if (split_last) {
      each_slice([&](const float* weights, float* slice_out, int64_t channels, const float* bias, int64_t channel) {
        microkernel<Block, Rows, (NR + 1) / 2>(weights, panel, offsets, k, j, slice_out, p.out_channel_stride,
                                               p.out_col_stride, channels, bias, cols - j, epilogue, channel);
      });
      j += (NR + 1) / 2 * V;
    }
    if (j < cols)
      each_slice([&](const float* weights, float* slice_out, int64_t channels, const float* bias, int64_t channel) {
        tail_microkernel<Block, Rows, NR>((cols - j + V - 1) / V, weights, panel, offsets, k, j, slice_out,
                                          p.out_channel_stride, p.out_col_stride, channels, bias, cols - j, epilogue,
                                          channel);
      });
  }
}

// Depthwise 3x3 with stride_h = dilation_h = 1, the common depthwise layer (MobileNet's, shapes.json's
// c8). There the generic microkernel, with one channel, issues a load per FMA and is load-bound. Here a
// panel row feeds three consecutive output rows: a tile of R rows x NR vectors loads each input vector
// once for up to three FMAs, and the nine weights stay in registers. The terms of an output are summed
// in the generic order (kernel row, then column), so the results are the same bits.
constexpr int depthwise_vectors = 2;
constexpr int depthwise_rows = Simd<Arch>::registers == 32 ? 4 : 2;  // R·NR accumulators, NR inputs, 9 weights

struct DepthwiseRows {
  B weights[9];
  B bias;
  const int64_t* taps;  // the panel offsets of kernel row 0's three columns
  int64_t step;         // between the panel rows of consecutive output rows
  int64_t row_stride, col_stride, cols;
  const EpilogueTarget* epilogue;
  int64_t channel;
};

// Output rows [0, R) and columns [j, j + NR·V) ∩ [0, cols) of a task.
template <int R, int NR>
void depthwise3x3_tile(const DepthwiseRows& d, const float* panel, float* out, int64_t j) {
  B acc[R][NR];
  unroll<R>([&](auto t) { unroll<NR>([&](auto r) { acc[t][r] = B(0.0f); }); });
  unroll<R + 2>([&](auto u) {
    unroll<3>([&](auto b) {
      B x[NR];
      unroll<NR>([&](auto r) { x[r] = B::load_unaligned(panel + u * d.step + d.taps[b] + j + r * V); });
      unroll<R>([&](auto t) {
        constexpr int a = decltype(u)::value - decltype(t)::value;  // the kernel row joining input u to output t
        if constexpr (a >= 0 && a < 3)
          unroll<NR>([&](auto r) { acc[t][r] = fma(d.weights[3 * a + b], x[r], acc[t][r]); });
      });
    });
  });
  unroll<R>([&](auto t) {
    unroll<NR>([&](auto r) {
      float* at = out + t * d.row_stride + (j + r * V) * d.col_stride;
      const int64_t valid = d.cols - j - r * V;
      B v = acc[t][r] + d.bias;
      if (!d.epilogue->epilogue->empty()) v = apply_epilogue(v, *d.epilogue, d.channel, at, d.col_stride, valid);
      store_lanes(v, at, d.col_stride, valid);
    });
  });
}

// `rows` (at most R) output rows of a task, every column.
template <int R>
void depthwise3x3_rows(const DepthwiseRows& d, const float* panel, float* out, int64_t rows) {
  if constexpr (R > 1) {
    if (rows < R) return depthwise3x3_rows<R - 1>(d, panel, out, rows);
  }
  constexpr int NR = depthwise_vectors;
  int64_t j = 0;
  for (; j + NR * V <= d.cols; j += NR * V) depthwise3x3_tile<R, NR>(d, panel, out, j);
  for (; j < d.cols; j += V) depthwise3x3_tile<R, 1>(d, panel, out, j);
}

bool is_depthwise3x3(const ConvPass& p) {
  const PackedConvWeights& w = *p.weights;
  return w.in_per_group == 1 && w.out_per_group == 1 && w.kernel_h == 3 && w.kernel_w == 3 && p.stride_h == 1 &&
         p.dilation_h == 1;
}

}  // namespace

template <class A>
void run_conv_tasks(const ConvPass& p, int64_t begin, int64_t end, float* panel, int64_t* offsets) noexcept {
  static_assert(std::is_same_v<A, Arch>, "this TU holds the kernels of one arch");
  const PackedConvWeights& w = *p.weights;
  PanelSource source = panel_source(p);
  const int64_t width = panel_width(source);
  for (int64_t c = 0, k = 0; c < w.in_per_group; ++c)
    for (int64_t a = 0; a < w.kernel_h; ++a)
      for (int64_t b = 0; b < w.kernel_w; ++b) offsets[k++] = panel_offset(source, width, c, a, b);
  const int64_t tiles = (p.out_w + tile_columns - 1) / tile_columns, row_blocks = ceil_div(p.out_h, source.rows);
  const int64_t step = row_step(source, width);
  // A 1x1 stride-1 unpadded pass reads its input rows where they are (the panel would be a plain copy,
  // as costly as a fifth of the GEMM), with in-place offsets: one plane per input channel. Only for tiles
  // whose whole-vector loads stay inside the input row, which the last tile of a row may not.
  const bool pointwise = w.kernel_h == 1 && w.kernel_w == 1 && p.stride_h == 1 && p.stride_w == 1 &&
                         p.pad_top == 0 && p.pad_left == 0 && p.out_h <= p.in_h && p.out_w <= p.in_w;
  int64_t* plane_offsets = offsets + w.k();
  if (pointwise)
    for (int64_t c = 0; c < w.in_per_group; ++c) plane_offsets[c] = c * p.in_h * p.in_w;
  const bool depthwise = is_depthwise3x3(p);
  const EpilogueTarget epilogue{&p.epilogue, p.output, p.residual};
  for (int64_t task = begin; task < end; ++task) {
    const int64_t tile = task % tiles, block = task / tiles % row_blocks;
    const int64_t g = task / (tiles * row_blocks) % w.groups, n = task / (tiles * row_blocks * w.groups);
    const int64_t j0 = tile * tile_columns, cols = std::min(tile_columns, p.out_w - j0);
    const int64_t i0 = block * source.rows, rows = std::min(source.rows, p.out_h - i0);
    source.input = p.input + (n * w.groups + g) * w.in_per_group * p.in_h * p.in_w;
    const bool in_place = pointwise && j0 + ceil_div(cols, V) * V <= p.in_w;
    const float* task_panel = in_place ? source.input + i0 * p.in_w + j0 : panel;
    const int64_t* task_offsets = in_place ? plane_offsets : offsets;
    const int64_t task_step = in_place ? p.in_w : step;
    if (!in_place && w.k() > 0) build_panel(source, i0, j0, cols, panel, width);  // k = 0: bias only
    float* out = p.output + n * p.out_batch_stride + g * w.out_per_group * p.out_channel_stride +
                 i0 * p.out_row_stride + j0 * p.out_col_stride;
    if (depthwise) {
      DepthwiseRows d{{}, B(p.bias ? p.bias[g] : 0.0f), offsets, step, p.out_row_stride, p.out_col_stride, cols,
                      &epilogue, g};
      const float* weights = w.data.data() + g * w.k();  // one block of one channel: the 9 taps in order
      for (int m = 0; m < 9; ++m) d.weights[m] = B(weights[m]);
      for (int64_t t = 0; t < rows; t += depthwise_rows)
        depthwise3x3_rows<depthwise_rows>(d, panel + t * step, out + t * p.out_row_stride,
                                          std::min<int64_t>(depthwise_rows, rows - t));
      continue;
    }
    for (int64_t t = 0; t < rows; ++t, out += p.out_row_stride) {
      const float* rows_panel = task_panel + t * task_step;
      switch (w.block) {
        case 8: run_blocks<8>(p, epilogue, g, out, rows_panel, task_offsets, cols); break;
        case 6: run_blocks<6>(p, epilogue, g, out, rows_panel, task_offsets, cols); break;
        case 4: run_blocks<4>(p, epilogue, g, out, rows_panel, task_offsets, cols); break;
        case 3: run_blocks<3>(p, epilogue, g, out, rows_panel, task_offsets, cols); break;
        case 2: run_blocks<2>(p, epilogue, g, out, rows_panel, task_offsets, cols); break;
        default: run_blocks<1>(p, epilogue, g, out, rows_panel, task_offsets, cols); break;
      }
    }
  }
}

template void run_conv_tasks<Arch>(const ConvPass&, int64_t, int64_t, float*, int64_t*) noexcept;

}  // namespace strider::kernels
