// Convolutions, pools (global ones too) and BatchNormalization: nodes that become Strider operators, built once
// per plan with their weights. The chain of pointwise nodes that alone read a convolution's output is
// fused into it (folded weights, the kernel's epilogue): see absorb_followers.
#include <limits>
#include <memory>

#include "../nn/fold.hpp"
#include "../ops/batch_norm2d.hpp"
#include "../ops/conv2d.hpp"
#include "../ops/conv_transpose2d.hpp"
#include "../ops/pool2d.hpp"
#include "activation_nodes.hpp"
#include "index_ops.hpp"
#include "plan.hpp"

namespace strider::onnx {

namespace {

// A 2-D window's attributes: kernel, strides, dilations, and pads as (begin, end) per axis.
struct Window {
  Hw kernel, stride = 1, dilation = 1;
  Pad pad_h, pad_w;
};

Hw pair(const Node& n, const char* attribute, int64_t fallback) {
  const auto v = n.get_ints(attribute, {fallback, fallback});
  check(v.size() == 2, n.label(), ": attribute '", attribute, "' must have 2 values (only 2-D is supported), got ",
        v.size());
  return {v[0], v[1]};
}

// pads / auto_pad resolved for an input of height h and width w (ONNX's SAME_* rules for a direct window).
Window window(const Node& n, Hw kernel, int64_t h, int64_t w) {
  Window win{kernel, pair(n, "strides", 1), pair(n, "dilations", 1), {}, {}};
  check(win.stride.h > 0 && win.stride.w > 0 && win.dilation.h > 0 && win.dilation.w > 0, n.label(),
        ": strides and dilations must be positive");
  const std::string auto_pad = n.get_string("auto_pad", "NOTSET");
  if (auto_pad == "NOTSET") {
    const auto p = n.get_ints("pads", {0, 0, 0, 0});
    check(p.size() == 4, n.label(), ": attribute 'pads' must have 4 values, got ", p.size());
    win.pad_h = {p[0], p[2]};
    win.pad_w = {p[1], p[3]};
  } else if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
    auto same = [&](int64_t size, int64_t k, int64_t s, int64_t d) {
      const char* what = "auto_pad: the total padding (ceil(i / s) - 1)·s + k̂ - i";
      const int64_t total = std::max<int64_t>(
          checked_sub(checked_add(checked_mul(ceil_div(size, s) - 1, s, what), dilated_kernel_size(k, d), what), size,
                      what),
          0);
      const int64_t small = total / 2;
      return auto_pad == "SAME_UPPER" ? Pad(small, total - small) : Pad(total - small, small);
    };
    win.pad_h = same(h, kernel.h, win.stride.h, win.dilation.h);
    win.pad_w = same(w, kernel.w, win.stride.w, win.dilation.w);
  } else {
    check(auto_pad == "VALID", n.label(), ": auto_pad '", auto_pad, "' is not supported");
  }
  for (const Pad& p : {win.pad_h, win.pad_w})
    check(p.begin >= 0 && p.end >= 0, n.label(), ": negative pads are not supported");
  return win;
}

const Tensor& input4d(const Builder& b, const Node& n) {
  const Tensor& x = b.tensor(n, 0);
  check(x.rank() == 4, n.label(), ": expects a 4-D input [N, C, H, W], but got ", x.shape());
  return x;
}

Hw kernel_of(const Node& n, const Const& weight) {
  check(weight.dims.size() == 4 && weight.is_float, n.label(), ": weight must be a 4-D float tensor, but got ",
        weight.describe());
  const Hw kernel{weight.dims[2], weight.dims[3]};
  check(!n.has("kernel_shape") || pair(n, "kernel_shape", 0) == kernel, n.label(),
        ": kernel_shape does not match the weight ", weight.describe());
  return kernel;
}

// The chain after a convolution that its store absorbs (ops/epilogue.hpp), each node the sole reader
// of the one before: a BatchNormalization with constant parameters (folded into the weights when it
// comes first, a per-channel affine after an activation), activations (activation_nodes.hpp), Mul /
// Add / Sub / Div by a constant, and one Add of a tensor of the output's shape already computed (the
// residual, read through input slot 1 of the step).
struct Absorbed {
  std::string out;        // the last absorbed output
  Epilogue epilogue;      // its residual step's tensor is bound per call
  std::string residual;   // the residual's name, or empty
};

template <class Conv>
Absorbed absorb_followers(Builder& b, const Node& n, Conv& conv, const Shape& out_shape) {
  Absorbed r{n.outputs.at(0), {}, {}};
  const int64_t channels = conv.out_channels();
  for (const Node* next = b.sole_consumer(r.out); next; next = b.sole_consumer(r.out)) {
    if (next->outputs.size() != 1) break;
    if (next->op == "BatchNormalization") {
      bool params_const = next->inputs.size() == 5;
      for (std::size_t k = 1; k < next->inputs.size(); ++k) params_const = params_const && b.is_const(next->inputs[k]);
      if (!params_const || next->get_int("training_mode", 0) != 0) break;
      const ChannelAffine a = batch_norm_affine(
          b.constant(*next, 3).to_tensor(next->label()), b.constant(*next, 4).to_tensor(next->label()),
          b.constant(*next, 1).to_tensor(next->label()), b.constant(*next, 2).to_tensor(next->label()),
          next->get_float("epsilon", 1e-5f));
      if (r.epilogue.empty()) conv = nn::fold_affine(conv, a);
      else r.epilogue.then_affine({a.scale.begin(), a.scale.end()}, {a.shift.begin(), a.shift.end()});
    } else if (std::optional<Activation> a = activation_of(b, *next, channels)) {
      r.epilogue.then(std::move(*a));
    } else if (std::optional<Affine> a = constant_affine(b, *next, r.out, channels)) {
      r.epilogue.then_affine(std::move(a->scale), std::move(a->shift));
    } else if (next->op == "Add" && next->inputs.size() == 2 && r.residual.empty()) {
      const std::size_t other = next->inputs[0] == r.out ? 1 : 0;
      if (next->inputs[other] == r.out || b.is_const(next->inputs[other])) break;
      try {
        if (b.tensor(*next, other).shape() != out_shape) break;
      } catch (const std::invalid_argument&) {
        break;  // computed after the convolution: it cannot be read in its store
      }
      r.residual = next->inputs[other];
      r.epilogue.then_residual(nullptr);
    } else {
      break;
    }
    b.absorb(*next);
    r.out = next->outputs[0];
  }
  return r;
}

// The convolution's step: runs `forward(input, epilogue)` with the residual (slot 1, if any) bound.
// in_place: forward may write its output over the residual (Builder::emit).
template <class Forward>
void emit_fused(Builder& b, const Node& n, const Absorbed& absorbed, Forward forward, bool in_place) {
  std::vector<std::string> inputs{n.inputs[0]};
  if (!absorbed.residual.empty()) inputs.push_back(absorbed.residual);
  auto epilogue = std::make_shared<const Epilogue>(absorbed.epilogue);
  b.emit(n, inputs, absorbed.out, [epilogue, forward](std::span<const Tensor* const> in) {
    if (in.size() == 1) return forward(*in[0], *epilogue);
    Epilogue bound = *epilogue;
    for (Epilogue::Step& s : bound.steps)
      if (s.kind == Epilogue::Step::Kind::residual) s.residual = in[1];
    return forward(*in[0], bound);
  }, in_place && !absorbed.residual.empty() ? 1 : -1);
}

// What Conv and ConvTranspose read alike: the 4-D input, the constant weight, its kernel and the group.
struct ConvInputs {
  const Tensor& x;
  const Const& w;
  Hw kernel;
  int64_t groups;
};

ConvInputs conv_inputs(const Builder& b, const Node& n) {
  const Tensor& x = input4d(b, n);
  const Const& w = b.constant(n, 1);
  const Hw kernel = kernel_of(n, w);
  const int64_t groups = n.get_int("group", 1);
  check(groups > 0, n.label(), ": group must be positive, but got ", groups);
  return {x, w, kernel, groups};
}

void conv(Builder& b, const Node& n) {
  const auto [x, w, kernel, groups] = conv_inputs(b, n);
  const Window win = window(n, kernel, x.size(2), x.size(3));
  const bool symmetric = win.pad_h.begin == win.pad_h.end && win.pad_w.begin == win.pad_w.end;
  Conv2d op(w.dims[1] * groups, w.dims[0], kernel,
            {.stride = win.stride,
             .padding = symmetric ? Conv2dPadding(win.pad_h.begin, win.pad_w.begin) : Conv2dPadding(0),
             .dilation = win.dilation,
             .groups = groups,
             .bias = n.input(2).has_value()});
  op.set_weight(w.to_tensor(n.label()));
  if (n.input(2)) op.set_bias(b.constant(n, 2).to_tensor(n.label()));
  // Conv2d pads symmetrically (as PyTorch); other pads are applied first, as zeros.
  std::shared_ptr<std::vector<Dims>> pads;
  if (!symmetric)
    pads = std::make_shared<std::vector<Dims>>(std::vector<Dims>{
        pad_sources(n, x.size(0), 0, 0, PaddingMode::zeros), pad_sources(n, x.size(1), 0, 0, PaddingMode::zeros),
        pad_sources(n, x.size(2), win.pad_h.begin, win.pad_h.end, PaddingMode::zeros),
        pad_sources(n, x.size(3), win.pad_w.begin, win.pad_w.end, PaddingMode::zeros)});
  const Shape x_shape = pads ? Shape{x.size(0), x.size(1), x.size(2) + win.pad_h.begin + win.pad_h.end,
                                     x.size(3) + win.pad_w.begin + win.pad_w.end}
                              : x.shape();
  const Absorbed absorbed = absorb_followers(b, n, op, op.output_shape(x_shape));
  auto shared = std::make_shared<const Conv2d>(std::move(op));
  // Conv2d reads each residual value before writing its output there, or copies the residual first; a
  // padded input made here could take the output's memory, the residual's, before the output does.
  emit_fused(b, n, absorbed, [shared, pads](const Tensor& x, const Epilogue& e) {
    return pads ? shared->forward(apply_pad(x, *pads, 0.0f), e) : shared->forward(x, e);
  }, pads == nullptr);
}

void conv_transpose(Builder& b, const Node& n) {
  const auto [x, w, kernel, groups] = conv_inputs(b, n);
  const Hw stride = pair(n, "strides", 1), dilation = pair(n, "dilations", 1);
  const Hw extra = pair(n, "output_padding", 0);
  const std::string auto_pad = n.get_string("auto_pad", "NOTSET");
  std::vector<int64_t> output_shape = n.get_ints("output_shape", {});
  if (output_shape.empty() && (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER"))
    output_shape = {checked_mul(x.size(2), stride.h, "ConvTranspose: SAME output height i·s"),
                    checked_mul(x.size(3), stride.w, "ConvTranspose: SAME output width i·s")};
  if (output_shape.size() == 4) output_shape.erase(output_shape.begin(), output_shape.begin() + 2);
  Pad pad[2];
  const int64_t in[2] = {x.size(2), x.size(3)}, k[2] = {kernel.h, kernel.w}, s[2] = {stride.h, stride.w},
                d[2] = {dilation.h, dilation.w}, a[2] = {extra.h, extra.w};
  for (int i = 0; i < 2; ++i) {
    if (!output_shape.empty()) {  // ONNX: the total padding that gives output_shape, split by auto_pad
      check(output_shape.size() == 2, n.label(), ": output_shape must have 2 (or 4) values");
      const int64_t total = checked_sub(conv_transpose_output_size(in[i], k[i], s[i], 0, d[i], a[i]), output_shape[i],
                                        "ConvTranspose: the total padding s(i - 1) + a + k̂ - output_shape");
      // total < 0: output_shape is larger than the full output, which the spec pads with zeros at the end.
      pad[i] = total < 0 ? Pad(0, total)
                         : auto_pad == "SAME_UPPER" ? Pad(total / 2, total - total / 2) : Pad(total - total / 2, total / 2);
    } else if (auto_pad == "NOTSET") {
      const auto p = n.get_ints("pads", {0, 0, 0, 0});
      check(p.size() == 4, n.label(), ": attribute 'pads' must have 4 values, got ", p.size());
      pad[i] = {p[static_cast<std::size_t>(i)], p[static_cast<std::size_t>(i) + 2]};
    } else {
      check(auto_pad == "VALID", n.label(), ": auto_pad '", auto_pad, "' is not supported");
    }
  }
  // The output is the full scatter canvas cropped by pad.begin in front and pad.end behind (a negative
  // end extends it with zeros); PyTorch's operator crops `padding` in front and adds output_padding
  // behind: padding = begin and output_padding = extra + begin - end, when PyTorch allows those.
  Hw padding{pad[0].begin, pad[1].begin};
  Hw output_padding{a[0] + pad[0].begin - pad[0].end, a[1] + pad[1].begin - pad[1].end};
  const bool pytorch = output_padding.h >= 0 && output_padding.w >= 0 &&
                       (output_padding.h < stride.h || output_padding.h < dilation.h) &&
                       (output_padding.w < stride.w || output_padding.w < dilation.w);
  if (!pytorch) padding = output_padding = Hw(0);  // the whole canvas, cropped and padded below
  ConvTranspose2d op(w.dims[0], w.dims[1] * groups, kernel,
                     {.stride = stride, .padding = padding, .output_padding = output_padding, .groups = groups,
                      .bias = n.input(2).has_value(), .dilation = dilation});
  op.set_weight(w.to_tensor(n.label()));
  if (n.input(2)) op.set_bias(b.constant(n, 2).to_tensor(n.label()));
  if (pytorch) {
    const Absorbed absorbed = absorb_followers(b, n, op, op.output_shape(x.shape()));
    auto shared = std::make_shared<const ConvTranspose2d>(std::move(op));
    // Not in place: ConvTranspose2d would copy the residual (ConvTranspose2d::run).
    emit_fused(b, n, absorbed, [shared](const Tensor& x, const Epilogue& e) { return shared->forward(x, e); }, false);
    return;
  }
  auto shared = std::make_shared<const ConvTranspose2d>(std::move(op));
  const Hw begin{pad[0].begin, pad[1].begin};
  const Hw size{checked_sub(checked_sub(conv_transpose_output_size(in[0], k[0], s[0], 0, d[0], a[0]), pad[0].begin,
                                        "ConvTranspose: output height"), pad[0].end, "ConvTranspose: output height"),
                checked_sub(checked_sub(conv_transpose_output_size(in[1], k[1], s[1], 0, d[1], a[1]), pad[1].begin,
                                        "ConvTranspose: output width"), pad[1].end, "ConvTranspose: output width")};
  check(size.h > 0 && size.w > 0, n.label(), ": the output size ", size, " must be positive");
  b.emit(n, {n.inputs[0]}, n.outputs.at(0), [shared, begin, size](std::span<const Tensor* const> in) {
    const Tensor canvas = shared->forward(*in[0]);
    const int64_t channels = canvas.size(1), ch = canvas.size(2), cw = canvas.size(3);
    Tensor y({canvas.size(0), channels, size.h, size.w});
    const Tensor& bias = shared->bias();
    for (int64_t p = 0; p < canvas.size(0) * channels; ++p)
      for (int64_t i = 0; i < size.h; ++i)
        for (int64_t j = 0; j < size.w; ++j) {
          const int64_t r = i + begin.h, c = j + begin.w;
          const bool inside = r >= 0 && r < ch && c >= 0 && c < cw;
          y[(p * size.h + i) * size.w + j] = inside ? canvas[(p * ch + r) * cw + c]
                                                    : bias.defined() ? bias[p % channels] : 0.0f;
        }
    return y;
  });
}

Window pool_window(const Builder& b, const Node& n) {
  const Tensor& x = input4d(b, n);
  check(n.outputs.size() == 1 || n.outputs[1].empty(), n.label(), ": the Indices output is not supported");
  check(n.get_int("storage_order", 0) == 0, n.label(), ": storage_order=1 is not supported");
  const Window win = window(n, pair(n, "kernel_shape", 0), x.size(2), x.size(3));
  // Past the kernel, windows lie wholly in the padding: an average of nothing, a maximum of -inf (ONNX
  // Runtime rejects such pads too).
  for (const auto& [pad, k, d, axis] : {std::tuple(win.pad_h, win.kernel.h, win.dilation.h, "height"),
                                        std::tuple(win.pad_w, win.kernel.w, win.dilation.w, "width")}) {
    const int64_t extent = dilated_kernel_size(k, d);
    check(pad.begin < extent && pad.end < extent, n.label(), ": pads (", pad.begin, ", ", pad.end, ") along the ",
          axis, " must be smaller than the kernel's extent ", extent, ", or windows hold only padding");
  }
  return win;
}

// The end padding windows reach. Under ceil_mode ONNX, as PyTorch, ignores a last window that would start
// in the end padding, where a pool over the explicitly padded input would keep it, over padding alone.
int64_t reached_end_pad(int64_t in, Pad pad, int64_t kernel, int64_t stride, int64_t dilation, bool ceil_mode) {
  if (!ceil_mode) return pad.end;
  const char* what = "pool: padded input size";
  const int64_t extent = dilated_kernel_size(kernel, dilation), start_limit = checked_add(in, pad.begin, what);
  int64_t windows = ceil_div(checked_add(start_limit, pad.end, what) - extent, stride) + 1;
  if ((windows - 1) * stride >= start_limit) --windows;
  return std::min(pad.end, std::max<int64_t>((windows - 1) * stride - start_limit + extent, 0));
}

// Whether PyTorch's pooling operators take these pads: symmetric, at most half the kernel.
bool pytorch_pool_pads(const Window& w) {
  return w.pad_h.begin == w.pad_h.end && w.pad_w.begin == w.pad_w.end && w.pad_h.begin <= w.kernel.h / 2 &&
         w.pad_w.begin <= w.kernel.w / 2;
}

// Other ONNX pads (asymmetric, SAME_UPPER / SAME_LOWER, more than half the kernel) are applied first,
// as an explicit padding step; the pool then runs without padding.
std::shared_ptr<const std::vector<Dims>> explicit_pool_pads(const Node& n, const Tensor& x, const Window& w) {
  if (pytorch_pool_pads(w)) return nullptr;
  const bool ceil_mode = n.get_int("ceil_mode", 0) != 0;
  const int64_t end_h = reached_end_pad(x.size(2), w.pad_h, w.kernel.h, w.stride.h, w.dilation.h, ceil_mode);
  const int64_t end_w = reached_end_pad(x.size(3), w.pad_w, w.kernel.w, w.stride.w, w.dilation.w, ceil_mode);
  return std::make_shared<const std::vector<Dims>>(std::vector<Dims>{
      pad_sources(n, x.size(0), 0, 0, PaddingMode::zeros), pad_sources(n, x.size(1), 0, 0, PaddingMode::zeros),
      pad_sources(n, x.size(2), w.pad_h.begin, end_h, PaddingMode::zeros),
      pad_sources(n, x.size(3), w.pad_w.begin, end_w, PaddingMode::zeros)});
}

void max_pool(Builder& b, const Node& n) {
  const Window win = pool_window(b, n);
  const auto pads = explicit_pool_pads(n, b.tensor(n, 0), win);
  const Hw padding = pads ? Hw(0) : Hw(win.pad_h.begin, win.pad_w.begin);
  auto op = std::make_shared<const MaxPool2d>(
      win.kernel, MaxPool2dOptions{.stride = win.stride, .padding = padding, .dilation = win.dilation,
                                   .ceil_mode = n.get_int("ceil_mode", 0) != 0});
  b.emit(n, {n.inputs.at(0)}, n.outputs[0], [op, pads](std::span<const Tensor* const> in) {
    constexpr float lowest = -std::numeric_limits<float>::infinity();
    return pads ? op->forward(apply_pad(*in[0], *pads, lowest)) : op->forward(*in[0]);
  });
}

void average_pool(Builder& b, const Node& n) {
  const Window win = pool_window(b, n);
  const Tensor& x = b.tensor(n, 0);
  const auto pads = explicit_pool_pads(n, x, win);
  const bool count_include_pad = n.get_int("count_include_pad", 0) != 0;
  const Hw padding = pads ? Hw(0) : Hw(win.pad_h.begin, win.pad_w.begin);
  auto op = std::make_shared<const AvgPool2d>(
      win.kernel, AvgPool2dOptions{.stride = win.stride, .padding = padding,
                                   .ceil_mode = n.get_int("ceil_mode", 0) != 0,
                                   .count_include_pad = count_include_pad || pads, .dilation = win.dilation});
  // Padded first without count_include_pad: the average over the padded input divided by that of a
  // mask of the real pixels is the average over the real pixels of each window.
  std::shared_ptr<const Tensor> mask;
  if (pads && !count_include_pad) {
    std::vector<Dims> plane = {Dims{0}, Dims{0}, (*pads)[2], (*pads)[3]};
    mask = std::make_shared<const Tensor>(op->forward(apply_pad(Tensor::full({1, 1, x.size(2), x.size(3)}, 1.0f), plane, 0.0f)));
  }
  b.emit(n, {n.inputs.at(0)}, n.outputs[0], [op, pads, mask](std::span<const Tensor* const> in) {
    if (!pads) return op->forward(*in[0]);
    Tensor y = op->forward(apply_pad(*in[0], *pads, 0.0f));
    if (mask) {
      const int64_t plane = mask->numel();
      for (int64_t i = 0; i < y.numel(); ++i) y[i] /= (*mask)[i % plane];
    }
    return y;
  });
}

// A global pool's window: the whole plane, which must hold a value to reduce (PyTorch's adaptive pools
// reject an empty one too).
Hw global_window(const Builder& b, const Node& n) {
  const Tensor& x = input4d(b, n);
  check(x.size(2) > 0 && x.size(3) > 0, n.label(), ": expects non-empty spatial axes (the pool reduces each ",
        "plane to one value), but got an input of shape ", x.shape());
  return {x.size(2), x.size(3)};
}

template <class Pool>
void global_pool(Builder& b, const Node& n) {
  auto op = std::make_shared<const Pool>(global_window(b, n));
  b.emit(n, {n.inputs[0]}, n.outputs.at(0), [op](std::span<const Tensor* const> in) { return op->forward(*in[0]); });
}

void batch_norm(Builder& b, const Node& n) {
  input4d(b, n);
  check(n.get_int("training_mode", 0) == 0, n.label(), ": training_mode=1 is not supported (inference only)");
  check(n.outputs.size() == 1, n.label(), ": the running statistics outputs are not supported");
  std::array<std::shared_ptr<const Tensor>, 4> p;  // scale, B, mean, var
  for (std::size_t k = 0; k < 4; ++k) p[k] = std::make_shared<const Tensor>(b.constant(n, k + 1).to_tensor(n.label()));
  const double eps = n.get_float("epsilon", 1e-5f);
  b.emit(n, {n.inputs[0]}, n.outputs[0], [p, eps](std::span<const Tensor* const> in) {
    return batch_norm2d(*in[0], *p[2], *p[3], *p[0], *p[1], eps);
  });
}

}  // namespace

void register_layer_ops(HandlerTable& table) {
  table["Conv"] = conv;
  table["ConvTranspose"] = conv_transpose;
  table["MaxPool"] = max_pool;
  table["AveragePool"] = average_pool;
  table["GlobalAveragePool"] = global_pool<AvgPool2d>;
  table["GlobalMaxPool"] = global_pool<MaxPool2d>;
  table["BatchNormalization"] = batch_norm;
}

}  // namespace strider::onnx
