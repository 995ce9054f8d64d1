#include "fold.hpp"

#include <optional>

#include "../ops/batch_norm2d.hpp"
#include "activation.hpp"
#include "layers.hpp"

namespace strider::nn {

namespace {

// A copy of `weight` with each value v of output channel o(i) replaced by v · scale[o(i)].
template <class OutputChannel>
Tensor scale_channels(const Tensor& weight, const ChannelAffine& a, OutputChannel output_channel) {
  Tensor w(weight.shape());
  const int64_t per_row = weight.numel() / (weight.size(0) * weight.size(1));  // kH · kW
  for (int64_t i = 0; i < weight.numel(); ++i) {
    const int64_t row = i / per_row;  // (weight axis 0, weight axis 1)
    w[i] = static_cast<float>(weight[i] * a.scale[static_cast<std::size_t>(output_channel(row))]);
  }
  return w;
}

Tensor folded_bias(const Tensor& bias, const ChannelAffine& a) {
  Tensor b({static_cast<int64_t>(a.scale.size())});
  for (int64_t o = 0; o < b.numel(); ++o) {
    const auto c = static_cast<std::size_t>(o);
    b[o] = static_cast<float>((bias.defined() ? bias[o] : 0.0) * a.scale[c] + a.shift[c]);
  }
  return b;
}

// A new operator with the same arguments but bias=true, holding the folded parameters.
template <class Op>
Op folded(const Op& op, const ChannelAffine& a, Tensor weight) {
  auto options = op.options();
  options.bias = true;
  Op out(op.in_channels(), op.out_channels(), op.kernel_size(), options);
  out.set_weight(std::move(weight));
  out.set_bias(folded_bias(op.bias(), a));
  return out;
}

bool fold_pair(Module& first, const BatchNorm2d& bn) {
  const ChannelAffine a =
      batch_norm_affine(bn.running_mean(), bn.running_var(), bn.weight(), bn.bias(), bn.options().eps);
  if (auto* conv = dynamic_cast<Conv2d*>(&first); conv && conv->op().out_channels() == bn.num_features()) {
    conv->op() = fold_affine(conv->op(), a);
    return true;
  }
  if (auto* conv = dynamic_cast<ConvTranspose2d*>(&first); conv && conv->op().out_channels() == bn.num_features()) {
    conv->op() = fold_affine(conv->op(), a);
    return true;
  }
  return false;
}

// The output channels of a convolution layer, or 0 if `m` is none.
int64_t conv_channels(const Module& m) {
  if (const auto* conv = dynamic_cast<const Conv2d*>(&m)) return conv->op().out_channels();
  if (const auto* conv = dynamic_cast<const ConvTranspose2d*>(&m)) return conv->op().out_channels();
  return 0;
}

// `m` as an epilogue step for a convolution of `channels` outputs, if the kernels can apply it: an
// activation, or a BatchNorm2d (after an activation: a per-channel affine).
std::optional<Epilogue> as_step(const Module& m, int64_t channels) {
  if (const auto* activation = dynamic_cast<const ActivationModule*>(&m)) {
    Activation a = activation->activation();
    if (a.kind == Activation::Kind::prelu && a.weight.size() != 1 && static_cast<int64_t>(a.weight.size()) != channels)
      return std::nullopt;  // forward would reject it: leave it to do so
    return Epilogue::of(std::move(a));
  }
  if (const auto* bn = dynamic_cast<const BatchNorm2d*>(&m); bn && bn->num_features() == channels) {
    const ChannelAffine a =
        batch_norm_affine(bn->running_mean(), bn->running_var(), bn->weight(), bn->bias(), bn->options().eps);
    return Epilogue().then_affine(std::vector<float>(a.scale.begin(), a.scale.end()),
                                  std::vector<float>(a.shift.begin(), a.shift.end()));
  }
  return std::nullopt;
}

// Appends `steps` to the convolution's epilogue.
void fuse_into(Module& conv, const Epilogue& steps) {
  const auto fuse = [&](auto* layer) {
    if (layer == nullptr) return;
    Epilogue e = layer->epilogue();
    e.steps.insert(e.steps.end(), steps.steps.begin(), steps.steps.end());
    layer->set_epilogue(e);
  };
  fuse(dynamic_cast<Conv2d*>(&conv));
  fuse(dynamic_cast<ConvTranspose2d*>(&conv));
}

}  // namespace

int fuse_activations(Module& model) {
  int fused = 0;
  auto children = model.named_children();
  if (auto* seq = dynamic_cast<Sequential*>(&model)) {
    for (std::size_t i = 0; i + 1 < children.size(); ++i) {
      const int64_t channels = conv_channels(*children[i].second);
      if (channels == 0) continue;
      // The chain after the convolution, Identity children (folded BatchNorms) skipped.
      for (std::size_t next = i + 1; next < children.size(); ++next) {
        if (dynamic_cast<const Identity*>(children[next].second)) continue;
        const std::optional<Epilogue> step = as_step(*children[next].second, channels);
        if (!step) break;
        fuse_into(*children[i].second, *step);
        seq->replace(next, Identity());  // frees the fused module: refresh the pointers
        children = model.named_children();
        ++fused;
      }
    }
  }
  for (auto& [name, child] : children) fused += fuse_activations(*child);
  return fused;
}

strider::Conv2d fold_affine(const strider::Conv2d& op, const ChannelAffine& a) {
  // weight [Cout, Cin / G, kH, kW]: row r = o · (Cin / G) + c.
  const int64_t per_out = op.weight().size(1);
  return folded(op, a, scale_channels(op.weight(), a, [&](int64_t r) { return r / per_out; }));
}

strider::ConvTranspose2d fold_affine(const strider::ConvTranspose2d& op, const ChannelAffine& a) {
  // weight [Cin, Cout / G, kH, kW]: row r = c · (Cout / G) + o, output channel g · Cout / G + o.
  const int64_t group_in = op.in_channels() / op.options().groups, group_out = op.weight().size(1);
  return folded(op, a, scale_channels(op.weight(), a, [&](int64_t r) {
    return (r / group_out) / group_in * group_out + r % group_out;
  }));
}

int fold_batch_norms(Module& model) {
  int folded_count = 0;
  auto children = model.named_children();
  if (auto* seq = dynamic_cast<Sequential*>(&model)) {
    for (std::size_t i = 0; i + 1 < children.size(); ++i) {
      const auto* bn = dynamic_cast<const BatchNorm2d*>(children[i + 1].second);
      if (bn && fold_pair(*children[i].second, *bn)) {
        seq->replace(i + 1, Identity());  // frees the BatchNorm2d: refresh the pointers
        children = model.named_children();
        ++folded_count;
      }
    }
  }
  for (auto& [name, child] : children) folded_count += fold_batch_norms(*child);
  return folded_count;
}

}  // namespace strider::nn
