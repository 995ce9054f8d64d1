#pragma once
// Upsample with exactly torch.nn.Upsample's (F.interpolate's) sampling for 4-D input: modes "nearest",
// "nearest-exact" and "bilinear" (align_corners true or false), output from size= or scale_factor=.
//
//   Upsample up({.scale_factor = 2, .mode = "bilinear"});
//   Tensor y = up(x);  // [N, C, H, W] -> [N, C, 2H, 2W]
//
// PyTorch 1.13's rules, measured (tests/pytorch/make_module_golden.py):
// - scale_factor s gives output floor(in · s). The sampling ratio is then float(1 / s), not in / out,
//   unless recompute_scale_factor=true (or size= was given): so a non-integer s samples differently
//   from size=floor(in · s).
// - nearest: src = min(floor(float(dst) · ratio), in - 1) in float, even when out == in (scale_factor=1.1
//   on 5 rows gives rows 0 0 1 2 3). nearest-exact: src = min(floor((dst + 0.5) · ratio), in - 1).
//   PyTorch's channels-last kernel, which it also picks for NCHW tensors that happen to be channels-last
//   contiguous (C = 1, or H = W = 1), copies when out == in and takes dst / 2 when out == 2·in; Strider
//   follows the NCHW kernel for every input.
// - bilinear: ratio = (in - 1) / (out - 1) with align_corners (0 when out = 1), src = ratio · dst;
//   without, src = max(ratio · (dst + 0.5) - 0.5, 0). Then i0 = floor(src), i1 = min(i0 + 1, in - 1),
//   λ1 = src - i0, λ0 = 1 - λ1, all in float; out == in copies.
// A 3-D input is 1-D interpolation in PyTorch; this Upsample is 2-D only and rejects it.
#include <iosfwd>
#include <optional>
#include <vector>
#include <string>

#include "../core/arithmetic.hpp"
#include "../core/tensor.hpp"

namespace strider {

// An optional output size: `.size = 6` or `.size = {9, 11}`. It remembers which, to print as PyTorch
// does ("size=6" / "size=(9, 11)").
class OptionalSize {
 public:
  OptionalSize() = default;
  OptionalSize(std::nullopt_t) {}
  OptionalSize(int64_t both) : value_(Hw(both)) {}
  OptionalSize(int64_t h, int64_t w) : value_(Hw(h, w)), pair_(true) {}

  bool has_value() const { return value_.has_value(); }
  Hw value() const { return value_.value(); }
  bool is_pair() const { return pair_; }

 private:
  std::optional<Hw> value_;
  bool pair_ = false;
};

// An optional per-axis scale factor: `.scale_factor = 2` or `.scale_factor = {2, 1.5}`, remembering which.
class OptionalScale {
 public:
  OptionalScale() = default;
  OptionalScale(std::nullopt_t) {}
  OptionalScale(double both) : h_(both), w_(both) {}
  OptionalScale(double h, double w) : h_(h), w_(w), pair_(true) {}

  bool has_value() const { return h_.has_value(); }
  double h() const { return h_.value(); }
  double w() const { return w_.value(); }
  bool is_pair() const { return pair_; }

 private:
  std::optional<double> h_;
  std::optional<double> w_;
  bool pair_ = false;
};

// torch.nn.Upsample's keyword arguments, with its names, defaults and order.
struct UpsampleOptions {
  OptionalSize size = std::nullopt;
  OptionalScale scale_factor = std::nullopt;
  std::string mode = "nearest";  // "nearest", "nearest-exact" or "bilinear"
  std::optional<bool> align_corners = std::nullopt;  // bilinear only; none means false
  std::optional<bool> recompute_scale_factor = std::nullopt;
};

class Upsample {
 public:
  explicit Upsample(UpsampleOptions options);

  Tensor forward(const Tensor& input) const;
  Tensor operator()(const Tensor& input) const { return forward(input); }
  Shape output_shape(const Shape& input) const;
  const UpsampleOptions& options() const { return options_; }

 private:
  UpsampleOptions options_;
};
// PyTorch's repr: Upsample(scale_factor=2.0, mode=nearest)
std::ostream& operator<<(std::ostream& os, const Upsample& upsample);

namespace ref {
// PyTorch's kernels' signatures: `scale` is the user's scale factor for that axis, or none when the
// ratio is in / out (size= or recompute_scale_factor). input [N, C, H, W].
Tensor upsample_nearest2d(const Tensor& input, Hw output_size, std::optional<double> scale_h,
                          std::optional<double> scale_w, bool exact);
// The interpolation weights follow PyTorch's float arithmetic; the weighted sum is in double.
Tensor upsample_bilinear2d(const Tensor& input, Hw output_size, bool align_corners, std::optional<double> scale_h,
                           std::optional<double> scale_w);

// The index and weight arithmetic the kernels share: per output index of one axis, the source index
// (nearest) or the two taps and their weights (linear).
std::vector<int64_t> nearest_sources(int64_t in, int64_t out, std::optional<double> scale, bool exact);
struct LinearTap {
  int64_t i0, i1;
  float lambda0, lambda1;
};
std::vector<LinearTap> linear_taps(int64_t in, int64_t out, bool align_corners, std::optional<double> scale);
}  // namespace ref

// The fast kernels (threaded over output rows; a nearest row that repeats the one before is copied):
// the references' bits.
Tensor upsample_nearest2d(const Tensor& input, Hw output_size, std::optional<double> scale_h,
                          std::optional<double> scale_w, bool exact);
Tensor upsample_bilinear2d(const Tensor& input, Hw output_size, bool align_corners, std::optional<double> scale_h,
                           std::optional<double> scale_w);

}  // namespace strider
