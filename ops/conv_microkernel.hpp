#pragma once
// Internal to the kernel TUs (ops/*_simd.cpp): the convolution's GEMM over panel rows, a register tile
// of output channels (broadcast weights) by columns (vector loads), shared by the direct kernel
// (ops/conv_kernel_simd.cpp) and the row-Winograd kernel (ops/row_winograd_kernel_simd.cpp). In an
// anonymous namespace, so each arch's TU keeps its own copy, compiled with its own flags.
#include <algorithm>
#include <cstdint>

#include "../core/simd_batch.hpp"
#include "conv_kernel.hpp"
#include "epilogue_simd.hpp"

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
// 8 x 1 issued 9 per 8 and was load-bound (AVX2, against oneDNN's best layout: c1 0.66 -> 0.84, c10
// 0.72 -> 0.90; the upsampler 1.17x faster end to end).
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

// Where a slice's sums go. A pass over K in chunks (see k_chunk) keeps the sums between chunks in
// `partial` (Rows rows of tile_columns floats, indexed by column), exactly, so the result is the same bits
// as one pass: only the last chunk adds the bias, applies the epilogue and stores to the output.
struct SliceTarget {
  const float* weights;  // the first channel's, at the chunk's first tap, in a block packed Block wide
  float* out;
  int64_t channel_stride, col_stride, channels;
  const float* bias;
  int64_t cols;  // of the tile
  const EpilogueTarget* epilogue;
  int64_t first_channel;
  float* partial;
  bool first_chunk, last_chunk;
  // Two stride-2 column phases of a ConvTranspose2d row stored together (interleaves): the first leaves
  // its sums in `pair` (Rows rows of tile_columns floats, as `partial`); the second, given the first's
  // `out`, stores both, contiguously.
  float* pair;
  bool pair_second;
};

// The general store of a register tile staged in `tile` (rows x vectors, V floats each): output channels
// t.first_channel .. + rows, columns j .. of which those below t.cols are stored, col_stride apart, with
// the bias and the chain EpilogueTarget inlines; for the second of a pair of column phases, interleaved
// with the first's tile. t's fields are read once: a store through the output could alias them.
[[gnu::noinline]] void store_tile(const float* tile, int64_t rows, int64_t vectors, int64_t j, const SliceTarget& t) {
  float* const pair = t.pair;
  const EpilogueTarget& e = *t.epilogue;
  const bool inlined = e.inlined && !e.epilogue->empty();
  const int64_t channel_stride = t.channel_stride, col_stride = t.col_stride, cols = t.cols - j;
  const int64_t first_channel = t.first_channel;
  const float* const bias = t.bias;
  float* const out = t.out + j * col_stride;
  const auto put = [&](B v, int64_t m, float* at, int64_t stride, int64_t valid) {
    if (inlined) v = apply_epilogue(v, e, first_channel + m, at, stride, valid);
    store_lanes(v, at, stride, valid);
  };
  for (int64_t m = 0; m < rows; ++m) {
    const B b(bias ? bias[m] : 0.0f);
    for (int64_t r = 0; r < vectors; ++r) {
      const B v = B::load_unaligned(tile + (m * vectors + r) * V) + b;
      if (pair == nullptr) {
        put(v, m, out + m * channel_stride + r * V * col_stride, col_stride, cols - r * V);
        continue;
      }
      const B first = B::load_unaligned(pair + m * tile_columns + j + r * V) + b;
      B low, high;
      if constexpr (has_swizzles<B>) {
        interleave(first, v, low, high);
      } else {  // SSE4.2 and the scalar level: through memory
        float firsts[V], seconds[V], both[2 * V];
        first.store_unaligned(firsts);
        v.store_unaligned(seconds);
        for (int64_t l = 0; l < V; ++l) both[2 * l] = firsts[l], both[2 * l + 1] = seconds[l];
        low = B::load_unaligned(both), high = B::load_unaligned(both + V);
      }
      float* at = out + m * channel_stride + 2 * r * V;
      const int64_t valid = 2 * (cols - r * V);
      put(low, m, at, 1, valid);
      if (valid > V) put(high, m, at + V, 1, valid - V);
    }
  }
}

