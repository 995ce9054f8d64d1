#pragma once
// Winograd F(4, r) down the rows of stride-2 convolutions with 3, 5 or 7 kernel rows (an encoder's
// downsampling 3x3 layer, shapes.json's c2; a 7x7 stem, c10). Output row i reads input rows
// 2i + a - pad_top for kernel rows a. The r = ceil(kernel_h / 2) even kernel rows read one row phase, so
// over 4 output rows they are an r-tap correlation down r + 3 rows of it:
//
//   y_q = Σ_p Aᵀ[q][p] · M_p,   M_p = Σ_{c,b} U_p[o][c][b] · (Bᵀ R)_p[c][b],   U_p = G (w[o,c,2k,b])_k
//
// (R the r + 3 rows, transformed column by column): r + 3 products where the direct sum takes 4r. The odd
// kernel rows read the other phase directly. A 3-row kernel's 4 output rows take 9 GEMMs of
// K = in_per_group·kernel_w instead of 12, 3/4 of the multiplications; a 7-row kernel's 7 + 4·3 instead of
// 28, 0.68. Nothing changes across a row: the columns, their stride and padding are the direct kernel's,
// its panel (ops/panel.hpp) and its microkernel (ops/conv_microkernel.hpp) run each GEMM, and the
// transforms are elementwise over whole panel rows, no shuffle anywhere.
//
// A task (image, group, 4 output rows, a column tile) copies its input rows into the panel, transforms the
// r + 3 of the even phase, and for each block of output channels runs the GEMMs of the products into a
// small buffer and transforms them into 4 rows of sums; the odd kernel rows' GEMM for each output row
// resumes from its row and stores as the direct kernel stores, with the bias and epilogue. Every output is
// written by one task: results do not depend on the thread count.
//
// The points are 0, 1, -1, 2 (r = 2), then -2 (r = 3, the 3x3 Winograd's), then 1/2 (r = 4), and infinity:
// Aᵀ and Bᵀ hold small integers and halves (exact in float), G (applied to the weights, in double) the
// rest. Like every Winograd, it spreads a NaN or infinity across its tile: 4 output rows of the column.
#include <cstdint>
#include <span>
#include <vector>

#include "conv_kernel.hpp"
#include "winograd_kernel.hpp"

