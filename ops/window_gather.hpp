#pragma once
// Keeps the cost of a sliding-window pass proportional to what it computes. The panel kernels read the
// input span the windows cover (and, along W, one panel row per stride phase), which is cheap for the
// usual geometry but unbounded for a hostile one: a stride of 10^6, a dilation of 2^40 with matching
// padding, a pooling kernel of 2^40 taps on a 16-pixel input. Before a pass runs, each axis is tidied:
//  - a single output position makes the stride irrelevant (stride 1);
//  - pooling drops the kernel taps no window ever reads inside the input (they read the neutral fill);
//  - an axis whose windows are sparse (they span more than twice the taps they hold) is gathered: a
//    copy holding exactly the out·kernel positions the windows read, then read with stride = kernel,
//    dilation 1, no padding.
// The results are bitwise those of the untouched pass: every output sums the same values in the same order.
#include <cstdint>

#include "../core/arithmetic.hpp"
#include "../core/tensor.hpp"

namespace strider::kernels {

// One axis of a pass: output o reads input positions o·stride - pad + a·dilation, a < kernel.
struct WindowAxis {
  int64_t in = 0, out = 0, kernel = 1, stride = 1, pad = 0, dilation = 1;
};

// Stride 1 when there is one output position.
WindowAxis with_unit_stride_if_single(WindowAxis a);
// Pooling only: the taps [first, last] that read inside [0, in) for some output, the others dropped.
WindowAxis clip_pool_taps(WindowAxis a);
// Whether the axis's windows are sparse enough to gather.
bool is_sparse(const WindowAxis& a);

// The input (planes of h.in x w.in) with each sparse axis replaced by its windows' taps, positions
// outside the input read per `mode` (PaddingMode::zeros: `fill`). Updates h and w to the gathered
// geometry; returns an undefined Tensor when neither axis is sparse.
Tensor gather_sparse_windows(const float* input, int64_t planes, WindowAxis& h, WindowAxis& w, PaddingMode mode,
                             float fill);

}  // namespace strider::kernels
