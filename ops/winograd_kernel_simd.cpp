// The arch-specific half of the Winograd kernel, compiled once per SIMD level (ops/CMakeLists.txt).
#include <algorithm>
#include <type_traits>

#include "../core/simd_batch.hpp"
#include "epilogue_simd.hpp"
#include "panel.hpp"
#include "winograd_kernel.hpp"

namespace strider::kernels {

namespace {  // internal linkage: no other arch's TU can pick up these instantiations

using Arch = STRIDER_KERNEL_ARCH;
using B = Simd<Arch>::Batch;
constexpr int64_t V = B::size;

// The GEMM's register tile: tile_rows tiles (broadcast) x gemm_vectors vectors of output channels.
constexpr int tile_rows = 6;
constexpr int gemm_vectors = Simd<Arch>::registers == 32 ? 4 : 2;  // 24 or 12 accumulators
constexpr int64_t block_channels = gemm_vectors * V;                // output channels per block

// The task's scratch, carved from one buffer (sizes in winograd_scratch_floats).
struct Scratch {
  float* transformed;  // [36][in_per_group][stride]: the input tiles' transforms, t along a row
  int64_t stride;      // tiles + slack for the last vector
  float* products;     // [tiles][36][block_channels]: one channel block's products
  float* window;       // [6 rows][4 phases][width]: input columns 4u + phase of a tile row
  int64_t width;
  float* line;         // [4·width + 1]: one input row's columns, then its even and odd halves
  float* rows;         // [6][6][V]: the input transform between its two passes
};

// The task's input columns: lattice column 4·tx0 + q reads input column columns[q] (-1: a zero);
// q in [inside_begin, inside_end) reads inside the input, dilation_w apart.
struct Columns {
  const int64_t* index;
  int64_t inside_begin, inside_end;
};

// B^T x for the six values of one axis of a 6x6 input tile.
inline void input_transform(const B d[6], B o[6]) {
  const B four(4.0f), five(5.0f), two(2.0f);
  o[0] = fma(four, d[0], d[4]) - five * d[2];
  o[1] = (d[3] + d[4]) - four * (d[1] + d[2]);
  o[2] = fma(four, d[1] - d[2], d[4] - d[3]);
  o[3] = fma(two, d[3] - d[1], d[4] - d[2]);
  o[4] = fma(two, d[1] - d[3], d[4] - d[2]);
  o[5] = fma(four, d[1], d[5]) - five * d[3];
}

// A^T m for the six products of one axis: four outputs.
inline void output_transform(const B m[6], B o[4]) {
  const B a = m[1] + m[2], b = m[1] - m[2], c = m[3] + m[4], d = m[3] - m[4];
  o[0] = m[0] + a + c;
  o[1] = fma(B(2.0f), d, b);
  o[2] = fma(B(4.0f), c, a);
  o[3] = fma(B(8.0f), d, b) + m[5];
}

// Where one task's tiles lie: tile (row r, column u) is lattice tile (ty0 + r, tx0 + u), whose output
// (i, j) is output pixel (py + dh·(4·(ty0 + r) + i), px + dw·(4·(tx0 + u) + j)).
struct Tiles {
  int64_t n, g, py, px, ty0, tx0, rows, cols;
  int64_t lattice_h, lattice_w;  // this sub-lattice's output size
  int64_t count() const { return rows * cols; }
};

// Copies an input row's task columns into s.line, then splits them into s.window's four phases mod 4:
// tile u's column k is then phase k % 4 at index u + k / 4, so V tiles read contiguous vectors.
void split_row(const float* src, int64_t dilation, const Columns& columns, const Scratch& s, float* window) {
  const int64_t n = 4 * s.width;
  for (int64_t q = 0; q < columns.inside_begin; ++q) s.line[q] = columns.index[q] >= 0 ? src[columns.index[q]] : 0.0f;
  for (int64_t q = columns.inside_end; q < n; ++q) s.line[q] = columns.index[q] >= 0 ? src[columns.index[q]] : 0.0f;
  const int64_t inside = columns.inside_end - columns.inside_begin;
  if (inside > 0) {
    const float* from = src + columns.index[columns.inside_begin];
    float* to = s.line + columns.inside_begin;
    if (dilation == 1) std::copy(from, from + inside, to);
    else if (dilation == 2) copy_even(from, to, inside);
    else for (int64_t q = 0; q < inside; ++q) to[q] = from[q * dilation];
  }
  s.line[n] = 0.0f;  // read by the odd half's last vector, into a dropped lane
  float* halves = s.line + n + 1;  // evens, then odds
  copy_even(s.line, halves, n / 2);
  copy_even(s.line + 1, halves + n / 2, n / 2);
  copy_even(halves, window, s.width);                           // phase 0
  copy_even(halves + n / 2, window + s.width, s.width);         // phase 1
  copy_even(halves + 1, window + 2 * s.width, s.width);         // phase 2
  copy_even(halves + n / 2 + 1, window + 3 * s.width, s.width);  // phase 3
}

// Transforms every input channel of the task's tiles into s.transformed.
void transform_inputs(const ConvPass& p, const WinogradWeights& w, const Tiles& t, const Scratch& s,
                      const Columns& columns) {
  const int64_t plane = p.in_h * p.in_w;
  const float* first = p.input + (t.n * w.groups + t.g) * w.in_per_group * plane;
  for (int64_t c = 0; c < w.in_per_group; ++c) {
    for (int64_t r = 0; r < t.rows; ++r) {
      for (int64_t k = 0; k < 6; ++k) {
        const int64_t ih =
            padded_source_index(t.py + p.dilation_h * (4 * (t.ty0 + r) + k) - p.pad_top, p.in_h, p.padding_mode);
        float* row = s.window + k * 4 * s.width;
        if (ih < 0 || ih >= p.in_h) std::fill(row, row + 4 * s.width, 0.0f);
        else split_row(first + c * plane + ih * p.in_w, p.dilation_w, columns, s, row);
      }
      for (int64_t u = 0; u < t.cols; u += V) {
        for (int64_t k = 0; k < 6; ++k) {
          const float* row = s.window + k * 4 * s.width + u;
          const B d[6] = {B::load_unaligned(row), B::load_unaligned(row + s.width),
                          B::load_unaligned(row + 2 * s.width), B::load_unaligned(row + 3 * s.width),
                          B::load_unaligned(row + 1), B::load_unaligned(row + s.width + 1)};
          B e[6];
          input_transform(d, e);
          for (int q = 0; q < 6; ++q) e[q].store_unaligned(s.rows + (k * 6 + q) * V);
        }
        // Vectors past the row's last tile land on the next row's first tiles, which overwrite them.
        float* out = s.transformed + c * s.stride + r * t.cols + u;
        for (int q = 0; q < 6; ++q) {
          B e[6], v[6];
          for (int k = 0; k < 6; ++k) e[k] = B::load_unaligned(s.rows + (k * 6 + q) * V);
          input_transform(e, v);
          for (int k = 0; k < 6; ++k) v[k].store_unaligned(out + (k * 6 + q) * w.in_per_group * s.stride);
        }
      }
    }
  }
}

// products[t][0 .. NR·V) (tiles 36·block_channels apart) = sum_c transformed[c][t] · u[c][0 .. NR·V) for Tr tiles.
template <int Tr, int NR>
void gemm_tile(const float* transformed, int64_t stride, const float* u, int64_t u_stride, int64_t channels,
               float* products) {
  B acc[Tr][NR];
  for (int t = 0; t < Tr; ++t)
    for (int r = 0; r < NR; ++r) acc[t][r] = B(0.0f);
  for (int64_t c = 0; c < channels; ++c) {
    B wv[NR];
    for (int r = 0; r < NR; ++r) wv[r] = B::load_unaligned(u + c * u_stride + r * V);
    const float* x = transformed + c * stride;
    for (int t = 0; t < Tr; ++t) {
      const B xt(x[t]);
      for (int r = 0; r < NR; ++r) acc[t][r] = fma(xt, wv[r], acc[t][r]);
    }
  }
  for (int t = 0; t < Tr; ++t)
    for (int r = 0; r < NR; ++r) acc[t][r].store_unaligned(products + t * 36 * block_channels + r * V);
}

// The same for tr <= Tr tiles and nr <= NR vectors.
template <int Tr, int NR>
void gemm_edge(int tr, int nr, const float* transformed, int64_t stride, const float* u, int64_t u_stride,
               int64_t channels, float* products) {
  if constexpr (Tr > 1) {
    if (tr < Tr) return gemm_edge<Tr - 1, NR>(tr, nr, transformed, stride, u, u_stride, channels, products);
  }
  if constexpr (NR > 1) {
    if (nr < NR) return gemm_edge<Tr, NR - 1>(tr, nr, transformed, stride, u, u_stride, channels, products);
  }
  gemm_tile<Tr, NR>(transformed, stride, u, u_stride, channels, products);
}

// Output channels [k0, k0 + vectors·V) of every tile: 36 GEMMs, then each tile's output transform with
// bias and epilogue, stored into the output.
void multiply_and_store(const ConvPass& p, const WinogradWeights& w, const Tiles& t, const Scratch& s, int64_t k0,
                        int vectors) {
  const int64_t count = t.count(), channels = w.in_per_group;
  for (int64_t point = 0; point < 36; ++point) {
    const float* u = w.data.data() + ((t.g * 36 + point) * channels) * w.padded_out + k0;
    const float* transformed = s.transformed + point * channels * s.stride;
    float* products = s.products + point * block_channels;
    for (int64_t t0 = 0; t0 < count; t0 += tile_rows)
      gemm_edge<tile_rows, gemm_vectors>(static_cast<int>(std::min<int64_t>(tile_rows, count - t0)), vectors,
                                         transformed + t0, s.stride, u, w.padded_out, channels,
                                         products + t0 * 36 * block_channels);
  }
  const EpilogueTarget epilogue{&p.epilogue, p.output, p.residual};
  for (int v = 0; v < vectors; ++v) {
    const int64_t first = k0 + v * V, valid = std::min<int64_t>(V, w.out_per_group - first);
    float bias_lanes[V] = {};
    for (int64_t l = 0; l < valid && p.bias; ++l) bias_lanes[l] = p.bias[t.g * w.out_per_group + first + l];
    const B bias = B::load_unaligned(bias_lanes);
    const int64_t channel = t.g * w.out_per_group + first;
    float* out_first = p.output + t.n * p.out_batch_stride + channel * p.out_channel_stride;
    for (int64_t tile = 0; tile < count; ++tile) {
      const int64_t ti = 4 * (t.ty0 + tile / t.cols), tj = 4 * (t.tx0 + tile % t.cols);
      const int64_t rows = std::min<int64_t>(4, t.lattice_h - ti), cols = std::min<int64_t>(4, t.lattice_w - tj);
      float* out = out_first + (t.py + p.dilation_h * ti) * p.out_row_stride +
                   (t.px + p.dilation_w * tj) * p.out_col_stride;
      const int64_t row_step = p.dilation_h * p.out_row_stride, col_step = p.dilation_w * p.out_col_stride;
      const float* m = s.products + tile * 36 * block_channels + v * V;
      B z[4][6];  // A^T along the rows, per column
      for (int q = 0; q < 6; ++q) {
        B col[6];
        for (int r = 0; r < 6; ++r) col[r] = B::load_unaligned(m + (r * 6 + q) * block_channels);
        B o[4];
        output_transform(col, o);
        for (int i = 0; i < 4; ++i) z[i][q] = o[i];
      }
      // Lanes are output channels: the epilogue is applied across them, once per output position.
      float y[4][4][V];
      for (int i = 0; i < 4; ++i) {
        B o[4];
        output_transform(z[i], o);
        for (int j = 0; j < 4; ++j) {
          B value = o[j] + bias;
          if (!p.epilogue.empty() && i < rows && j < cols)
            value = apply_epilogue_across_channels(value, epilogue, channel, out + i * row_step + j * col_step,
                                                   p.out_channel_stride, valid);
          value.store_unaligned(y[i][j]);
        }
      }
      for (int64_t l = 0; l < valid; ++l)
        for (int64_t i = 0; i < rows; ++i)
          for (int64_t j = 0; j < cols; ++j) out[l * p.out_channel_stride + i * row_step + j * col_step] = y[i][j][l];
    }
  }
}

}  // namespace

template <class A>
void run_winograd_tasks(const ConvPass& p, const WinogradWeights& w, const WinogradGeometry& geo, int64_t begin,
                        int64_t end, float* scratch, int64_t* columns) noexcept {
  static_assert(std::is_same_v<A, Arch>, "this TU holds the kernels of one arch");
  for (int64_t task = begin; task < end; ++task) {
    // The sub-lattices vary fastest: consecutive tasks then read the same band of input rows, from cache.
    Tiles t{};
    t.px = task % geo.lattices_w;
    int64_t rest = task / geo.lattices_w;
    t.py = rest % geo.lattices_h;
    rest /= geo.lattices_h;
    const int64_t cb = rest % geo.col_blocks, rb = rest / geo.col_blocks % geo.row_blocks;
    rest /= geo.col_blocks * geo.row_blocks;
    t.g = rest % w.groups;
    t.n = rest / w.groups;
    t.lattice_h = ceil_div(p.out_h - t.py, p.dilation_h);
    t.lattice_w = ceil_div(p.out_w - t.px, p.dilation_w);
    t.ty0 = rb * geo.task_rows;
    t.tx0 = cb * geo.row_tiles;
    t.rows = std::min(geo.task_rows, ceil_div(t.lattice_h, 4) - t.ty0);
    t.cols = std::min(geo.row_tiles, ceil_div(t.lattice_w, 4) - t.tx0);
    if (t.rows <= 0 || t.cols <= 0) continue;  // a smaller sub-lattice's missing last tiles

    Scratch s{};
    s.stride = t.count() + 16;
    s.transformed = scratch;
    s.products = s.transformed + 36 * w.in_per_group * s.stride;
    s.width = (t.cols + V - 1) / V * V + 1;
    s.window = s.products + 36 * t.count() * block_channels;
    s.line = s.window + 24 * s.width;
    s.rows = s.line + 8 * s.width + 2;
    Columns cols{columns, 0, 0};
    for (int64_t q = 0; q < 4 * s.width; ++q) {
      const int64_t real = t.px + p.dilation_w * (4 * t.tx0 + q) - p.pad_left;
      const int64_t col = padded_source_index(real, p.in_w, p.padding_mode);
      columns[q] = col >= 0 && col < p.in_w ? col : -1;  // past the padding's reach: a zero
      if (real >= 0 && real < p.in_w) {
        if (cols.inside_end == 0) cols.inside_begin = q;
        cols.inside_end = q + 1;
      }
    }
    transform_inputs(p, w, t, s, cols);
    for (int64_t k0 = 0; k0 < w.out_per_group; k0 += block_channels)
      multiply_and_store(p, w, t, s, k0,
                         static_cast<int>(std::min<int64_t>(gemm_vectors, ceil_div(w.out_per_group - k0, V))));
  }
}

template void run_winograd_tasks<Arch>(const ConvPass&, const WinogradWeights&, const WinogradGeometry&, int64_t,
                                       int64_t, float*, int64_t*) noexcept;

}  // namespace strider::kernels
