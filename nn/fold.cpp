#include "fold.hpp"

#include "../ops/batch_norm2d.hpp"
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

}  // namespace

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
