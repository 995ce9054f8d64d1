// The arch-specific half of the depthwise 3x3 kernel (ops/depthwise_kernel.hpp), compiled once per SIMD
// level as conv_kernel_simd.cpp.
#include <algorithm>
#include <type_traits>

#include "../core/simd_batch.hpp"
#include "depthwise_kernel.hpp"
#include "epilogue_simd.hpp"
#include "panel.hpp"

namespace strider::kernels {

namespace {  // internal linkage: no other arch's TU can pick up these instantiations

using Arch = STRIDER_KERNEL_ARCH;
using B = Simd<Arch>::Batch;
constexpr int64_t V = B::size;
static_assert(V == Simd<Arch>::lanes);

// Output rows per register tile: R accumulators, the nine weights and the loaded vector fill AVX2's 16
// registers. A prototype of this tile on one AVX2 thread (c8's shape, rows in place) took 0.306, 0.295,
// 0.284, 0.293, 0.316 ms at R = 4, 5, 6, 7, 8: past 6 GCC spills weights; below it the tile has fewer
// FMA chains than the FMA latency needs in flight. Tiles of two vectors were slower (R = 2, 3, 4). AVX-512
// runs the same tile (not measured: no AVX-512 machine here).
constexpr int tile_rows = 6;

// What a band needs besides its rows, in a local of the band: stores to the output cannot alias it, so
// its fields stay in registers.
struct Band {
  const float* weights;  // the channel's nine taps, in order
  float bias;
  int64_t row_stride, col_stride, out_w;
  int64_t in_w, pad_left;
  PaddingMode padding_mode;
  int64_t left, right;  // DepthwiseGeometry's
  bool shifted_edges;   // the edge tiles are Edge ones (see depthwise_tile)
  const EpilogueTarget* epilogue;
  bool fused;  // the epilogue is not empty
  int64_t channel;
};

// Output rows [0, R) and columns [j, j + V) ∩ [0, out_w): column j of row t is
// bias + sum over a, b of w[3a + b] · rows[t + a][col + b], loaded a vector at a time from col on. The
// sums start from the bias: added last, it took a register of its own and GCC spilled the sums (c8 on one
// AVX2 thread: 0.49-0.52 ms against 0.44-0.47).
// Whole: every lane is an output, contiguous (col_stride 1); a plain store spares the tile the
// registers of store_lanes' strides and bounds, which made GCC spill the row pointers.
// Edge: the first or last tile of a row with one column of zero padding on each side: the tap that
// reaches the padding shifts the middle tap's vector one lane with a zero in (has_swizzles). The first
// tile is given the column its middle tap reads (0), so that no load and no pointer leaves the row.
enum class Edge { none, first, last };
template <int R, bool Whole, Edge E = Edge::none>
[[gnu::always_inline]] inline void depthwise_tile(const B (&w)[9], const float* const* rows, int64_t col,
                                                  const Band& d, float* out, int64_t j) {
  constexpr int offset = E == Edge::first ? -1 : 0;
  B acc[R];
  unroll<R>([&](auto t) __attribute__((always_inline)) { acc[t] = B(d.bias); });
  unroll<R + 2>([&](auto u) __attribute__((always_inline)) {
    const float* row = rows[u] + col;
    unroll<3>([&](auto b) __attribute__((always_inline)) {
      B x;
      if constexpr (E == Edge::first && b == 0) x = shift_in_zero_first(B::load_unaligned(row));
      else if constexpr (E == Edge::last && b == 2) x = shift_in_zero_last(B::load_unaligned(row + 1));
      else x = B::load_unaligned(row + b + offset);
      unroll<R>([&](auto t) __attribute__((always_inline)) {
        constexpr int a = decltype(u)::value - decltype(t)::value;  // the kernel row joining input u to output t
        if constexpr (a >= 0 && a < 3) acc[t] = fma(w[3 * a + b], x, acc[t]);
      });
    });
  });
  unroll<R>([&](auto t) __attribute__((always_inline)) {
    const B v = acc[t];
    if constexpr (Whole) v.store_unaligned(out + t * d.row_stride + j);
    else store_lanes(v, out + t * d.row_stride + j * d.col_stride, d.col_stride, d.out_w - j);
  });
}

// The other edge tiles' rows: input columns [c, c + V + 2) of each row, padded, copied to edge[u][0 ..)
// (put_run's inline vector copies: with a memmove call per row, the two edge tiles of a c8 row cost a
// fifth of the layer). They cost as much as a third of c8 on AVX2, against none for the Edge tiles.
constexpr int64_t edge_floats = 2 * V + 2;
template <int R>
[[gnu::always_inline]] inline void fill_edge(float (&edge)[R + 2][edge_floats], const float* const* rows, int64_t c,
                                             const Band& d) {
  const int64_t lo = std::clamp<int64_t>(-c, 0, V + 2), hi = std::clamp<int64_t>(d.in_w - c, lo, V + 2);
  for (int u = 0; u < R + 2; ++u) {
    float* e = edge[u];
    if (d.padding_mode != PaddingMode::zeros) {
      for (int64_t m = 0; m < V + 2; ++m) e[m] = padded_value(rows[u], c + m, d.in_w, d.padding_mode, 0.0f);
      continue;
    }
    put_run(nullptr, 0.0f, e, lo);
    if (hi > lo) put_run(rows[u] + c + lo, 0.0f, e + lo, hi - lo);  // outside the input: the zero row
    put_run(nullptr, 0.0f, e + hi, V + 2 - hi);
  }
}

// The epilogue over a band's rows just stored, while they are in L1.
void apply_epilogue_rows(const Band& d, float* out, int64_t rows) {
  if (!d.fused) return;
  for (int64_t t = 0; t < rows; ++t)
    for (int64_t j = 0; j < d.out_w; j += V) {
      float* at = out + t * d.row_stride + j * d.col_stride;
      const int64_t valid = d.out_w - j;
      const B v = load_lanes<B>(at, d.col_stride, valid);
      store_lanes(apply_epilogue(v, *d.epilogue, d.channel, at, d.col_stride, valid), at, d.col_stride, valid);
    }
}

// Output rows [0, R) of a task's rows (input rows [0, R + 2) of `rows`), every column; then the epilogue
// over them while they are in L1. Not inlined, and the epilogue is a pass of its own: any call on the
// tiles' path made GCC keep the weights and sums on the stack (c8, one AVX2 thread: 1.04 ms against 0.57).
// Shifted: the Edge tiles (d.shifted_edges), in a function of their own: beside the copying edge tiles,
// GCC allotted the tiles fewer registers (c8 on one AVX2 thread: 0.32-0.35 ms against 0.31).
template <int R, bool Shifted>
[[gnu::noinline]] void depthwise_band(const Band& band, const float* const* rows, float* out) {
  const Band d = band;
  const float* r[R + 2];  // in a local array, the row pointers can stay in registers
  unroll<R + 2>([&](auto u) { r[u] = rows[u]; });
  B w[9];
  for (int m = 0; m < 9; ++m) w[m] = B(d.weights[m]);
  if constexpr (Shifted) {
    depthwise_tile<R, true, Edge::first>(w, r, 0, d, out, 0);
    for (int64_t j = d.left; j < d.right; j += V) depthwise_tile<R, true>(w, r, j - 1, d, out, j);
    const int64_t last = d.out_w - V;  // may overlap the previous tile: the same bits again
    depthwise_tile<R, true, Edge::last>(w, r, last - 1, d, out, last);
  } else {
    const auto edge_tile = [&](int64_t j) __attribute__((always_inline)) {
      float edge[R + 2][edge_floats];
      fill_edge<R>(edge, r, j - d.pad_left, d);
      const float* edge_rows[R + 2];
      for (int u = 0; u < R + 2; ++u) edge_rows[u] = edge[u];
      depthwise_tile<R, false>(w, edge_rows, 0, d, out, j);
    };
    for (int64_t j = 0; j < d.left; j += V) edge_tile(j);
    if (d.col_stride == 1)
      for (int64_t j = d.left; j < d.right; j += V) depthwise_tile<R, true>(w, r, j - d.pad_left, d, out, j);
    else
      for (int64_t j = d.left; j < d.right; j += V) depthwise_tile<R, false>(w, r, j - d.pad_left, d, out, j);
    for (int64_t j = d.right; j < d.out_w; j += V) edge_tile(j);
  }
  apply_epilogue_rows(d, out, R);
}

// Output rows [0, R) of a task's rows, by the band for its edges.
template <int R>
void run_band(const Band& d, const float* const* rows, float* out) {
  if constexpr (has_swizzles<B>)
    if (d.shifted_edges) return depthwise_band<R, true>(d, rows, out);
  depthwise_band<R, false>(d, rows, out);
}

}  // namespace

template <class A>
void run_depthwise3x3_tasks(const ConvPass& p, const DepthwiseGeometry& g, int64_t begin, int64_t end,
                            float* zeros) noexcept {
  static_assert(std::is_same_v<A, Arch>, "this TU holds the kernels of one arch");
  const PackedConvWeights& weights = *p.weights;
  const EpilogueTarget epilogue{&p.epilogue, p.output, p.residual};
  const int64_t blocks = ceil_div(p.out_h, depthwise_task_rows);
  for (int64_t task = begin; task < end; ++task) {
    const int64_t block = task % blocks, channel = task / blocks % weights.groups;
    const int64_t n = task / (blocks * weights.groups);
    const int64_t i0 = block * depthwise_task_rows, rows = std::min(depthwise_task_rows, p.out_h - i0);
    const float* plane = p.input + (n * weights.groups + channel) * p.in_h * p.in_w;
    const float* in_rows[depthwise_task_rows + 2];
    bool reads_zeros = false;
    for (int64_t u = 0; u < rows + 2; ++u) {
      const int64_t ih = padded_source_index(i0 + u - p.pad_top, p.in_h, p.padding_mode);
      const bool outside = ih < 0 || ih >= p.in_h;
      reads_zeros |= outside;
      in_rows[u] = outside ? zeros : plane + ih * p.in_w;
    }
    if (reads_zeros) std::fill(zeros, zeros + g.zero_floats, 0.0f);
    const bool shifted_edges = has_swizzles<B> && p.padding_mode == PaddingMode::zeros && p.pad_left == 1 &&
                               p.in_w == p.out_w && p.in_w > V && p.out_col_stride == 1;
    const Band d{weights.data.data() + channel * 9, p.bias ? p.bias[channel] : 0.0f, p.out_row_stride,
                 p.out_col_stride, p.out_w, p.in_w, p.pad_left, p.padding_mode, g.left, g.right,
                 shifted_edges, &epilogue, !p.epilogue.empty(), channel};
    float* out = p.output + n * p.out_batch_stride + channel * p.out_channel_stride + i0 * p.out_row_stride;
    int64_t t = 0;
    for (; t + tile_rows <= rows; t += tile_rows) run_band<tile_rows>(d, in_rows + t, out + t * p.out_row_stride);
    unroll<tile_rows - 1>([&](auto k) {  // the remaining rows - t < tile_rows rows, in one band
      constexpr int rest = decltype(k)::value + 1;
      if (rows - t == rest) run_band<rest>(d, in_rows + t, out + t * p.out_row_stride);
    });
  }
}

template void run_depthwise3x3_tasks<Arch>(const ConvPass&, const DepthwiseGeometry&, int64_t, int64_t,
                                           float*) noexcept;

}  // namespace strider::kernels
