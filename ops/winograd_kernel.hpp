#pragma once
// Winograd F(4x4, 3x3) for 3x3 stride-1 convolutions: 36 multiplications per 4x4 output tile and
// channel pair instead of 144.
//
//   out = A^T [ sum_c (G w_c G^T) ⊙ (B^T d_c B) ] A     per 4x4 tile, d_c its 6x6 input window
//
// The weights' transform U = G w G^T is made once, when the weights are set. A task (image, group,
// row dilation sub-lattice, a row of up to 32 tiles or a few short rows) transforms its tiles' inputs for
// every input channel into a small buffer (vectorized across tiles), multiplies them by U as 36 small
// GEMMs (vectorized across output channels), and transforms each output tile straight into the output
// with the bias and epilogue: the transformed tiles never leave the thread's cache. A dilation-d
// convolution is d_h·d_w undilated ones, each on one sub-lattice of the input and the output.
// Every output is written by one task: results do not depend on the thread count.
//
// Rounding differs from the direct kernel's (see README, "Speed"): the transforms' coefficients reach
// 8 and 1/24, so the error bound is larger by winograd_error_factor.
#include <cstdint>

#include "../core/memory.hpp"
#include "conv_kernel.hpp"

namespace strider {

// How a Conv2d (or a ConvTranspose2d phase) computes: the measured choice, or a forced one. A forced
// winograd still falls back to direct where Winograd does not apply (not 3x3 stride 1).
enum class ConvAlgorithm { automatic, direct, winograd };

// The process-wide default of operators left at ConvAlgorithm::automatic; initially from the
// STRIDER_CONV_ALGO environment variable (auto | direct | winograd), else automatic.
ConvAlgorithm default_conv_algorithm();
void set_default_conv_algorithm(ConvAlgorithm algorithm);

namespace kernels {

// The error bound. Every transformed value is a sum of terms whose absolute values the same transform with
// |A^T|, |G|, |B^T| bounds; with |x| <= M_c in channel c and |w| <= W_{o,c}, the 1-D factors are
// |A^T|·(|G|·1 ⊙ |B^T|·1) = (16, 17, 24, 48) for the four output rows, so
//   |out - exact| <= gamma_{C + 14} · (48² · Σ_c M_c·W_{o,c} + |bias_o|)
// (C input channels per group; 14 is the depth of the transforms: 6 in, 1 for U's rounding, 6 out, 1
// for the bias). For terms of equal magnitude that is 48²/9 = 256 times the direct sum's bound.
constexpr double winograd_amplification = 48.0 * 48.0;

// U = G w G^T for every (group, point, input channel, output channel): [g][36][in_per_group][padded_out],
// padded_out a multiple of 16 (every level's vector width divides it) with zeros past out_per_group.
struct WinogradWeights {
  int64_t groups = 1, in_per_group = 0, out_per_group = 0, padded_out = 0;
  detail::LineVector<float> data;  // loaded a vector of output channels at a time
};

// Transforms weight(o, c, a, b) (3x3) for global output channel o and in-group input channel c,
// in double, rounded once.
template <class WeightAt>
WinogradWeights transform_winograd_weights(int64_t groups, int64_t in_per_group, int64_t out_per_group,
                                           WeightAt weight) {
  static constexpr double g_matrix[6][3] = {{1.0 / 4, 0, 0},           {-1.0 / 6, -1.0 / 6, -1.0 / 6},
                                            {-1.0 / 6, 1.0 / 6, -1.0 / 6}, {1.0 / 24, 1.0 / 12, 1.0 / 6},
                                            {1.0 / 24, -1.0 / 12, 1.0 / 6}, {0, 0, 1}};
  WinogradWeights u{groups, in_per_group, out_per_group, (out_per_group + 15) / 16 * 16, {}};
  u.data.assign(static_cast<std::size_t>(groups * 36 * in_per_group * u.padded_out), 0.0f);
  for (int64_t g = 0; g < groups; ++g)
    for (int64_t o = 0; o < out_per_group; ++o)
      for (int64_t c = 0; c < in_per_group; ++c) {
        double gw[6][3] = {};  // G w
        for (int r = 0; r < 6; ++r)
          for (int b = 0; b < 3; ++b)
            for (int a = 0; a < 3; ++a) gw[r][b] += g_matrix[r][a] * weight(g * out_per_group + o, c, a, b);
        for (int r = 0; r < 6; ++r)
          for (int s = 0; s < 6; ++s) {
            double v = 0;
            for (int b = 0; b < 3; ++b) v += gw[r][b] * g_matrix[s][b];
            u.data[static_cast<std::size_t>(((g * 36 + r * 6 + s) * in_per_group + c) * u.padded_out + o)] =
                static_cast<float>(v);
          }
      }
  return u;
}

// Whether `algorithm` (resolved against the process default) runs this pass with Winograd: 3x3 taps,
// stride 1, and for automatic enough channels and tiles to beat the direct kernel (measured).
bool use_winograd(ConvAlgorithm algorithm, const ConvPass& pass);

// Runs the pass (pass.weights is ignored; stride must be 1) with Winograd weights w, in parallel.
void run_winograd_pass(const ConvPass& pass, const WinogradWeights& w);

// Tile geometry shared by the arch-neutral and arch-specific halves. A task takes one row sub-lattice and
// every column sub-lattice: a row of tiles interleaves them, tile T of a row being tile T / lattices_w of
// sub-lattice T % lattices_w, so that a dilated layer's narrow sub-lattices still fill the vectors and a
// task uses every float of the input lines it reads.
struct WinogradGeometry {
  int64_t lattices_h, lattices_w;  // dilation sub-lattices
  int64_t tiles_h, tiles_w;        // 4x4 tiles of the largest sub-lattice (the first)
  int64_t row_tiles;               // tiles per task row: tiles_w · lattices_w, or about 32 when more
  int64_t task_rows;               // tile rows per task
  int64_t col_blocks, row_blocks;
  int64_t tiles() const { return row_tiles * task_rows; }
};
WinogradGeometry winograd_geometry(const ConvPass& pass);
// Scratch one task needs: floats, and column indices (winograd_columns).
int64_t winograd_scratch_floats(const WinogradWeights& w, const WinogradGeometry& geo);
int64_t winograd_columns(const WinogradGeometry& geo);
// Runs tasks [begin, end). Thread-free and throw-free.
template <class Arch>
void run_winograd_tasks(const ConvPass& pass, const WinogradWeights& w, const WinogradGeometry& geo, int64_t begin,
                        int64_t end, float* scratch, int64_t* columns) noexcept;

}  // namespace kernels
}  // namespace strider