namespace strider::kernels {

// F(4, r): Aᵀ (4 x n), G (n x r), Bᵀ (n x n) for n = r + 3 points, and the largest row sum of
// |Aᵀ|·(|G|·1 ⊙ |Bᵀ|·1) (the direct sum's is r).
struct RowTransform {
  int taps, points;
  double at[4][7], g[7][4], bt[7][7];
  double amplification;
};
inline constexpr RowTransform row_transforms[] = {
    {2, 5,
     {{1, 1, 1, 1, 0}, {0, 1, -1, 2, 0}, {0, 1, 1, 4, 0}, {0, 1, -1, 8, 1}},
     {{1.0 / 2, 0}, {-1.0 / 2, -1.0 / 2}, {-1.0 / 6, 1.0 / 6}, {1.0 / 6, 1.0 / 3}, {0, 1}},
     {{2, -1, -2, 1, 0}, {0, -2, -1, 1, 0}, {0, 2, -3, 1, 0}, {0, -1, 0, 1, 0}, {0, 2, -1, -2, 1}},
     20},
    {3, 6,
     {{1, 1, 1, 1, 1, 0}, {0, 1, -1, 2, -2, 0}, {0, 1, 1, 4, 4, 0}, {0, 1, -1, 8, -8, 1}},
     {{1.0 / 4, 0, 0}, {-1.0 / 6, -1.0 / 6, -1.0 / 6}, {-1.0 / 6, 1.0 / 6, -1.0 / 6}, {1.0 / 24, 1.0 / 12, 1.0 / 6},
      {1.0 / 24, -1.0 / 12, 1.0 / 6}, {0, 0, 1}},
     {{4, 0, -5, 0, 1, 0}, {0, -4, -4, 1, 1, 0}, {0, 4, -4, -1, 1, 0}, {0, -2, -1, 2, 1, 0}, {0, 2, -1, -2, 1, 0},
      {0, 4, 0, -5, 0, 1}},
     48},
    {4, 7,
     {{1, 1, 1, 1, 1, 1, 0}, {0, 1, -1, 2, -2, 1.0 / 2, 0}, {0, 1, 1, 4, 4, 1.0 / 4, 0}, {0, 1, -1, 8, -8, 1.0 / 8, 1}},
     {{-1.0 / 2, 0, 0, 0}, {-1.0 / 3, -1.0 / 3, -1.0 / 3, -1.0 / 3}, {1.0 / 9, -1.0 / 9, 1.0 / 9, -1.0 / 9},
      {1.0 / 36, 1.0 / 18, 1.0 / 9, 2.0 / 9}, {-1.0 / 60, 1.0 / 30, -1.0 / 15, 2.0 / 15},
      {32.0 / 45, 16.0 / 45, 8.0 / 45, 4.0 / 45}, {0, 0, 0, 1}},
     {{-2, 4, 5.0 / 2, -5, -1.0 / 2, 1, 0}, {0, 2, -2, -9.0 / 2, 1.0 / 2, 1, 0}, {0, -2, 6, -7.0 / 2, -3.0 / 2, 1, 0},
      {0, 1, -3.0 / 2, -2, 3.0 / 2, 1, 0}, {0, -1, 5.0 / 2, 0, -5.0 / 2, 1, 0}, {0, 4, 0, -5, 0, 1, 0},
      {0, -2, 4, 5.0 / 2, -5, -1.0 / 2, 1}},
     662.0 / 9}};
// That of a kernel with kernel_h (3, 5 or 7) rows.
constexpr const RowTransform& row_transform(int64_t kernel_h) { return row_transforms[(kernel_h + 1) / 2 - 2]; }

// The error bound. With |x| <= M_c in channel c and |w| <= W_{o,c}, each column tap adds at most
// (amplification + kernel_h / 2)·M_c·W_{o,c} through both parts (the transformed even rows, the direct odd
// ones), so
//   |out - exact| <= gamma_{C·kernel_w·(1 + kernel_h / 2) + 2·points + 2}
//                    · (row_winograd_amplification(kernel_h)·kernel_w · Σ_c M_c·W_{o,c} + |bias_o|)
// (C input channels per group; the products' K terms, then the odd rows' on the same sums, a term per
// point for each transform, U's rounding and the bias): 21 for 3 rows, 50 for 5, 76.6 for 7; the 3x3
// Winograd's is 48² (winograd_amplification).
constexpr double row_winograd_amplification(int64_t kernel_h) {
  return row_transform(kernel_h).amplification + static_cast<double>(kernel_h / 2);
}

// The GEMMs' weights: planes[0] the odd kernel rows (the direct ones), packed as a kernel_h / 2 x kernel_w
// convolution, planes[1 + p] U_p, each packed as a 1 x kernel_w convolution.
struct RowWinogradWeights {
  std::vector<PackedConvWeights> planes;
};

// Transforms weight(o, c, a, b) (kernel_h x kernel_w) for global output channel o and in-group input
// channel c, in double, rounded once.
template <class WeightAt>
RowWinogradWeights transform_row_winograd_weights(int64_t groups, int64_t in_per_group, int64_t out_per_group,
                                                  int64_t kernel_h, int64_t kernel_w, WeightAt weight) {
  const RowTransform& t = row_transform(kernel_h);
  RowWinogradWeights u;
  u.planes.push_back(pack_conv_weights(groups, in_per_group, out_per_group, kernel_h / 2, kernel_w,
                                       [&](int64_t o, int64_t c, int64_t a, int64_t b) {
                                         return weight(o, c, 2 * a + 1, b);
                                       }));
  for (int p = 0; p < t.points; ++p)
    u.planes.push_back(pack_conv_weights(groups, in_per_group, out_per_group, 1, kernel_w,
                                         [&](int64_t o, int64_t c, int64_t, int64_t b) {
                                           double v = 0;
                                           for (int k = 0; k < t.taps; ++k) v += t.g[p][k] * weight(o, c, 2 * k, b);
                                           return static_cast<float>(v);
                                         }));
  return u;
}

// Whether the kernel applies: 3, 5 or 7 kernel rows at stride 2, undilated, and at most 7 columns,
// undilated, at stride 1 or 2 (those the panel reads without gathering windows).
bool row_winograd_applies(const ConvPass& pass);
// Whether `algorithm` (resolved against the process default) runs this pass with it: where it applies, and
// for automatic where it beats the direct kernel (measured).
bool use_row_winograd(ConvAlgorithm algorithm, const ConvPass& pass);

// Runs the pass (pass.weights is ignored but for its geometry) with weights w, in parallel.
void run_row_winograd_pass(const ConvPass& pass, const RowWinogradWeights& w);

// The GEMMs' passes: the pass itself with the odd kernel rows' weights, then U_p's into a block's rows of
// sums (no bias or epilogue); the task geometry (a panel of 4 output rows); each GEMM's taps' offsets, the
// odd rows' in the panel, then U_p's in a transformed plane. Shared by the arch-neutral and arch-specific
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
