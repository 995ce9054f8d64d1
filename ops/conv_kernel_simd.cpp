// The arch-specific half of the convolution kernel. ops/CMakeLists.txt compiles this file once per
// SIMD level with that level's flags and STRIDER_KERNEL_ARCH set to its xsimd arch (or ScalarArch).
#include <algorithm>
#include <type_traits>

#include "../core/simd_batch.hpp"
#include "conv_kernel.hpp"
#include "panel.hpp"

namespace strider::kernels {

namespace {  // internal linkage: no other arch's TU can pick up these instantiations

using Arch = STRIDER_KERNEL_ARCH;
using B = Simd<Arch>::Batch;
constexpr int64_t V = B::size;

// Vectors per output row of the microkernel: block·NR accumulators + NR loads + 1 broadcast must fit
// the register file. Every width NR·V divides panel_round and tile_columns.
constexpr int nr_for(int block) {
  if constexpr (Simd<Arch>::registers == 32) return block == 8 ? 3 : 6;
  return block == 8 ? 1 : block == 4 ? 2 : block == 2 ? 4 : 6;
}

inline B apply_epilogue(B v, const Epilogue& e) {
  switch (e.kind) {
    case Epilogue::Kind::relu: return where_negative(v, B(0.0f));
    case Epilogue::Kind::leaky_relu: return where_negative(v, v * B(e.negative_slope));
    case Epilogue::Kind::none: break;
  }
  return v;
}

// One block x (NR·V) tile of outputs: columns j .. j + NR·V of the task's tile, for `valid_columns`
// of which the results are stored (the rest read panel slack and are dropped).
template <int Block>
void microkernel(const float* weights, const float* panel, const int64_t* offsets, int64_t k_count, int64_t j,
                 float* out, int64_t channel_stride, int64_t col_stride, int64_t channels, const float* bias,
                 int64_t valid_columns, const Epilogue& epilogue) {
  constexpr int NR = nr_for(Block);
  B acc[Block][NR];
  for (int m = 0; m < Block; ++m)
    for (int r = 0; r < NR; ++r) acc[m][r] = B(0.0f);
  for (int64_t k = 0; k < k_count; ++k) {
    const float* column = panel + offsets[k] + j;
    B x[NR];
    for (int r = 0; r < NR; ++r) x[r] = B::load_unaligned(column + r * V);
    const float* wk = weights + k * Block;
    for (int m = 0; m < Block; ++m) {
      const B wm(wk[m]);
      for (int r = 0; r < NR; ++r) acc[m][r] = fma(wm, x[r], acc[m][r]);
    }
  }
  const bool contiguous = col_stride == 1 && valid_columns >= NR * V;
  for (int m = 0; m < Block && m < channels; ++m) {
    const B b(bias ? bias[m] : 0.0f);
    float* o = out + m * channel_stride + j * col_stride;
    for (int r = 0; r < NR; ++r) {
      const B v = apply_epilogue(acc[m][r] + b, epilogue);
      if (contiguous) {
        v.store_unaligned(o + r * V);
        continue;
      }
      float lanes[V];
      v.store_unaligned(lanes);
      for (int64_t l = 0; l < V && r * V + l < valid_columns; ++l) o[(r * V + l) * col_stride] = lanes[l];
    }
  }
}

template <int Block>
void run_blocks(const ConvPass& p, int64_t g, float* out, const float* panel, const int64_t* offsets, int64_t cols) {
  constexpr int64_t width = nr_for(Block) * V;
  const PackedConvWeights& w = *p.weights;
  const int64_t k = w.k();
  for (int64_t blk = 0; blk < w.blocks(); ++blk) {
    const float* weights = w.data.data() + (g * w.blocks() + blk) * k * Block;
    const int64_t first = blk * Block;
    const float* bias = p.bias ? p.bias + g * w.out_per_group + first : nullptr;
    for (int64_t j = 0; j < cols; j += width)
      microkernel<Block>(weights, panel, offsets, k, j, out + first * p.out_channel_stride, p.out_channel_stride,
                         p.out_col_stride, w.out_per_group - first, bias, cols - j, p.epilogue);
  }
}

}  // namespace

template <class A>
void run_conv_tasks(const ConvPass& p, int64_t begin, int64_t end, float* panel, int64_t* offsets) noexcept {
  static_assert(std::is_same_v<A, Arch>, "this TU holds the kernels of one arch");
  const PackedConvWeights& w = *p.weights;
  PanelSource source = panel_source(p);
  const int64_t width = panel_width(source, tile_columns, panel_round);
  for (int64_t c = 0, k = 0; c < w.in_per_group; ++c)
    for (int64_t a = 0; a < w.kernel_h; ++a)
      for (int64_t b = 0; b < w.kernel_w; ++b) offsets[k++] = panel_offset(source, width, c, a, b);
  const int64_t tiles = (p.out_w + tile_columns - 1) / tile_columns;
  for (int64_t task = begin; task < end; ++task) {
    const int64_t tile = task % tiles, i = task / tiles % p.out_h;
    const int64_t g = task / (tiles * p.out_h) % w.groups, n = task / (tiles * p.out_h * w.groups);
    const int64_t j0 = tile * tile_columns, cols = std::min(tile_columns, p.out_w - j0);
    source.input = p.input + (n * w.groups + g) * w.in_per_group * p.in_h * p.in_w;
    if (w.k() > 0) build_panel(source, i, j0, cols, panel, width);  // k = 0: a phase with no taps, bias only
    float* out = p.output + n * p.out_batch_stride + g * w.out_per_group * p.out_channel_stride +
                 i * p.out_row_stride + j0 * p.out_col_stride;
    switch (w.block) {
      case 8: run_blocks<8>(p, g, out, panel, offsets, cols); break;
      case 4: run_blocks<4>(p, g, out, panel, offsets, cols); break;
      case 2: run_blocks<2>(p, g, out, panel, offsets, cols); break;
      default: run_blocks<1>(p, g, out, panel, offsets, cols); break;
    }
  }
}

template void run_conv_tasks<Arch>(const ConvPass&, int64_t, int64_t, float*, int64_t*) noexcept;

}  // namespace strider::kernels
