#pragma once
// MaxPool2d and AvgPool2d with exactly PyTorch's semantics (ceil_mode, count_include_pad,
// divisor_override, max-pool dilation and indices). They share one geometry and one set of checks.
//
//   MaxPool2d pool(3, {.stride = 2, .padding = 1, .ceil_mode = true});
//   AvgPool2d avg(2);  // stride defaults to kernel_size
#include <cstdint>
#include <iosfwd>
#include <optional>
#include <vector>

#include "../core/arithmetic.hpp"
#include "../core/tensor.hpp"

namespace strider {

// An optional (H, W) pair, like stride=None. Unlike std::optional<Hw> it takes `.stride = {2, 1}`.
class OptionalHw {
 public:
  constexpr OptionalHw() = default;
  constexpr OptionalHw(std::nullopt_t) {}
  constexpr OptionalHw(int64_t both) : value_(Hw(both)) {}
  constexpr OptionalHw(int64_t h, int64_t w) : value_(Hw(h, w)) {}
  constexpr OptionalHw(Hw value) : value_(value) {}

  constexpr bool has_value() const { return value_.has_value(); }
  constexpr Hw value_or(Hw fallback) const { return value_.value_or(fallback); }

 private:
  std::optional<Hw> value_;
};

// torch.nn.MaxPool2d's keyword arguments, with its names, defaults and order.
struct MaxPool2dOptions {
  OptionalHw stride = std::nullopt;  // none: kernel_size
  Hw padding = 0;
  Hw dilation = 1;
  bool return_indices = false;  // as in PyTorch, forward_with_indices() needs it
  bool ceil_mode = false;
};

// torch.nn.AvgPool2d's keyword arguments, then `dilation`, Strider's extension (PyTorch has none; the
// default 1 is PyTorch's behaviour). With dilation, a window's divisor counts its taps: those inside the
// padded input with count_include_pad, those inside the input without.
struct AvgPool2dOptions {
  OptionalHw stride = std::nullopt;  // none: kernel_size
  Hw padding = 0;
  bool ceil_mode = false;
  bool count_include_pad = true;
  std::optional<int64_t> divisor_override = std::nullopt;
  Hw dilation = 1;
};

// A pooling window's geometry, resolved (stride defaulted).
struct Pool2dParams {
  Hw kernel;
  Hw stride;
  Hw padding = 0;
  Hw dilation = 1;
  bool ceil_mode = false;
};

struct MaxPool2dResult {
  Tensor output;
  std::vector<int64_t> indices;  // per output element, in its row-major order: h * W + w in its input plane
};

class MaxPool2d {
 public:
  explicit MaxPool2d(Hw kernel_size, MaxPool2dOptions options = {});

  Tensor forward(const Tensor& input) const;
  Tensor operator()(const Tensor& input) const { return forward(input); }
  MaxPool2dResult forward_with_indices(const Tensor& input) const;
  Shape output_shape(const Shape& input) const;

  const MaxPool2dOptions& options() const { return options_; }
  const Pool2dParams& params() const { return params_; }

 private:
  MaxPool2dOptions options_;
  Pool2dParams params_;
};
// PyTorch's repr: MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)
std::ostream& operator<<(std::ostream& os, const MaxPool2d& pool);

class AvgPool2d {
 public:
  explicit AvgPool2d(Hw kernel_size, AvgPool2dOptions options = {});

  Tensor forward(const Tensor& input) const;
  Tensor operator()(const Tensor& input) const { return forward(input); }
  Shape output_shape(const Shape& input) const;

  const AvgPool2dOptions& options() const { return options_; }
  const Pool2dParams& params() const { return params_; }

 private:
  AvgPool2dOptions options_;
  Pool2dParams params_;
};
// PyTorch's repr: AvgPool2d(kernel_size=2, stride=2, padding=0)
std::ostream& operator<<(std::ostream& os, const AvgPool2d& pool);

namespace ref {
// y = the maximum over the window's taps h = i·sH - pH + a·dH (a < kH) that lie inside the input,
// scanned row-major: a NaN always wins (the last NaN's index is kept), ties keep the first index.
// indices, when given, receives h·W + w per output. input [N, C, H, W].
Tensor max_pool2d(const Tensor& input, const Pool2dParams& params, std::vector<int64_t>* indices = nullptr);
// y = the sum over the window's taps inside the input / divisor, where the divisor is divisor_override,
// else the number of taps inside the padded input (count_include_pad) or inside the input.
Tensor avg_pool2d(const Tensor& input, const Pool2dParams& params, bool count_include_pad,
                  std::optional<int64_t> divisor_override);
}  // namespace ref

}  // namespace strider
