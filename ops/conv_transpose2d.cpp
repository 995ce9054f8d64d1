#include "conv_transpose2d.hpp"

#include <algorithm>
#include <numeric>
#include <ostream>

#include "../core/check.hpp"
#include "../core/parallel.hpp"
#include "common.hpp"

namespace strider {

ConvTranspose2d::ConvTranspose2d(int64_t in_channels, int64_t out_channels, Hw kernel_size,
                                 ConvTranspose2dOptions options)
    : in_channels_(in_channels), out_channels_(out_channels), options_(std::move(options)) {
  const ConvTranspose2dOptions& o = options_;
  // The order of PyTorch's constructor checks, then the ones it defers to forward.
  check_channels_and_groups("ConvTranspose2d", in_channels, out_channels, o.groups);
  check(o.padding_mode == "zeros", "ConvTranspose2d: Only \"zeros\" padding mode is supported, but got padding_mode='",
        o.padding_mode, "'");
  check(kernel_size.h > 0 && kernel_size.w > 0,
        "ConvTranspose2d: kernel size should be greater than zero, but got kernel_size=", kernel_size);
  check(o.stride.h > 0 && o.stride.w > 0, "ConvTranspose2d: non-positive stride is not supported, but got stride=",
        o.stride);
  check(o.padding.h >= 0 && o.padding.w >= 0, "ConvTranspose2d: negative padding is not supported, but got padding=",
        o.padding);
  check(o.dilation.h > 0 && o.dilation.w > 0, "ConvTranspose2d: dilation should be greater than zero, but got dilation=",
        o.dilation);
  check(o.output_padding.h >= 0 && o.output_padding.w >= 0,
        "ConvTranspose2d: negative output_padding is not supported, but got output_padding=", o.output_padding);
  check((o.output_padding.h < o.stride.h || o.output_padding.h < o.dilation.h) &&
            (o.output_padding.w < o.stride.w || o.output_padding.w < o.dilation.w),
        "ConvTranspose2d: output padding must be smaller than either stride or dilation, but got output_padding=",
        o.output_padding, ", stride=", o.stride, " and dilation=", o.dilation);

  params_ = {kernel_size, o.stride, o.padding, o.output_padding, o.dilation, o.groups};
  reset_parameters(0);
}

void ConvTranspose2d::reset_parameters(uint64_t seed) {
  const Hw k = params_.kernel;
  // PyTorch computes fan_in from the weight's dimension 1, which is out_channels / groups here.
  const int64_t fan_in = out_channels_ / params_.groups * k.h * k.w;
  weight_ = fan_in_uniform({in_channels_, out_channels_ / params_.groups, k.h, k.w}, fan_in, seed);
  if (options_.bias) bias_ = fan_in_uniform({out_channels_}, fan_in, seed + 1);
  repack();
}

void ConvTranspose2d::set_weight(Tensor weight) {
  check_parameter_shape("ConvTranspose2d", "weight", weight, weight_.shape());
  weight_ = std::move(weight);
  repack();
}

namespace {

// Output index o = phase + s·i receives x[ih]·w[tap] where ih·s + tap·d - p = o, i.e. ih = i + (phase + p -
// tap·d) / s for the taps that divide evenly. Taps one step apart (s / gcd(s, d)) read inputs d / gcd(s, d)
// apart, so the phase is a stride-1 dilated convolution.
template <class AxisPhase>
AxisPhase axis_phase(int64_t phase, int64_t k, int64_t s, int64_t p, int64_t d) {
  AxisPhase a;
  const int64_t shifted = checked_add(phase, p, "ConvTranspose2d: output phase + padding");
  for (int64_t tap = k - 1; tap >= 0; --tap)
    if ((shifted - tap * d) % s == 0) a.taps.push_back(tap);
  a.dilation = d / std::gcd(s, d);
  if (!a.taps.empty()) a.pad = -floor_div(shifted - a.taps.front() * d, s);
  return a;
}

// The phases of an axis that receive a tap: tap t feeds phase (t·d - p) mod s. At most k of them, in
// increasing order, so a stride of 10^6 costs no more than a stride of k.
std::vector<int64_t> tapped_phases(int64_t k, int64_t s, int64_t p, int64_t d) {
  std::vector<int64_t> phases;
  for (int64_t tap = 0; tap < k; ++tap) {
    const int64_t r = (tap * d - p) % s;
    phases.push_back(r < 0 ? r + s : r);
  }
  std::sort(phases.begin(), phases.end());
  phases.erase(std::unique(phases.begin(), phases.end()), phases.end());
  return phases;
}

}  // namespace

void ConvTranspose2d::repack() {
  const ConvTranspose2dParams& p = params_;
  const int64_t in_g = in_channels_ / p.groups, out_g = out_channels_ / p.groups;
  // d(k - 1) fits int64 (checked), so tap·d does.
  dilated_kernel_size(p.kernel.h, p.dilation.h);
  dilated_kernel_size(p.kernel.w, p.dilation.w);
  const std::vector<int64_t> rows = tapped_phases(p.kernel.h, p.stride.h, p.padding.h, p.dilation.h);
  const std::vector<int64_t> cols = tapped_phases(p.kernel.w, p.stride.w, p.padding.w, p.dilation.w);
  bias_only_phases_ = static_cast<int64_t>(rows.size()) < p.stride.h || static_cast<int64_t>(cols.size()) < p.stride.w;
  phases_.clear();
  for (int64_t row : rows) {
    for (int64_t col : cols) {
      Phase ph{row, col, axis_phase<AxisPhase>(row, p.kernel.h, p.stride.h, p.padding.h, p.dilation.h),
               axis_phase<AxisPhase>(col, p.kernel.w, p.stride.w, p.padding.w, p.dilation.w), {}, {}};
      // The direct convolution's weight (o, c, a, b) is the transposed weight (c, o) at the phase's taps.
      const auto weight = [&](int64_t o, int64_t c, int64_t a, int64_t b) {
        return weight_.at(o / out_g * in_g + c, o % out_g, ph.h.taps[static_cast<std::size_t>(a)],
                          ph.w.taps[static_cast<std::size_t>(b)]);
      };
      ph.weights = kernels::pack_conv_weights(p.groups, in_g, out_g, static_cast<int64_t>(ph.h.taps.size()),
                                              static_cast<int64_t>(ph.w.taps.size()), weight);
      if (ph.h.taps.size() == 3 && ph.w.taps.size() == 3)
        ph.winograd = kernels::transform_winograd_weights(p.groups, in_g, out_g, weight);
      phases_.push_back(std::move(ph));
    }
  }
  merge_phases();
}

void ConvTranspose2d::merge_phases() {
  const ConvTranspose2dParams& p = params_;
  const int64_t in_g = in_channels_ / p.groups, out_g = out_channels_ / p.groups;
  merged_ = {};
  // Worth it when a phase's microkernel would hold at most 3 output channels; needs every phase present
  // (phases_ is then row-major: phase index = row · s_w + col) and reading contiguous input offsets.
  // Strides over 8 never qualify, and are ruled out before s_h · s_w, which a hostile stride overflows.
  if (p.stride.h > 8 || p.stride.w > 8) return;
  const int64_t phases = p.stride.h * p.stride.w;
  if (phases == 1 || p.dilation != Hw(1) || bias_only_phases_ || out_g > 3 || out_g * phases > 8) return;
  // Phase ph reads input offsets -pad .. -pad + taps - 1 from its output's position: the union of those.
  int64_t top = INT64_MAX, bottom = INT64_MIN, left = INT64_MAX, right = INT64_MIN;
  for (const Phase& ph : phases_) {
    top = std::min(top, -ph.h.pad);
    bottom = std::max(bottom, -ph.h.pad + static_cast<int64_t>(ph.h.taps.size()) - 1);
    left = std::min(left, -ph.w.pad);
    right = std::max(right, -ph.w.pad + static_cast<int64_t>(ph.w.taps.size()) - 1);
  }
  const int64_t kh = bottom - top + 1, kw = right - left + 1;
  if (2 * kh * kw * phases > 3 * p.kernel.h * p.kernel.w) return;  // over 1.5x the real taps: zeros dominate
  merged_.used = true;
  merged_.pad_top = -top;
  merged_.pad_left = -left;
  // Merged channel u is output channel u / phases in phase u % phases; a window position outside the
  // phase's taps is a zero.
  const auto weight = [&](int64_t u, int64_t c, int64_t a, int64_t b) {
    const int64_t o = u / phases;
    const Phase& ph = phases_[static_cast<std::size_t>(u % phases)];
    const int64_t i = top + a + ph.h.pad, j = left + b + ph.w.pad;
    if (i < 0 || i >= static_cast<int64_t>(ph.h.taps.size()) || j < 0 || j >= static_cast<int64_t>(ph.w.taps.size()))
      return 0.0f;
    return weight_.at(o / out_g * in_g + c, o % out_g, ph.h.taps[static_cast<std::size_t>(i)],
                      ph.w.taps[static_cast<std::size_t>(j)]);
  };
  merged_.weights = kernels::pack_conv_weights(p.groups, in_g, out_g * phases, kh, kw, weight);
}

void ConvTranspose2d::set_bias(Tensor bias) {
  check(options_.bias, "ConvTranspose2d: set_bias on a module constructed with bias=false");
  check_parameter_shape("ConvTranspose2d", "bias", bias, bias_.shape());
  bias_ = std::move(bias);
}

ConvTranspose2dParams ConvTranspose2d::resolve(const Shape& input, const std::vector<int64_t>* output_size) const {
  check(input.rank() == 3 || input.rank() == 4,
        "ConvTranspose2d: expected 3D (unbatched) or 4D (batched) input to conv_transpose2d, but got input of size: ",
        input);
  const int64_t channels = input[-3], height = input[-2], width = input[-1];
  check(channels == in_channels_, "ConvTranspose2d: expected input", input, " to have ", in_channels_,
        " channels (in_channels), but got ", channels, " channels instead");
  check(height > 0 && width > 0,
        "ConvTranspose2d: expected an input with non-zero height and width, but got input of size: ", input);
  ConvTranspose2dParams p = params_;
  if (output_size != nullptr) {
    const std::size_t n = output_size->size();
    check(n == 2 || n == static_cast<std::size_t>(input.rank()), "ConvTranspose2d: for ", input.rank(),
          "D input, output_size must have 2 or ", input.rank(), " elements (got ", n, ")");
    const int64_t want_h = (*output_size)[n - 2], want_w = (*output_size)[n - 1];
    const SizeRange rh = conv_transpose_output_size_range(height, p.kernel.h, p.stride.h, p.padding.h, p.dilation.h);
    const SizeRange rw = conv_transpose_output_size_range(width, p.kernel.w, p.stride.w, p.padding.w, p.dilation.w);
    check(want_h >= rh.min && want_h <= rh.max && want_w >= rw.min && want_w <= rw.max,
          "ConvTranspose2d: requested an output size of [", want_h, ", ", want_w,
          "] (output_size), but valid sizes range from [", rh.min, ", ", rw.min, "] to [", rh.max, ", ", rw.max,
          "] (for an input of size [", height, ", ", width, "])");
    p.output_padding = {want_h - rh.min, want_w - rw.min};
  }
  const int64_t oh = conv_transpose_output_size(height, p.kernel.h, p.stride.h, p.padding.h, p.dilation.h,
                                                p.output_padding.h);
  const int64_t ow = conv_transpose_output_size(width, p.kernel.w, p.stride.w, p.padding.w, p.dilation.w,
                                                p.output_padding.w);
  check(oh > 0 && ow > 0, "ConvTranspose2d: Given input size per channel: (", height, " x ", width,
        "). Calculated output size per channel: (", oh, " x ", ow, "). Output size is too small (input of size ",
        input, ")");
  return p;
}

namespace {

Shape transposed_output_shape(const Shape& input, int64_t out_channels, const ConvTranspose2dParams& p) {
  const int64_t oh = conv_transpose_output_size(input[-2], p.kernel.h, p.stride.h, p.padding.h, p.dilation.h,
                                                p.output_padding.h);
  const int64_t ow = conv_transpose_output_size(input[-1], p.kernel.w, p.stride.w, p.padding.w, p.dilation.w,
                                                p.output_padding.w);
  return input.rank() == 4 ? Shape{input[0], out_channels, oh, ow} : Shape{out_channels, oh, ow};
}

}  // namespace

Shape ConvTranspose2d::output_shape(const Shape& input) const {
  return transposed_output_shape(input, out_channels_, resolve(input, nullptr));
}

Shape ConvTranspose2d::output_shape(const Shape& input, const std::vector<int64_t>& output_size) const {
  return transposed_output_shape(input, out_channels_, resolve(input, &output_size));
}

kernels::ConvPass ConvTranspose2d::phase_pass(const Phase& ph, const Shape& input, int64_t out_h, int64_t out_w,
                                              const ConvTranspose2dParams& params) const {
  // The phase writes output rows ph.row, ph.row + s_h, ... and columns ph.col, ph.col + s_w, ...
  kernels::ConvPass pass;
  pass.batch = input.rank() == 4 ? input[0] : 1;
  pass.in_h = input[-2];
  pass.in_w = input[-1];
  pass.out_h = ceil_div(out_h - ph.row, params.stride.h);
  pass.out_w = ceil_div(out_w - ph.col, params.stride.w);
  pass.out_batch_stride = out_channels_ * out_h * out_w;
  pass.out_channel_stride = out_h * out_w;
  pass.out_row_stride = params.stride.h * out_w;
  pass.out_col_stride = params.stride.w;
  pass.dilation_h = ph.h.dilation;
  pass.dilation_w = ph.w.dilation;
  pass.pad_top = ph.h.pad;
  pass.pad_left = ph.w.pad;
  pass.weights = &ph.weights;
  pass.bias = bias_.defined() ? bias_.data() : nullptr;
  return pass;
}

bool ConvTranspose2d::uses_winograd(const Shape& input) const {
  const ConvTranspose2dParams params = resolve(input, nullptr);
  const Shape out = transposed_output_shape(input, out_channels_, params);
  for (const Phase& ph : phases_) {
    const kernels::ConvPass pass = phase_pass(ph, input, out[-2], out[-1], params);
    if (pass.out_h > 0 && pass.out_w > 0 && kernels::use_winograd(algorithm_, pass)) return true;
  }
  return false;
}

Tensor ConvTranspose2d::run(const Tensor& input, const ConvTranspose2dParams& params,
                            const Epilogue& epilogue) const {
  Tensor output(transposed_output_shape(input.shape(), out_channels_, params));
  epilogue.check_for("ConvTranspose2d", out_channels_, output.shape());
  const Tensor* residual = epilogue.residual();
  // In place (the output in the residual's memory), the bias-only outputs and the phases would overwrite
  // residual values before reading them: they read a copy.
  Tensor copy;
  if (residual != nullptr && residual->data() == output.data()) copy = residual->clone(), residual = &copy;
  // The merged convolution stores into its own buffer: a residual (laid out like the output) stays on
  // the phases' path, as does a forced Winograd.
  if (merged_.used && residual == nullptr && algorithm_ != ConvAlgorithm::winograd)
    return run_merged(input, std::move(output), epilogue);
  const int64_t out_h = output.size(-2), out_w = output.size(-1);
  if (bias_only_phases_) {
    // The outputs no tap reaches; the phases below overwrite the others.
    const int64_t plane = out_h * out_w;
    const int64_t batch = input.rank() == 4 ? input.size(0) : 1;
    for (int64_t n = 0; n < batch; ++n)
      for (int64_t o = 0; o < out_channels_; ++o) {
        const int64_t offset = (n * out_channels_ + o) * plane;
        const float b = bias_.defined() ? bias_[o] : 0.0f;
        float* to = output.data() + offset;
        if (residual == nullptr) {  // one value per channel: a call per output cost t6 more than its phase
          std::fill(to, to + plane, apply(epilogue, b, o));
          continue;
        }
        const float* from = residual->data() + offset;
        for (int64_t i = 0; i < plane; ++i) to[i] = apply(epilogue, b, o, from[i]);
      }
  }
  std::vector<kernels::ConvPass> direct;  // together, so that they can share their copies of the input
  for (const Phase& ph : phases_) {
    kernels::ConvPass pass = phase_pass(ph, input.shape(), out_h, out_w, params);
    if (pass.out_h <= 0 || pass.out_w <= 0) continue;
    pass.input = input.data();
    pass.output = output.data() + ph.row * out_w + ph.col;
    pass.epilogue = epilogue;
    pass.residual = residual ? residual->data() + ph.row * out_w + ph.col : nullptr;
    if (kernels::use_winograd(algorithm_, pass)) kernels::run_winograd_pass(pass, ph.winograd);
    else direct.push_back(std::move(pass));
  }
  kernels::run_conv_passes(direct);
  return output;
}

Tensor ConvTranspose2d::run_merged(const Tensor& input, Tensor output, const Epilogue& epilogue) const {
  const int64_t sh = params_.stride.h, sw = params_.stride.w, phases = sh * sw;
  const int64_t batch = input.rank() == 4 ? input.size(0) : 1;
  const int64_t out_h = output.size(-2), out_w = output.size(-1);
  const int64_t rows = ceil_div(out_h, sh), cols = ceil_div(out_w, sw), channels = out_channels_ * phases;
  // Allocated after the output, which has taken the caller's OutputSlot (core/arena.hpp) if there is one.
  Tensor merged({batch, channels, rows, cols});
  // Per-output-channel values repeated for each phase (merged channel o · phases + phase is channel o).
  const auto spread = [&](const std::vector<float>& v) {
    if (static_cast<int64_t>(v.size()) != out_channels_) return v;
    std::vector<float> r;
    for (float x : v) r.insert(r.end(), static_cast<std::size_t>(phases), x);
    return r;
  };
  const std::vector<float> bias =
      bias_.defined() ? spread(std::vector<float>(bias_.data(), bias_.data() + out_channels_)) : std::vector<float>{};
  kernels::ConvPass pass;
  pass.input = input.data();
  pass.batch = batch;
  pass.in_h = input.size(-2);
  pass.in_w = input.size(-1);
  pass.output = merged.data();
  pass.out_h = rows;
  pass.out_w = cols;
  pass.out_batch_stride = channels * rows * cols;
  pass.out_channel_stride = rows * cols;
  pass.out_row_stride = cols;
  pass.pad_top = merged_.pad_top;
  pass.pad_left = merged_.pad_left;
  pass.weights = &merged_.weights;
  pass.bias = bias.empty() ? nullptr : bias.data();
  pass.epilogue = epilogue;
  for (Epilogue::Step& step : pass.epilogue.steps) {
    step.activation.weight = spread(step.activation.weight);
    step.scale = spread(step.scale);
    step.shift = spread(step.shift);
  }
  kernels::run_conv_pass(pass);
  // Output (o, y, x) is merged channel o · phases + (y mod s_h) · s_w + x mod s_w at (y / s_h, x / s_w);
  // the phases' rows and columns past the output (when s does not divide its size) are dropped.
  float* out = output.data();
  const float* from = merged.data();
  parallel_for(0, batch * out_channels_ * out_h, [&](int64_t first, int64_t last) {
    for (int64_t r = first; r < last; ++r) {
      const int64_t image_channel = r / out_h, y = r % out_h;
      for (int64_t col = 0; col < std::min(sw, out_w); ++col) {
        const float* src = from + ((image_channel * phases + y % sh * sw + col) * rows + y / sh) * cols;
        float* dst = out + r * out_w;
        for (int64_t x = col, j = 0; x < out_w; x += sw, ++j) dst[x] = src[j];
      }
    }
  });
  return output;
}

Tensor ConvTranspose2d::forward(const Tensor& input, const Epilogue& epilogue) const {
  return run(input, resolve(input.shape(), nullptr), epilogue);
}

Tensor ConvTranspose2d::forward(const Tensor& input, const std::vector<int64_t>& output_size,
                                const Epilogue& epilogue) const {
  return run(input, resolve(input.shape(), &output_size), epilogue);
}

std::ostream& operator<<(std::ostream& os, const ConvTranspose2d& conv) {
  const ConvTranspose2dOptions& o = conv.options();
  os << "ConvTranspose2d(" << conv.in_channels() << ", " << conv.out_channels()
     << ", kernel_size=" << conv.kernel_size() << ", stride=" << o.stride;
  if (o.padding != Hw(0)) os << ", padding=" << o.padding;
  if (o.dilation != Hw(1)) os << ", dilation=" << o.dilation;
  if (o.output_padding != Hw(0)) os << ", output_padding=" << o.output_padding;
  if (o.groups != 1) os << ", groups=" << o.groups;
  if (!o.bias) os << ", bias=False";
  return os << ')';
}

}  // namespace strider
