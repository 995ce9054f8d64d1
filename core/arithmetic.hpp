#pragma once
// The convolution arithmetic of Dumoulin & Visin, "A guide to convolution arithmetic for deep learning"
// (shared/ARITHMETIC.md), per spatial axis: input i, kernel k, stride s, padding p, dilation d, output o.
// The operators apply it to H and W independently. Relation numbers refer to ARITHMETIC.md.
#include <cstdint>
#include <iosfwd>

namespace strider {

// A per-axis pair (H, W). An int means the same value on both axes, as in PyTorch: `.stride = 2` and
// `.stride = {2, 1}` both work.
struct Hw {
  int64_t h = 0;
  int64_t w = 0;
  constexpr Hw() = default;
  constexpr Hw(int64_t both) : h(both), w(both) {}
  constexpr Hw(int64_t h_, int64_t w_) : h(h_), w(w_) {}
  friend constexpr bool operator==(const Hw&, const Hw&) = default;
};
std::ostream& operator<<(std::ostream& os, const Hw& hw);  // "(3, 3)"

// Padding of one axis, possibly asymmetric (PyTorch's padding='same' puts the odd extra at the end).
struct Pad {
  int64_t begin = 0;
  int64_t end = 0;
  constexpr Pad() = default;
  constexpr Pad(int64_t both) : begin(both), end(both) {}
  constexpr Pad(int64_t begin_, int64_t end_) : begin(begin_), end(end_) {}
  friend constexpr bool operator==(const Pad&, const Pad&) = default;
};

// How a convolution fills the positions its padding adds: zeros, or the input reflected (the edge not
// repeated), replicated from the edge, or wrapped around (PyTorch's padding_mode).
enum class PaddingMode { zeros, reflect, replicate, circular };

// Where padded position `pos` reads from in an axis of `size` elements, or -1 for a zero. Valid for
// the paddings PyTorch allows: reflect needs |overhang| < size, circular |overhang| <= size.
int64_t padded_source_index(int64_t pos, int64_t size, PaddingMode mode);

// Integer division rounding towards -inf / +inf (sizes may go negative for inputs that are too small).
// b = 0 and INT64_MIN / -1 throw std::invalid_argument.
int64_t floor_div(int64_t a, int64_t b);
int64_t ceil_div(int64_t a, int64_t b);

// a + b, a - b, a · b, or std::invalid_argument naming `what` (the quantity), both operands and the rule
// when the result does not fit in int64. Every function below computes with these: a hostile size, stride
// or padding gets an error, never a wrapped (negative) size.
int64_t checked_add(int64_t a, int64_t b, const char* what);
int64_t checked_sub(int64_t a, int64_t b, const char* what);
int64_t checked_mul(int64_t a, int64_t b, const char* what);

// k̂ = k + (k - 1)(d - 1): the input extent a dilated kernel covers.
int64_t dilated_kernel_size(int64_t k, int64_t d = 1);

// Relations 1-6 and 15: o = floor((i + p.begin + p.end - k̂) / s) + 1. A result <= 0 means the input
// is too small; the operators reject it.
int64_t conv_output_size(int64_t i, int64_t k, int64_t s = 1, Pad p = 0, int64_t d = 1);

// Relation 7 with PyTorch's rules: ceil_mode rounds up, but a last window that would start in the right
// padding is dropped ((o - 1)s >= i + p).
int64_t pool_output_size(int64_t i, int64_t k, int64_t s, int64_t p = 0, int64_t d = 1, bool ceil_mode = false);

// Relations 8-14 with dilation: o' = (i' - 1)s - 2p + d(k - 1) + a + 1, where a is output_padding.
int64_t conv_transpose_output_size(int64_t i, int64_t k, int64_t s = 1, int64_t p = 0, int64_t d = 1,
                                   int64_t output_padding = 0);

// How many taps of pooling window o (positions o·s - p + a·d, a < k) lie inside [0, i), or inside the
// padded [-p, i + p) with include_padding: AvgPool2d's divisor along one axis. An overhang past the
// padding (ceil_mode's last window) never counts. O(1): a kernel of 2^40 taps costs no more than 3.
int64_t pool_window_taps(int64_t o, int64_t i, int64_t k, int64_t s, int64_t p, int64_t d, bool include_padding);

// PyTorch's padding='same' (s = 1): T = d(k - 1) split as T/2 before and T - T/2 after.
Pad same_padding(int64_t k, int64_t d = 1);

struct SizeRange {
  int64_t min = 0;
  int64_t max = 0;
  friend constexpr bool operator==(const SizeRange&, const SizeRange&) = default;
};

// The output sizes a transposed convolution can produce: output_padding a = 0 gives min, a = s - 1
// gives max (PyTorch's valid range for output_size; dilation does not widen it).
SizeRange conv_transpose_output_size_range(int64_t i, int64_t k, int64_t s = 1, int64_t p = 0, int64_t d = 1);

// The input sizes that a convolution maps to output size o: because of the floor in relation 6,
// s consecutive sizes do (Fig 2.6 and 2.7). min is at least 1.
SizeRange conv_input_size_range(int64_t o, int64_t k, int64_t s = 1, int64_t p = 0, int64_t d = 1);

// A transposed convolution as the guide draws it: a stride-1 direct convolution of the flipped kernel
// over the input with s - 1 zeros inserted between pixels (size ĩ'), padded by p' = d(k - 1) - p before
// and p' + a after. p' < 0 (p > d(k - 1), which PyTorch allows) crops instead of padding.
struct TransposedConvEquivalent {
  int64_t kernel = 0;          // k' = k
  int64_t dilation = 1;        // the direct convolution keeps the dilation
  int64_t stride = 1;          // s' = 1
  int64_t zeros_inserted = 0;  // s - 1 between consecutive input pixels
  int64_t stretched_size = 0;  // ĩ' = i' + (i' - 1)(s - 1)
  int64_t padding = 0;         // p' = d(k - 1) - p, on both sides
  int64_t output_padding = 0;  // a: extra zeros after the end
  int64_t output_size = 0;     // o' = ĩ' + 2p' + a - d(k - 1)
};
TransposedConvEquivalent transposed_conv_equivalent(int64_t i, int64_t k, int64_t s = 1, int64_t p = 0,
                                                    int64_t d = 1, int64_t output_padding = 0);

}  // namespace strider
