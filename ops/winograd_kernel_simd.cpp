// The arch-specific half of the Winograd kernel, compiled once per SIMD level (ops/CMakeLists.txt).
#include <algorithm>
#include <type_traits>

#include "../core/simd_batch.hpp"
#include "epilogue_simd.hpp"
#include "winograd_kernel.hpp"
#include "winograd_transpose.hpp"

namespace strider::kernels {

namespace {  // internal linkage: no other arch's TU can pick up these instantiations

using Arch = STRIDER_KERNEL_ARCH;
using B = Simd<Arch>::Batch;
constexpr int64_t V = B::size;
constexpr bool row_transposes = winograd_rows::has_row_transposes<B>;

// The GEMM's register tile: tile_rows tiles (broadcast) x gemm_vectors vectors of output channels.
constexpr int tile_rows = 6;
constexpr int gemm_vectors = Simd<Arch>::registers == 32 ? 4 : 2;  // 24 or 12 accumulators
constexpr int64_t block_channels = gemm_vectors * V;                // output channels per block

// The task's scratch, carved from one buffer (sizes in winograd_scratch_floats).
struct Scratch {
  float* transformed;  // [36][in_per_group][stride] (points point_stride apart): the tiles' transforms
  int64_t stride;      // tiles + slack for the last vector
  int64_t point_stride;  // in_per_group·stride + one cache line: the 36 points' rows, which a tile's
                         // transform writes together, then fall in different L1 sets
  float* products;     // [tiles][36][block_channels]: one channel block's products
  float* window;       // [4·rows + 2][4 phases][width]: input columns 4u + phase of the task's input rows
  int64_t width;
  float* rows;         // [6][6][V]: the input transform between its two passes
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

// Where one task's tiles lie: tile (row r, column u) is tile (ty0 + r, T / L) of column sub-lattice
// px = T % L, T = t0 + u and L = lattices_w (WinogradGeometry), whose output (i, j) is output pixel
// (py + dh·(4·(ty0 + r) + i), px + dw·(4·(T / L) + j)).
struct Tiles {
  int64_t n, g, py, ty0, t0, rows, cols, lattices_w;
  int64_t lattice_h;  // this row sub-lattice's output height
  int64_t count() const { return rows * cols; }
};

// The task's input columns: index[4·u + k] is the input column of position k < 4 of tile u's window (-1: a
// zero); its positions 4 and 5 are positions 0 and 1 of tile u + next, the same sub-lattice's next tile.
// [run_begin, run_end) is the longest stretch of q whose columns are consecutive, which split_row splits by
// whole vectors (the interior of an undilated layer's rows).
struct Columns {
  const int64_t* index;
  int64_t next;           // lattices_w
  int64_t first_lattice;  // the first tile's column sub-lattice
  int64_t dilation;       // the pass's dilation_w
  int64_t run_begin = 0, run_end = 0;
};

// Splits an input row's columns for `tiles` tiles into s.window's four phases: tile u's window position k
// is then phase k % 4 at index u + (k / 4)·next, so V tiles read contiguous vectors (the lanes past the
// last tile read stale values into dropped tiles). Undilated: within the run, 4·V columns at a time, split in
// registers (one indexed load per value had taken a quarter of a 32-channel layer's time); elsewhere (the
// borders) one indexed load per value.
void split_row(const float* src, const Columns& columns, const Scratch& s, int64_t tiles, float* window) {
  const auto gather = [&](int64_t u_begin, int64_t u_end) {
    for (int64_t phase = 0; phase < 4; ++phase) {
      float* to = window + phase * s.width;
      const int64_t* index = columns.index + phase;
      for (int64_t u = u_begin; u < u_end; ++u) {
        const int64_t i = index[4 * u];
        to[u] = i >= 0 ? src[i] : 0.0f;
      }
    }
  };
  if (columns.next > 1 && columns.dilation >= 4) {
    // Pieces of `next` tiles (the first up to sub-lattice 0's tile). A whole piece, the tiles of one position
    // in each of dw sub-lattices, reads 4·dw consecutive columns, dw per phase: copied as such where the
    // ends show them all inside the input (every padding mode maps consecutive positions to a run of slope
    // 1, 0 or -1, or to zeros (-1): the ends lie 4·dw - 1 apart only inside). One indexed load per value
    // took two thirds of c6's input transform (dw = 4); pieces of 2 floats (c5) cost more to copy so than
    // to index (one AVX-512 thread: 3.5 -> 4.3 ms).
    for (int64_t u = 0, end = tiles + columns.next, piece = columns.next - columns.first_lattice, n; u < end;
         u += n, piece = columns.next) {
      n = std::min(piece, end - u);
      const int64_t* index = columns.index + 4 * u;
      if (n == columns.dilation && index[0] >= 0 && index[4 * n - 1] == index[0] + 4 * n - 1) {
        const float* from = src + index[0];
        for (int64_t phase = 0; phase < 4; ++phase, from += n) {
          float* to = window + phase * s.width + u;
          int64_t l = 0;  // a call to memcpy cost more than indexed loads
          for (; l + 4 <= n; l += 4) _mm_storeu_ps(to + l, _mm_loadu_ps(from + l));
          for (; l < n; ++l) to[l] = from[l];
        }
        continue;
      }
      gather(u, u + n);
    }
    return;
  }
  int64_t u = 0;
  if constexpr (row_transposes) {
    const int64_t first = ceil_div(columns.run_begin, 4), last = std::min(columns.run_end / 4, tiles + columns.next);
    if (first + V <= last) {
      gather(0, first);
      for (u = first; u + V <= last; u += V) {
        float* const to[4] = {window + u, window + s.width + u, window + 2 * s.width + u, window + 3 * s.width + u};
        winograd_rows::split_phases<B>(src + columns.index[4 * u], to);
      }
    }
  }
  gather(u, tiles + columns.next);
}

// Transforms every input channel of the task's tiles into s.transformed.
void transform_inputs(const ConvPass& p, const WinogradWeights& w, const Tiles& t, const Scratch& s,
                      const Columns& columns) {
  const int64_t plane = p.in_h * p.in_w;
  const float* first = p.input + (t.n * w.groups + t.g) * w.in_per_group * plane;
  // The span of input columns the task reads, for prefetching.
  int64_t span_begin = p.in_w, span_end = 0;
  for (int64_t q = 0; q < 4 * (t.cols + columns.next); ++q) {
    const int64_t column = columns.index[q];
    if (column >= 0) span_begin = std::min(span_begin, column), span_end = std::max(span_end, column + 1);
  }
  for (int64_t c = 0; c < w.in_per_group; ++c) {
    // The task's 4·rows + 2 input rows, each gathered once: consecutive tile rows share two. The next
    // channel's rows are prefetched meanwhile.
    for (int64_t m = 0; m < 4 * t.rows + 2 && c + 1 < w.in_per_group; ++m) {
      const int64_t ih = t.py + p.dilation_h * (4 * t.ty0 + m) - p.pad_top;
      if (ih < 0 || ih >= p.in_h) continue;
      const float* next = first + (c + 1) * plane + ih * p.in_w;
      for (int64_t q = span_begin; q < span_end; q += 16) __builtin_prefetch(next + q);
    }
    for (int64_t m = 0; m < 4 * t.rows + 2; ++m) {
      const int64_t ih = padded_source_index(t.py + p.dilation_h * (4 * t.ty0 + m) - p.pad_top, p.in_h, p.padding_mode);
      float* row = s.window + m * 4 * s.width;
      if (ih < 0 || ih >= p.in_h) std::fill(row, row + 4 * s.width, 0.0f);
      else split_row(first + c * plane + ih * p.in_w, columns, s, t.cols, row);
    }
    for (int64_t r = 0; r < t.rows; ++r) {
      for (int64_t u = 0; u < t.cols; u += V) {
        for (int64_t k = 0; k < 6; ++k) {
          const float* row = s.window + (4 * r + k) * 4 * s.width + u;
          const B d[6] = {B::load_unaligned(row), B::load_unaligned(row + s.width),
                          B::load_unaligned(row + 2 * s.width), B::load_unaligned(row + 3 * s.width),
                          B::load_unaligned(row + columns.next), B::load_unaligned(row + s.width + columns.next)};
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
          for (int k = 0; k < 6; ++k) v[k].store_unaligned(out + (k * 6 + q) * s.point_stride);
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
    const float* transformed = s.transformed + point * s.point_stride;
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
    // Lanes are output channels here.
    const auto across = [&](const std::vector<float>& p) { return channel_lanes<B>(p, channel, valid); };
    const InlinedLanes<B> lanes = inlined_lanes_from<B>(epilogue, across);
    float* out_first = p.output + t.n * p.out_batch_stride + channel * p.out_channel_stride;
    // Tile (r, u) is tile (ty0 + r, tj / 4) of column sub-lattice px, both followed along the row: dividing
    // per tile (with a call) had cost c5 a quarter of its time.
    const int64_t first_px = t.t0 % t.lattices_w, first_tj = 4 * (t.t0 / t.lattices_w);
    for (int64_t r = 0, tile = 0; r < t.rows; ++r) {
      for (int64_t u = 0, px = first_px, tj = first_tj; u < t.cols; ++u, ++tile,
           tj += px + 1 == t.lattices_w ? 4 : 0, px = px + 1 == t.lattices_w ? 0 : px + 1) {
        const int64_t ti = 4 * (t.ty0 + r);
        const int64_t left = p.out_w - (px + p.dilation_w * tj);  // the sub-lattice's columns from the tile on
        if (left <= 0) continue;  // past a narrower sub-lattice's last tile
        const int64_t rows = std::min<int64_t>(4, t.lattice_h - ti);
        const int64_t cols = left > 3 * p.dilation_w ? 4 : (left + p.dilation_w - 1) / p.dilation_w;
        float* out = out_first + (t.py + p.dilation_h * ti) * p.out_row_stride +
                     (px + p.dilation_w * tj) * p.out_col_stride;
        const int64_t row_step = p.dilation_h * p.out_row_stride, col_step = p.dilation_w * p.out_col_stride;
        // A tile of whole rows with unit column step moves between lanes and the output's rows by 4x4
        // transposes (a vector per channel and row); the others element by element.
        const bool whole_rows = row_transposes && cols == 4 && col_step == 1;
        // The residual in lanes for the epilogue, by the same transposes (also on a dilated layer's columns):
        // gathered per output position, each vector load would stall on the scalar stores that built it.
        const bool residual_in_lanes = row_transposes && cols == 4 && p.residual != nullptr;
        float residual[4][4][V];
        if constexpr (row_transposes) {
          if (residual_in_lanes) {
            const float* from = p.residual + (out - p.output);
            // The hardware prefetcher misses these rows (V·4 of them, a quarter line per tile): the first tile
            // of a line fetches the next line of each, for the tiles 4 on (measured: -3% with the residual).
            if (tj % 16 == 0 && left > 16 * p.dilation_w)
              for (int64_t l = 0; l < valid; ++l)
                for (int64_t i = 0; i < rows; ++i)
                  __builtin_prefetch(from + l * p.out_channel_stride + i * row_step + 16);
            winograd_rows::load_rows<B>(from, rows, row_step, col_step, p.out_channel_stride, valid, residual);
          }
        }
        const float* m = s.products + tile * 36 * block_channels + v * V;
        B z[4][6];  // A^T along the rows, per column
        for (int q = 0; q < 6; ++q) {
          B col[6];
          for (int r = 0; r < 6; ++r) col[r] = B::load_unaligned(m + (r * 6 + q) * block_channels);
          B o[4];
          output_transform(col, o);
          for (int i = 0; i < 4; ++i) z[i][q] = o[i];
        }
        // The chains most CNNs end their layers with (EpilogueTarget::inlined) apply in registers as the tile
        // leaves the transform; others walk the tile after it (the walk took 4.8 % of the upsampler's time).
        const bool inline_epilogue = epilogue.inlined && (!epilogue.add_residual || residual_in_lanes);
        float y[4][4][V];
        for (int i = 0; i < 4; ++i) {
          B o[4];
          output_transform(z[i], o);
          for (int j = 0; j < 4; ++j) {
            B v = o[j] + bias;
            if (inline_epilogue && i < rows)
              v = apply_inlined(v, epilogue, lanes, [&] { return B::load_unaligned(residual[i][j]); });
            v.store_unaligned(y[i][j]);
          }
        }
        // Lanes are output channels: the epilogue is applied across them.
        if (!p.epilogue.empty() && !inline_epilogue)
          apply_epilogue_across_channels<B>(y, epilogue,
                                            {channel, valid, rows, cols, out, row_step, col_step, p.out_channel_stride},
                                            residual_in_lanes ? residual : nullptr);
        if constexpr (row_transposes) {
          if (whole_rows) {
            winograd_rows::store_rows<B>(y, rows, out, row_step, p.out_channel_stride, valid);
            continue;
          }
        }
        for (int64_t l = 0; l < valid; ++l)
          for (int64_t i = 0; i < rows; ++i)
            for (int64_t j = 0; j < cols; ++j)
              out[l * p.out_channel_stride + i * row_step + j * col_step] = y[i][j][l];
      }
    }
  }
}

}  // namespace

template <class A>
void run_winograd_tasks(const ConvPass& p, const WinogradWeights& w, const WinogradGeometry& geo, int64_t begin,
                        int64_t end, float* scratch, int64_t* columns) noexcept {
  static_assert(std::is_same_v<A, Arch>, "this TU holds the kernels of one arch");
  for (int64_t task = begin; task < end; ++task) {
    // The row sub-lattices vary fastest: consecutive tasks then read the same band of input rows, from cache.
    Tiles t{};
    t.py = task % geo.lattices_h;
    int64_t rest = task / geo.lattices_h;
    const int64_t cb = rest % geo.col_blocks, rb = rest / geo.col_blocks % geo.row_blocks;
    rest /= geo.col_blocks * geo.row_blocks;
    t.g = rest % w.groups;
    t.n = rest / w.groups;
    t.lattice_h = ceil_div(p.out_h - t.py, p.dilation_h);
    t.lattices_w = geo.lattices_w;
    t.ty0 = rb * geo.task_rows;
    t.t0 = cb * geo.row_tiles;
    t.rows = std::min(geo.task_rows, ceil_div(t.lattice_h, 4) - t.ty0);
    t.cols = std::min(geo.row_tiles, geo.tiles_w * geo.lattices_w - t.t0);
    if (t.rows <= 0) continue;  // a smaller row sub-lattice's missing last tiles

    Scratch s{};
    s.stride = t.count() + 16;
    s.transformed = scratch;
    s.point_stride = w.in_per_group * s.stride + 16;
    s.products = s.transformed + 36 * s.point_stride;
    s.width = (t.cols + V - 1) / V * V + geo.lattices_w;
    s.window = s.products + 36 * t.count() * block_channels;
    s.rows = s.window + (4 * t.rows + 2) * 4 * s.width;
    Columns split{columns, geo.lattices_w, t.t0 % geo.lattices_w, p.dilation_w};
    for (int64_t q = 0, run = 0; q < 4 * (t.cols + split.next); ++q) {  // what split_row reads
      const int64_t column = t.t0 + q / 4, px = column % geo.lattices_w;
      const int64_t col = padded_source_index(
          px + p.dilation_w * (4 * (column / geo.lattices_w) + q % 4) - p.pad_left, p.in_w, p.padding_mode);
      columns[q] = col >= 0 && col < p.in_w ? col : -1;  // past the padding's reach: a zero
      if (columns[q] < 0) run = q + 1;  // where the stretch of consecutive columns ending at q begins
      else if (q > run && columns[q] != columns[q - 1] + 1) run = q;
      if (q + 1 - run > split.run_end - split.run_begin) split.run_begin = run, split.run_end = q + 1;
    }
    transform_inputs(p, w, t, s, split);
    for (int64_t k0 = 0; k0 < w.out_per_group; k0 += block_channels)
      multiply_and_store(p, w, t, s, k0,
                         static_cast<int>(std::min<int64_t>(gemm_vectors, ceil_div(w.out_per_group - k0, V))));
  }
}

template void run_winograd_tasks<Arch>(const ConvPass&, const WinogradWeights&, const WinogradGeometry&, int64_t,
                                       int64_t, float*, int64_t*) noexcept;

}  // namespace strider::kernels
