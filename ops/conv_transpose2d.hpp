#pragma once
// ConvTranspose2d with exactly torch.nn.ConvTranspose2d's semantics: the transpose (adjoint) of Conv2d
// with the same kernel, stride, padding, dilation and groups. Weight [in_channels, out_channels / groups,
// kH, kW], bias [out_channels].
//
//   ConvTranspose2d up(64, 32, 4, {.stride = 2, .padding = 1});
//   Tensor y = up(x);                 // [N, 64, H, W] -> [N, 32, 2H, 2W]
//   Tensor z = up.forward(x, {2 * H + 1, 2 * W + 1});  // output_size picks the output_padding
#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

#include "../core/arithmetic.hpp"
#include "../core/tensor.hpp"
#include "conv_kernel.hpp"
#include "epilogue.hpp"
#include "winograd_kernel.hpp"

namespace strider {

// torch.nn.ConvTranspose2d's keyword arguments, with its names, defaults and order.
struct ConvTranspose2dOptions {
  Hw stride = 1;
  Hw padding = 0;
  Hw output_padding = 0;
  int64_t groups = 1;
  bool bias = true;
  Hw dilation = 1;
  std::string padding_mode = "zeros";  // the only mode PyTorch supports here
};

struct ConvTranspose2dParams {
  Hw kernel;
  Hw stride = 1;
  Hw padding = 0;
  Hw output_padding = 0;
  Hw dilation = 1;
  int64_t groups = 1;
};

class ConvTranspose2d {
 public:
  ConvTranspose2d(int64_t in_channels, int64_t out_channels, Hw kernel_size, ConvTranspose2dOptions options = {});

  Tensor forward(const Tensor& input) const { return forward(input, Epilogue{}); }
  Tensor forward(const Tensor& input, const Epilogue& epilogue) const;
  // output_size is [H, W] or [N, C, H, W] ([C, H, W] for an unbatched input; N and C are ignored, as in
  // PyTorch); it replaces the constructor's output_padding and must lie in the valid range.
  Tensor forward(const Tensor& input, const std::vector<int64_t>& output_size,
                 const Epilogue& epilogue = {}) const;
  Tensor operator()(const Tensor& input) const { return forward(input); }
  Shape output_shape(const Shape& input) const;
  Shape output_shape(const Shape& input, const std::vector<int64_t>& output_size) const;

  const Tensor& weight() const { return weight_; }
  const Tensor& bias() const { return bias_; }  // undefined when options.bias is false
  void set_weight(Tensor weight);
  void set_bias(Tensor bias);
  void reset_parameters(uint64_t seed);

  int64_t in_channels() const { return in_channels_; }
  int64_t out_channels() const { return out_channels_; }
  Hw kernel_size() const { return params_.kernel; }
  const ConvTranspose2dOptions& options() const { return options_; }
  const ConvTranspose2dParams& params() const { return params_; }

  // As Conv2d::set_algorithm: the phases with 3x3 taps are 3x3 stride-1 convolutions Winograd can run.
  void set_algorithm(ConvAlgorithm algorithm) { algorithm_ = algorithm; }
  ConvAlgorithm algorithm() const { return algorithm_; }
  // Whether forward() runs some phase of this input with Winograd.
  bool uses_winograd(const Shape& input) const;

 private:
  // Output rows (or columns) whose index is congruent to `phase` modulo the stride receive contributions
  // only from the kernel taps in `taps` (highest first): a stride-1 convolution of the input with those
  // taps, dilation d / gcd(s, d), and padding `pad` (negative: it starts inside the input).
  struct AxisPhase {
    std::vector<int64_t> taps;
    int64_t dilation = 1;
    int64_t pad = 0;
  };
  struct Phase {
    int64_t row = 0;  // the phase: output rows row, row + s_h, ...
    int64_t col = 0;  // and columns col, col + s_w, ...
    AxisPhase h, w;
    kernels::PackedConvWeights weights;
    kernels::WinogradWeights winograd;  // for 3x3 taps
  };

  // When the groups have few output channels (a 1- or 3-channel image out), a phase's microkernel keeps
  // too few outputs per input it loads. Then all phases run as one stride-1 convolution with out_g·s_h·s_w
  // channels (output channel o, phase p as channel o·s_h·s_w + p) over the union of the phases' windows
  // (the taps a phase lacks are zeros), into a buffer that is then interleaved into the output.
  struct MergedPhases {
    bool used = false;
    int64_t pad_top = 0, pad_left = 0;
    kernels::PackedConvWeights weights;
  };

  // The params for this input: output_padding from output_size when one is given.
  ConvTranspose2dParams resolve(const Shape& input, const std::vector<int64_t>* output_size) const;
  Tensor run(const Tensor& input, const ConvTranspose2dParams& params, const Epilogue& epilogue) const;
  // Phase ph's pass over an input of shape `input` into an output of out_h x out_w: all but the data
  // pointers and the epilogue.
  kernels::ConvPass phase_pass(const Phase& ph, const Shape& input, int64_t out_h, int64_t out_w,
                               const ConvTranspose2dParams& params) const;
  void repack();
  void merge_phases();
  Tensor run_merged(const Tensor& input, Tensor output, const Epilogue& epilogue) const;

  int64_t in_channels_;
  int64_t out_channels_;
  ConvTranspose2dOptions options_;
  ConvTranspose2dParams params_;
  Tensor weight_;
  Tensor bias_;
  // The sub-convolutions of the phases that some tap reaches, with packed weights, rebuilt with the
  // weight: at most k_h · k_w of them however large the stride. The other phases' outputs are the bias.
  std::vector<Phase> phases_;
  bool bias_only_phases_ = false;
  MergedPhases merged_;
  ConvAlgorithm algorithm_ = ConvAlgorithm::automatic;
};
std::ostream& operator<<(std::ostream& os, const ConvTranspose2d& conv);

namespace ref {
// The guide's definition (ARITHMETIC.md, relations 8-14): insert s - 1 zeros between the input pixels,
// pad by p' = d(k - 1) - p before and p' + output_padding after, and run a stride-1 direct convolution
// (ref::conv2d, same dilation and groups) with the kernel flipped in both axes and its in/out axes
// swapped. input [N, Cin, H, W]; bias may be undefined; arguments validated by ConvTranspose2d.
Tensor conv_transpose2d(const Tensor& input, const Tensor& weight, const Tensor& bias,
                        const ConvTranspose2dParams& params);
}  // namespace ref

}  // namespace strider