// Rows x (NR·V) outputs: `Rows` channels of a block packed `Block` wide, columns j .. j + NR·V of the
// task's tile, of which those below t.cols are stored (the rest read panel slack and are dropped).
// Without Chunked, K is one chunk (most layers) and the partial sums' branches compile away. Not inlined:
// inlined into run_blocks with the epilogue's residual add, it kept its accumulators on the stack (t4 on
// AVX2 2x slower).
template <int Block, int Rows, int NR, bool Chunked>
[[gnu::noinline]] void microkernel(const float* panel, const int64_t* offsets, int64_t k_count, int64_t j,
                                  const SliceTarget& t) {
  // Unrolled at compile time throughout (also the stores), or the compiler keeps acc in memory.
  B acc[Rows][NR];
  if (!Chunked || t.first_chunk)
    unroll<Rows>([&](auto m) { unroll<NR>([&](auto r) { acc[m][r] = B(0.0f); }); });
  else
    unroll<Rows>([&](auto m) {
      unroll<NR>([&](auto r) { acc[m][r] = B::load_unaligned(t.partial + m * tile_columns + j + r * V); });
    });
  // Two taps per iteration halve the loop's own instructions (AVX2, 2 threads: t4 1.92 -> 1.81 ms, c7
  // 2.59 -> 2.46); four gave the same.
#pragma GCC unroll 2
  for (int64_t k = 0; k < k_count; ++k) {
    const float* column = panel + offsets[k] + j;
    const float* wk = t.weights + k * Block;
    if constexpr (Rows * NR + NR + 1 <= Simd<Arch>::registers) {  // NR loads, a broadcast per channel
      B x[NR];
      unroll<NR>([&](auto r) { x[r] = B::load_unaligned(column + r * V); });
      unroll<Rows>([&](auto m) {
        const B wm(wk[m]);
        unroll<NR>([&](auto r) { acc[m][r] = fma(wm, x[r], acc[m][r]); });
      });
    } else {  // the Rows broadcasts first, then a load per vector: Rows·NR + Rows + 1 registers
      B w[Rows];
      unroll<Rows>([&](auto m) { w[m] = B(wk[m]); });
      unroll<NR>([&](auto r) {
        const B x = B::load_unaligned(column + r * V);
        unroll<Rows>([&](auto m) { acc[m][r] = fma(w[m], x, acc[m][r]); });
      });
    }
  }
  if (Chunked && !t.last_chunk) {
    unroll<Rows>([&](auto m) {
      unroll<NR>([&](auto r) { acc[m][r].store_unaligned(t.partial + m * tile_columns + j + r * V); });
    });
    return;
  }
  // The stores apply the chains EpilogueTarget inlines; run_blocks walks any other over the block's row
  // once it is stored. The lambdas are forced inline: left out of line, they took the accumulators'
  // address, and GCC kept the tile on the stack through the tap loop (t4 2x slower).
  const EpilogueTarget& e = *t.epilogue;
  const bool inlined = e.inlined && !e.epilogue->empty();
  if (t.col_stride == 1 && t.channels >= Rows && t.cols - j >= NR * V) {
    // The common whole tile, straight from the registers, with t's and the epilogue's fields read once (a
    // store through `out` could alias them). On 2 AVX2 threads: c1 0.94-0.97 -> 0.72-0.80 ms; FSRCNN's
    // 1x1 12 -> 56 with its PReLU 4.1-6.2 -> 1.3-1.8 ms (the convolution alone: 0.9-1.8 ms on that noisy
    // machine).
    float* const out = t.out + j;
    const int64_t stride = t.channel_stride;
    const float* const bias = t.bias;
    const float* const residual = inlined && e.add_residual ? e.residual + (out - e.output) : nullptr;
    using A = Activation::Kind;
    const A kind = inlined && e.piecewise ? e.piecewise->kind : A::identity;
    const bool affine = inlined && e.affine;
    // LeakyReLU's or PReLU's slopes, the affine's scales and shifts: gathered per tile, only for a chain (for
    // every tile they took c1, 27 products per output, from 0.30 to 0.36-0.42 ms).
    float slopes[Rows] = {}, scales[Rows] = {}, shifts[Rows] = {};
    for (int m = 0; m < Rows && inlined; ++m) {
      const InlinedLanes<float> l = inlined_lanes<float>(e, t.first_channel + m);
      slopes[m] = kind == A::leaky_relu ? e.piecewise->alpha : l.slopes;
      scales[m] = l.scale, shifts[m] = l.shift;
    }
    unroll<Rows>([&](auto m) __attribute__((always_inline)) {
      const B b(bias ? bias[m] : 0.0f), slope(slopes[m]);
      unroll<NR>([&](auto r) __attribute__((always_inline)) {
        B v = acc[m][r] + b;
        if (kind == A::relu) v = activate<A::relu>(v, *e.piecewise, 0.0f);
        else if (kind != A::identity) v = prelu_lanes(v, slope);
        if (affine) v = fma(v, B(scales[m]), B(shifts[m]));
        if (residual) v = v + B::load_unaligned(residual + m * stride + r * V);
        v.store_unaligned(out + m * stride + r * V);
      });
    });
  } else {
    // Edge tiles and strided phases: the tile staged in memory, then stored by one loop (store_tile);
    // the first of a pair of column phases stages its tile where the second takes it. Unrolled here with
    // its epilogue, the store more than doubled the file's compile time under the sanitizers (AVX-512:
    // about 36 CPU-minutes against 15).
    alignas(64) float staged[Rows * NR * V];
    const bool kept = t.pair != nullptr && !t.pair_second;
    float* const to = kept ? t.pair + j : staged;
    const int64_t pitch = kept ? tile_columns : NR * V;
    unroll<Rows>([&](auto m) __attribute__((always_inline)) {
      unroll<NR>([&](auto r) __attribute__((always_inline)) { acc[m][r].store_unaligned(to + m * pitch + r * V); });
    });
    if (kept) return;
    store_tile(staged, std::min<int64_t>(Rows, t.channels), NR, j, t);
  }
}

