// The arch-specific half of the row-Winograd kernel (ops/row_winograd_kernel.hpp). ops/CMakeLists.txt
// compiles this file once per SIMD level with that level's flags and STRIDER_KERNEL_ARCH set.
#include <algorithm>
#include <type_traits>

#include "conv_microkernel.hpp"
#include "panel.hpp"
#include "row_winograd_kernel.hpp"

namespace strider::kernels {

namespace {

// acc + c·x for a coefficient c = Eighths / 8 known at compile time (the transforms' are multiples of 1/8;
// an int, as Clang 14 takes no floating-point template argument): nothing for 0, a sum for ±1, an FMA
// otherwise.
template <int Eighths>
[[gnu::always_inline]] inline B term(B acc, B x) {
  if constexpr (Eighths == 0) return acc;
  else if constexpr (Eighths == 8) return acc + x;
  else if constexpr (Eighths == -8) return acc - x;
  else return fma(B(static_cast<float>(Eighths) / 8.0f), x, acc);
}

// Row P of F(4, Taps)'s Bᵀ (Input) or Aᵀ applied to x.
template <int Taps, bool Input, int P, int N>
[[gnu::always_inline]] inline B transform_row(const B (&x)[N]) {
  constexpr const RowTransform& t = row_transforms[Taps - 2];
  B acc(0.0f);
  unroll<N>([&](auto k) {
    constexpr double c = Input ? t.bt[P][decltype(k)::value] : t.at[P][decltype(k)::value];
    constexpr int eighths = static_cast<int>(8 * c);
    static_assert(eighths == 8 * c, "a transform coefficient that is not a multiple of 1/8");
    acc = term<eighths>(acc, x[k]);
  });
  return acc;
}

// Bᵀ on the Taps + 3 even-phase rows of every (channel, column phase): transformed plane p's row of it,
// for whole vectors of the panel's width (past the copied columns the panel holds stale floats, which only
// feed lanes the GEMMs and the output transform drop).
template <int Taps>
void transform_rows(const PanelSource& s, const float* panel, float* planes, int64_t width) {
  constexpr int N = Taps + 3;
  const int64_t rows = input_rows(s), sw = s.stride_w;
  const int64_t plane = s.channels * sw * width, step = 2 * sw * width;  // even row k: d + k·step
  for (int64_t c = 0; c < s.channels; ++c)
    for (int64_t r = 0; r < sw; ++r) {
      const float* const d = panel + (c * rows * sw + r) * width;
      float* const v = planes + (c * sw + r) * width;
      for (int64_t m = 0; m < width; m += V) {
        B x[N];
        unroll<N>([&](auto k) { x[k] = B::load_unaligned(d + k * step + m); });
        unroll<N>([&](auto p) { transform_row<Taps, true, p>(x).store_unaligned(v + p * plane + m); });
      }
    }
}

// Aᵀ on a block's Taps + 3 products (M_p at sums + p·block_floats, Block rows of tile_columns each): each
// output row's sums, y_q at sums + (Taps + 3 + q)·block_floats, where the odd rows' GEMM resumes from them.
template <int Taps>
void transform_sums(float* sums, int64_t block_floats, int64_t channels, int64_t rows, int64_t cols) {
  constexpr int N = Taps + 3;
  for (int64_t m = 0; m < channels; ++m) {
    float* const at = sums + m * tile_columns;
    float* const y = at + N * block_floats;
    for (int64_t j = 0; j < cols; j += V) {
      B mp[N];
      unroll<N>([&](auto p) { mp[p] = B::load_unaligned(at + p * block_floats + j); });
      unroll<4>([&](auto q) {
        if (q < rows) transform_row<Taps, false, q>(mp).store_unaligned(y + q * block_floats + j);
      });
    }
  }
}

template <int Taps>
void run_tasks(const RowWinogradRun& run, int64_t begin, int64_t end, float* scratch) {
  constexpr int N = Taps + 3;
  const ConvPass& p = run.planes.front();  // the pass, with the odd kernel rows' weights
  PanelSource source = run.source;
  const PackedConvWeights& odd = *p.weights;
  const int64_t width = panel_width(source), in = odd.in_per_group, k = odd.k();
  const int64_t block_floats = odd.block * tile_columns;
  float* const panel = scratch;
  float* const planes = panel + panel_rows(source) * width;
  const int64_t plane_floats = in * source.stride_w * width;
  float* const sums = planes + N * plane_floats;
  const int64_t tiles = ceil_div(p.out_w, source.columns), row_blocks = ceil_div(p.out_h, source.rows);
  const PassRun direct{p, {&p.epilogue, p.output, p.residual}, run.offsets, k_chunk(p, false)};
  const int64_t* const plane_offsets = run.offsets + k;
  for (int64_t task = begin; task < end; ++task) {
    const int64_t tile = task % tiles, block = task / tiles % row_blocks;
    const int64_t g = task / (tiles * row_blocks) % odd.groups, n = task / (tiles * row_blocks * odd.groups);
    const int64_t j0 = tile * source.columns, cols = std::min(source.columns, p.out_w - j0);
    const int64_t i0 = block * source.rows, rows = std::min(source.rows, p.out_h - i0);
    source.input = p.input + (n * odd.groups + g) * in * p.in_h * p.in_w;
    build_panel(source, i0, j0, cols, panel, width);
    transform_rows<Taps>(source, panel, planes, width);
    float* const out = p.output + n * p.out_batch_stride + g * odd.out_per_group * p.out_channel_stride +
                       i0 * p.out_row_stride + j0 * p.out_col_stride;
    for (int64_t blk = 0; blk < odd.blocks(); ++blk) {
      const int64_t first = blk * odd.block;
      for (int64_t i = 0; i < N; ++i) {  // the products M_p of the transformed planes
        const ConvPass& plane = run.planes[1 + i];
        const PassRun gemm{plane, {&plane.epilogue, nullptr, nullptr}, plane_offsets, k_chunk(plane, false)};
        run_blocks(gemm, g, blk, blk + 1,
                   {sums + i * block_floats, planes + i * plane_floats, cols, sums + (N + 4) * block_floats,
                    nullptr, false});
      }
      transform_sums<Taps>(sums, block_floats, std::min<int64_t>(odd.block, odd.out_per_group - first), rows, cols);
      // The odd rows' GEMM from those sums, stored with the bias and epilogue as the direct kernel stores.
      for (int64_t q = 0; q < rows; ++q)
        run_blocks(direct, g, blk, blk + 1,
                   {out + first * p.out_channel_stride + q * p.out_row_stride, panel + q * row_step(source, width),
                    cols, sums + (N + q) * block_floats, nullptr, true});
    }
  }
}

}  // namespace

template <class A>
void run_row_winograd_tasks(const RowWinogradRun& run, int64_t begin, int64_t end, float* scratch) noexcept {
  static_assert(std::is_same_v<A, Arch>, "this TU holds the kernels of one arch");
  switch (run.planes.size() - 1) {  // the points: taps + 3
    case 5: return run_tasks<2>(run, begin, end, scratch);
    case 6: return run_tasks<3>(run, begin, end, scratch);
    default: return run_tasks<4>(run, begin, end, scratch);
  }
}

template void run_row_winograd_tasks<Arch>(const RowWinogradRun&, int64_t, int64_t, float*) noexcept;

}  // namespace strider::kernels
