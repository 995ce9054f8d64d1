#pragma once
// The epilogue (ops/epilogue.hpp) on one output vector, for the convolution kernels' stores. Internal to
// the kernel translation units (compiled per SIMD level).
//
// Contract: a kernel that has computed v = bias + the sum for `valid` outputs of one output channel,
// lanes at out, out + col_stride, out + 2·col_stride, ... (valid may exceed B::size: all lanes are
// real), calls
//     v = apply_epilogue(v, target, channel, out, col_stride, valid);
// and stores v. `target` describes the pass: its epilogue, and its output and residual base pointers
// (the residual is read at the output's offset, `out - target.output`, so it must be laid out like the
// output). channel is the global output channel. Steps run in the epilogue's order. The switch per step
// is paid once per vector; an empty epilogue costs one branch.
#include <algorithm>
#include <cstdint>
#include <type_traits>
#include <vector>

#include "../core/simd_batch.hpp"
#include "activation_simd.hpp"
#include "epilogue.hpp"

namespace strider::kernels {

// A pass's epilogue with the register chain (RegisterChain) it starts with: the kernels apply that in
// registers as they store. Any other chain takes a walk over stored outputs (apply_epilogue_block,
// apply_epilogue_across_channels): a call per vector made a microkernel spill every accumulator not yet
// stored around it, since all vector registers are the caller's to save (the upsampler spent 11 % of its
// time there).
struct EpilogueTarget : RegisterChain {
  EpilogueTarget(const Epilogue* epilogue, const float* output, const float* residual)
      : RegisterChain(epilogue ? register_chain(*epilogue) : RegisterChain{}),
        epilogue(epilogue), output(output), residual(residual) {}
  const Epilogue* epilogue;
  const float* output;    // the pass's output base
  const float* residual;  // the residual at the same base, or null
};

namespace epilogue_detail {

inline float at(const std::vector<float>& v, int64_t c) {
  return v[v.size() == 1 ? 0 : static_cast<std::size_t>(c)];
}

}  // namespace epilogue_detail

// Whether `valid` lanes col_stride apart load as a whole vector (load_whole): contiguous ones, or every
// other float (a stride-2 ConvTranspose2d phase) when the float after the last lane is in the row too.
template <class B>
[[gnu::always_inline]] inline bool loads_whole(int64_t col_stride, int64_t valid) {
  constexpr int64_t V = B::size;
  return (col_stride == 1 && valid >= V) || (has_swizzles<B> && col_stride == 2 && valid > V);
}
template <class B>
[[gnu::always_inline]] inline B load_whole(const float* p, int64_t col_stride) {
  if constexpr (has_swizzles<B>)
    if (col_stride == 2) return even_lanes<B>(p);
  return B::load_unaligned(p);
}

// The first `valid` lanes of p, col_stride apart (the rest 0): reads no value past the output's.
template <class B>
B load_lanes(const float* p, int64_t col_stride, int64_t valid) {
  constexpr int64_t V = B::size;
  if (loads_whole<B>(col_stride, valid)) return load_whole<B>(p, col_stride);
  float lanes[V] = {};
  for (int64_t l = 0; l < V && l < valid; ++l) lanes[l] = p[l * col_stride];
  return B::load_unaligned(lanes);
}

// Stores the first `valid` lanes of v (all of them when valid >= V) at p, col_stride apart.
template <class B>
void store_lanes(B v, float* p, int64_t col_stride, int64_t valid) {
  constexpr int64_t V = B::size;
  if (col_stride == 1 && valid >= V) return v.store_unaligned(p);
  float lanes[V];
  v.store_unaligned(lanes);
  if (valid >= V && col_stride == 2) {  // a whole vector of a stride-2 ConvTranspose2d phase, unrolled
    for (int64_t l = 0; l < V; ++l) p[2 * l] = lanes[l];
    return;
  }
  for (int64_t l = 0; l < V && l < valid; ++l) p[l * col_stride] = lanes[l];
}

// The chain, step by step (what apply_epilogue calls for the chains it does not inline).
template <class B>
B apply_epilogue_steps(B v, const EpilogueTarget& t, int64_t channel, const float* out, int64_t col_stride,
                       int64_t valid) {
  using Kind = Epilogue::Step::Kind;
  for (const Epilogue::Step& s : t.epilogue->steps) {
    switch (s.kind) {
      case Kind::activation: {
        const Activation& a = s.activation;
        const float slope = a.weight.empty() ? 0.0f : epilogue_detail::at(a.weight, channel);
        // The piecewise-linear ones inline: a convolution with few input channels stores a vector every
        // few FMAs, where a call and a switch per vector would cost as much as the sums.
        using A = Activation::Kind;
        if (a.kind == A::prelu) v = activate<A::prelu>(v, a, slope);
        else if (a.kind == A::relu) v = activate<A::relu>(v, a, slope);
        else if (a.kind == A::leaky_relu) v = activate<A::leaky_relu>(v, a, slope);
        else if (a.kind == A::clip) v = activate<A::clip>(v, a, slope);
        else v = activate(v, a, slope);
        break;
      }
      case Kind::affine:
        v = fma(v, B(epilogue_detail::at(s.scale, channel)), B(epilogue_detail::at(s.shift, channel)));
        break;
      case Kind::residual:
        v = v + load_lanes<B>(t.residual + (out - t.output), col_stride, valid);
        break;
    }
  }
  return v;
}

// The chain on a block of outputs just stored (still in L1 or L2), step by step: `rows` output channels
// from `channel`, channel_stride apart, `cols` outputs each, col_stride apart. The direct kernel walks a
// block of channels over a whole output row so for the chains it does not inline (ESPCN's Tanh,
// affines), where a call per vector spilled the tile's accumulators. A contiguous row's activation is
// the element-wise kernel's loop (activate_span); walked per 4 x 24 register tile, with a call per
// vector, ESPCN's conv 5x5 3 -> 64 + Tanh took 6.9 ms where the convolution alone takes 3.7 and a
// separate Tanh 1.4 (2 AVX2 threads).
template <class B>
[[gnu::noinline]] void apply_epilogue_block(const EpilogueTarget& t, int64_t channel, float* out,
                                            int64_t channel_stride, int64_t rows, int64_t cols, int64_t col_stride) {
  constexpr int64_t V = B::size;
  // The walk and its steps forced inline: out of line, the step was a call per vector (with the walk per
  // register tile, ESPCN's first layer with its Tanh 6.4 -> 6.0-6.1 ms, 2 AVX2 threads).
  const auto each = [&](auto step) __attribute__((always_inline)) {
    for (int64_t m = 0; m < rows; ++m)
      for (int64_t j = 0; j < cols; j += V) {
        float* at = out + m * channel_stride + j * col_stride;
        const int64_t valid = cols - j;
        store_lanes(step(load_lanes<B>(at, col_stride, valid), m, at, valid), at, col_stride, valid);
      }
  };
  using Kind = Epilogue::Step::Kind;
  for (const Epilogue::Step& s : t.epilogue->steps) {
    switch (s.kind) {
      case Kind::activation: {
        const Activation& a = s.activation;
        const auto slope = [&](int64_t m) {
          return a.weight.empty() ? 0.0f : epilogue_detail::at(a.weight, channel + m);
        };
        if (col_stride == 1) {
          for (int64_t m = 0; m < rows; ++m) {
            float* row = out + m * channel_stride;
            activate_span<typename B::arch_type>(a, slope(m), row, row, cols);
          }
          break;
        }
        activation_detail::with_kind(a.kind, [&](auto kind) {
          each([&](B v, int64_t m, const float*, int64_t) __attribute__((always_inline)) {
            return activate<decltype(kind)::value>(v, a, slope(m));
          });
        });
        break;
      }
      case Kind::affine:
        each([&](B v, int64_t m, const float*, int64_t) __attribute__((always_inline)) {
          return fma(v, B(epilogue_detail::at(s.scale, channel + m)), B(epilogue_detail::at(s.shift, channel + m)));
        });
        break;
      case Kind::residual:
        each([&](B v, int64_t, const float* at, int64_t valid) __attribute__((always_inline)) {
          return v + load_lanes<B>(t.residual + (at - t.output), col_stride, valid);
        });
        break;
    }
  }
}

// The per-lane parameters of the chain t inlines: a PReLU's slopes (unread for the other activations)
// and the affine's scale and shift.
template <class B>
struct InlinedLanes {
  B slopes = B(0.0f), scale = B(1.0f), shift = B(0.0f);
};

// Those of t's chain, each parameter vector (per channel, or one value) made lanes by lanes(vector).
template <class B, class Lanes>
InlinedLanes<B> inlined_lanes_from(const EpilogueTarget& t, Lanes lanes) {
  InlinedLanes<B> l;
  if (t.piecewise != nullptr && t.piecewise->kind == Activation::Kind::prelu) l.slopes = lanes(t.piecewise->weight);
  if (t.affine != nullptr) l.scale = lanes(t.affine->scale), l.shift = lanes(t.affine->shift);
  return l;
}

// Those of output channel `channel`, in every lane (lanes are one channel's outputs).
template <class B>
InlinedLanes<B> inlined_lanes(const EpilogueTarget& t, int64_t channel) {
  return inlined_lanes_from<B>(t, [&](const std::vector<float>& p) { return B(epilogue_detail::at(p, channel)); });
}

// The chain t inlines (t.inlined) on v, with its parameters for v's lanes; residual() gives the residual's
// vector where t adds one.
template <class B, class Residual>
[[gnu::always_inline]] inline B apply_inlined(B v, const EpilogueTarget& t, const InlinedLanes<B>& lanes,
                                              Residual residual) {
  using A = Activation::Kind;
  if (t.piecewise != nullptr) {
    if (t.piecewise->kind == A::relu) v = activate<A::relu>(v, *t.piecewise, 0.0f);
    else if (t.piecewise->kind == A::leaky_relu) v = activate<A::leaky_relu>(v, *t.piecewise, 0.0f);
    else v = prelu_lanes(v, lanes.slopes);
  }
  if (t.affine != nullptr) v = fma(v, lanes.scale, lanes.shift);
  if (t.add_residual) v = v + residual();
  return v;
}

template <class B>
[[gnu::always_inline]] inline B apply_epilogue(B v, const EpilogueTarget& t, int64_t channel, const float* out,
                                               int64_t col_stride, int64_t valid) {
  // Only residuals that load as whole vectors inline: the gather of partial ones would inline with them.
  if (!t.inlined || (t.add_residual && !loads_whole<B>(col_stride, valid)))
    return apply_epilogue_steps(v, t, channel, out, col_stride, valid);
  return apply_inlined(v, t, inlined_lanes<B>(t, channel),
                       [&] { return load_whole<B>(t.residual + (out - t.output), col_stride); });
}

// Per-channel parameter p for the `valid` channels from `channel` in lanes (one value: broadcast).
template <class B>
B channel_lanes(const std::vector<float>& p, int64_t channel, int64_t valid) {
  return p.size() == 1 ? B(p[0]) : load_lanes<B>(p.data() + channel, 1, valid);
}

// Where a tile of vectors whose lanes are output channels lies (Winograd's output transform holds
// channels in lanes): vector (i, j), i < rows, j < cols, holds the `valid` consecutive output channels
// from `channel` at output position out + i·row_step + j·col_step, the channels channel_stride apart.
struct ChannelTile {
  int64_t channel, valid, rows, cols;
  const float* out;
  int64_t row_step, col_step, channel_stride;
};

// The epilogue on such a tile, tile[i][j] in place, step by step: the walk and each step's per-channel
// parameters (loaded across lanes) cost once per tile, not once per output position. The residual is
// read from residual[i][j] where the caller has put it in lanes, else gathered from the output's offset.
template <class B, std::size_t N>
void apply_epilogue_across_channels(float (&tile)[N][N][B::size], const EpilogueTarget& t, const ChannelTile& at,
                                    const float (*residual)[N][B::size] = nullptr) {
  const auto each = [&](auto step) {
    for (int64_t i = 0; i < at.rows; ++i)
      for (int64_t j = 0; j < at.cols; ++j) step(B::load_unaligned(tile[i][j]), i, j).store_unaligned(tile[i][j]);
  };
  using Kind = Epilogue::Step::Kind;
  for (const Epilogue::Step& s : t.epilogue->steps) {
    switch (s.kind) {
      case Kind::activation: {
        const Activation& a = s.activation;
        if (a.weight.size() <= 1) {
          const float slope = a.weight.empty() ? 0.0f : a.weight[0];
          // The kind's switch once per tile: activate(v, a, slope) would call through it per vector.
          activation_detail::with_kind(a.kind, [&](auto kind) {
            each([&](B v, int64_t, int64_t) { return activate<decltype(kind)::value>(v, a, slope); });
          });
        } else {  // PReLU, a slope per channel
          const B slopes = channel_lanes<B>(a.weight, at.channel, at.valid);
          each([&](B v, int64_t, int64_t) { return prelu_lanes(v, slopes); });
        }
        break;
      }
      case Kind::affine: {
        const B scale = channel_lanes<B>(s.scale, at.channel, at.valid);
        const B shift = channel_lanes<B>(s.shift, at.channel, at.valid);
        each([&](B v, int64_t, int64_t) { return fma(v, scale, shift); });
        break;
      }
      case Kind::residual:
        if (residual) {
          each([&](B v, int64_t i, int64_t j) { return v + B::load_unaligned(residual[i][j]); });
        } else {
          const float* first = t.residual + (at.out - t.output);
          each([&](B v, int64_t i, int64_t j) {
            return v + load_lanes<B>(first + i * at.row_step + j * at.col_step, at.channel_stride, at.valid);
          });
        }
        break;
    }
  }
}

}  // namespace strider::kernels