// The columns [j, cols) left after the full-width microkernels: as few vectors as cover them, so an
// output width that is not a multiple of NR·V wastes at most one vector's lanes.
template <int Block, int Rows, int NR, bool Chunked>
void tail_microkernel(int64_t vectors, const float* panel, const int64_t* offsets, int64_t k_count, int64_t j,
                      const SliceTarget& t) {
  if constexpr (NR > 1) {
    if (vectors < NR) return tail_microkernel<Block, Rows, NR - 1, Chunked>(vectors, panel, offsets, k_count, j, t);
  }
  microkernel<Block, Rows, NR, Chunked>(panel, offsets, k_count, j, t);
}

// A pass's constants over a task's rows.
struct PassRun {
  const ConvPass& pass;
  EpilogueTarget epilogue;
  const int64_t* offsets;  // the pass's taps' panel offsets
  int64_t chunk;           // k_chunk
};
// One output row of a task: where its blocks go (the first block's first channel; for a pair of column
// phases, the first's), the panel row it reads, its columns, and the thread's scratch for partial sums and
// pairs. With `resume`, the sums start from `partial` (one block's, as SliceTarget::partial): the row
// Winograd's transformed products, to which the odd kernel rows' are added.
struct RowTarget {
  float* out;
  const float* panel;
  int64_t cols;
  float* partial;
  float* pair;
  bool resume = false;
};

