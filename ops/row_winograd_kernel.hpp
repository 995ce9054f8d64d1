#pragma once
// Winograd F(4, 2) down the rows of 3-row stride-2 convolutions (an encoder's downsampling 3x3 layer,
// shapes.json's c2). Output row i reads input rows 2i + a - pad_top for kernel rows a = 0, 1, 2. Rows
// a = 0 and 2 read one row phase, so over 4 output rows they are a 2-tap correlation down 5 rows of it:
//
//   y_q = Σ_p Aᵀ[q][p] · M_p,   M_p = Σ_{c,b} U_p[o][c][b] · (Bᵀ R)_p[c][b],   U_p = G (w[o,c,0,b], w[o,c,2,b])
//
// (R the 5 rows, transformed column by column), 5 products where the direct sum takes 8. Kernel row 1
// reads the other phase's 4 rows directly. So 4 output rows take 9 GEMMs of K = in_per_group·kernel_w
// instead of 12, 3/4 of the multiplications. Nothing changes across a row: the columns, their stride and
// padding are the direct kernel's, its panel (ops/panel.hpp) and its microkernel (ops/conv_microkernel.hpp)
// run each GEMM, and the transforms are elementwise over whole panel rows, no shuffle anywhere.
//
// A task (image, group, 4 output rows, a column tile) copies its 9 input rows into the panel, transforms
// the 5 of the pair's phase, and for each block of output channels runs the 5 GEMMs of the products into a
// small buffer and transforms them into 4 rows of sums; kernel row 1's GEMM for each output row resumes
// from its row and stores as the direct kernel stores, with the bias and epilogue. Every output is written
// by one task: results do not depend on the thread count.
//
// The points are 0, 1, -1, 2 and infinity: Aᵀ and Bᵀ are small integers, G holds 1/2, 1/3 and 1/6. Like
// every Winograd, it spreads a NaN or infinity across its tile: 4 output rows of the column.
#include <cstdint>
#include <span>
#include <vector>

#include "conv_kernel.hpp"
#include "winograd_kernel.hpp"

namespace strider::kernels {

// The error bound. The largest row sum of |Aᵀ|·(|G|·1 ⊙ |Bᵀ|·1) is 20, against 2 for the two direct
// products it replaces; with |x| <= M_c in channel c and |w| <= W_{o,c}, each column tap adds at most
// (20 + 1)·M_c·W_{o,c} through both parts, so
//   |out - exact| <= gamma_{2·C·kernel_w + 10} · (21·kernel_w · Σ_c M_c·W_{o,c} + |bias_o|)
// (C input channels per group; the products' K terms, then kernel row 1's K more on the same sums, 3 for
// each transform, 1 for U's rounding and the bias'): far inside the 3x3 Winograd's (winograd_amplification).
constexpr double row_winograd_amplification = 21.0;  // per column tap

// The GEMMs' weights: planes[0] kernel row 1 (the direct one), planes[1 + p] U_p, each packed as a
// 1 x kernel_w convolution.
struct RowWinogradWeights {
  std::vector<PackedConvWeights> planes;
};

// Transforms weight(o, c, a, b) (3 x kernel_w) for global output channel o and in-group input channel c,
// in double, rounded once.
template <class WeightAt>
RowWinogradWeights transform_row_winograd_weights(int64_t groups, int64_t in_per_group, int64_t out_per_group,
                                                  int64_t kernel_w, WeightAt weight) {
  static constexpr double g_matrix[5][2] = {{1.0 / 2, 0}, {-1.0 / 2, -1.0 / 2}, {-1.0 / 6, 1.0 / 6},
                                            {1.0 / 6, 1.0 / 3}, {0, 1}};
  RowWinogradWeights u;
  u.planes.push_back(pack_conv_weights(groups, in_per_group, out_per_group, 1, kernel_w,
                                       [&](int64_t o, int64_t c, int64_t, int64_t b) { return weight(o, c, 1, b); }));
  for (const auto& g : g_matrix)
    u.planes.push_back(pack_conv_weights(groups, in_per_group, out_per_group, 1, kernel_w,
                                         [&](int64_t o, int64_t c, int64_t, int64_t b) {
                                           return static_cast<float>(g[0] * double{weight(o, c, 0, b)} +
                                                                     g[1] * double{weight(o, c, 2, b)});
                                         }));
  return u;
}

// Whether the kernel applies: 3 kernel rows at stride 2, undilated, and at most 3 columns, undilated, at
// stride 1 or 2 (those the panel reads without gathering windows).
bool row_winograd_applies(const ConvPass& pass);
// Whether `algorithm` (resolved against the process default) runs this pass with it: where it applies, and
// for automatic where it beats the direct kernel (measured).
bool use_row_winograd(ConvAlgorithm algorithm, const ConvPass& pass);

// Runs the pass (pass.weights is ignored but for its geometry) with weights w, in parallel.
void run_row_winograd_pass(const ConvPass& pass, const RowWinogradWeights& w);

// The GEMMs' passes: the pass itself with kernel row 1's weights, then U_p's into a block's rows of sums
// (no bias or epilogue); the task geometry (a panel of 4 output rows); each GEMM's taps' offsets, kernel
// row 1's in the panel, then U_p's in a transformed plane. Shared by the arch-neutral and arch-specific
// halves.
struct RowWinogradRun {
  std::span<const ConvPass> planes;
  const PanelSource& source;
  const int64_t* offsets;
};
// Runs tasks [begin, end) with the scratch run_row_winograd_pass sizes. Thread-free and throw-free.
template <class Arch>
void run_row_winograd_tasks(const RowWinogradRun& run, int64_t begin, int64_t end, float* scratch) noexcept;

}  // namespace strider::kernels