// Blocks [first_block, end_block) of r's group g over a row; with row.pair, r is the first or, with
// pair_second, the second column phase of a pair.
template <int Block, bool Chunked>
void run_blocks(const PassRun& r, int64_t g, int64_t first_block, int64_t end_block, const RowTarget& row,
                bool pair_second) {
  const ConvPass& p = r.pass;
  const EpilogueTarget& epilogue = r.epilogue;
  const int64_t chunk = r.chunk, cols = row.cols;
  const float* const panel = row.panel;
  constexpr int Rows = register_tile(Block).rows, NR = register_tile(Block).nr;
  constexpr int max_slices = (Block + Rows - 1) / Rows;
  const PackedConvWeights& w = *p.weights;
  const int64_t k = w.k();
  int64_t full = cols / (NR * V) * (NR * V);
  // A one-vector tail runs at a worse load:FMA ratio than any other width: with NR >= 3 the last full
  // tile and that tail become two tiles of (NR + 1) / 2 and NR / 2 vectors instead.
  const bool split_last = NR >= 3 && full > 0 && (cols - full + V - 1) / V == 1;
  if (split_last) full -= NR * V;
  for (int64_t blk = first_block; blk < end_block; ++blk) {
    for (int64_t k0 = 0; k0 == 0 || k0 < k; k0 += chunk) {  // k = 0 (a tapless phase) still stores the bias
      const int64_t k_count = std::min(chunk, k - k0);
      const float* block_weights = w.data.data() + ((g * w.blocks() + blk) * k + k0) * Block;
      const auto slice = [&](int64_t first) -> SliceTarget {
        float* const out = row.out + (first - first_block * Block) * p.out_channel_stride;
        return {block_weights + first % Block, out, p.out_channel_stride, p.out_col_stride, w.out_per_group - first,
                p.bias ? p.bias + g * w.out_per_group + first : nullptr, cols, &epilogue, g * w.out_per_group + first,
                row.partial + first % Block * tile_columns, k0 == 0 && !row.resume, k0 + k_count == k,
                row.pair ? row.pair + first % Block * tile_columns : nullptr, pair_second};
      };
      const int64_t block_end = std::min<int64_t>((blk + 1) * Block, w.out_per_group);
      const int64_t* chunk_offsets = r.offsets + k0;
      if constexpr (Simd<Arch>::registers == 16 && Block == 8) {
        // A tile of 4 vectors (ConvTranspose2d's 32-column phase rows on AVX2) would run as 4 x 2 tiles of
        // 8 accumulators; slices of 3, 3 and 2 channels over the 4 vectors keep 12, 12 and 8.
        if ((cols + V - 1) / V == 4) {
          for (int64_t first = blk * Block; first < block_end; first += 3) {
            if (first % Block < 6) microkernel<Block, 3, 4, Chunked>(panel, chunk_offsets, k_count, 0, slice(first));
            else microkernel<Block, 2, 4, Chunked>(panel, chunk_offsets, k_count, 0, slice(first));
          }
          continue;
        }
      }
      // The block's channels in slices of Rows, each slice over the same panel columns while they are in L1.
      SliceTarget slices[max_slices];
      int count = 0;
      for (int64_t first = blk * Block; first < block_end; first += Rows) slices[count++] = slice(first);
      for (int64_t j = 0; j < full; j += NR * V)
        for (int s = 0; s < count; ++s)
          microkernel<Block, Rows, NR, Chunked>(panel, chunk_offsets, k_count, j, slices[s]);
      int64_t j = full;
      if (split_last) {
        for (int s = 0; s < count; ++s)
          microkernel<Block, Rows, (NR + 1) / 2, Chunked>(panel, chunk_offsets, k_count, j, slices[s]);
        j += (NR + 1) / 2 * V;
      }
      if (j < cols)
        for (int s = 0; s < count; ++s)
          tail_microkernel<Block, Rows, NR, Chunked>((cols - j + V - 1) / V, panel, chunk_offsets, k_count, j,
                                                     slices[s]);
    }
    // The chains the stores do not inline, on the block's row (a pair's second phase: both, interleaved).
    if (!epilogue.inlined && !(row.pair && !pair_second)) {
      const int64_t first = g * w.out_per_group + blk * Block;
      apply_epilogue_block<B>(epilogue, first, row.out + (blk - first_block) * Block * p.out_channel_stride,
                              p.out_channel_stride, std::min<int64_t>(Block, w.out_per_group - blk * Block),
                              row.pair ? 2 * cols : cols, row.pair ? 1 : p.out_col_stride);
    }
  }
}

// run_blocks at r's block width.
void run_blocks(const PassRun& r, int64_t g, int64_t first_block, int64_t end_block, const RowTarget& row,
                bool pair_second = false) {
  const auto run = [&]<int Block>() {
    const bool chunked = r.chunk < r.pass.weights->k() || row.resume;
    if (chunked) run_blocks<Block, true>(r, g, first_block, end_block, row, pair_second);
    else run_blocks<Block, false>(r, g, first_block, end_block, row, pair_second);
  };
  switch (r.pass.weights->block) {
    case 8: return run.template operator()<8>();
    case 6: return run.template operator()<6>();
    case 4: return run.template operator()<4>();
    case 3: return run.template operator()<3>();
    case 2: return run.template operator()<2>();
    default: return run.template operator()<1>();
  }
}

}  // namespace
}  // namespace strider::kernels
