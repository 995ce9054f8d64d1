#pragma once
// Folding inference BatchNorm2d into the convolution before it: y = BN(conv(x)) becomes one convolution
// with weight'[o] = weight[o] · scale[o] and bias'[o] = bias[o] · scale[o] + shift[o], where
// scale = weight_bn / sqrt(running_var + eps) and shift = bias_bn - running_mean · scale. Saves a pass
// over the activations; the result equals the unfolded one up to float rounding.
//
//   model.load_state_dict(load_safetensors("model.safetensors"));   // PyTorch's keys, BN included
//   fold_batch_norms(model);                                        // then run
//
// Only a Conv2d / ConvTranspose2d directly followed by a BatchNorm2d of as many channels inside a
// Sequential is folded (elsewhere the order of calls lives in a forward() we cannot see). The
// BatchNorm2d is replaced by Identity, so the names of later children do not change; state_dict()
// no longer lists it. A convolution without bias gets one.
#include "../ops/batch_norm2d.hpp"
#include "../ops/conv2d.hpp"
#include "../ops/conv_transpose2d.hpp"
#include "module.hpp"

namespace strider::nn {

// The convolution that computes op followed by the per-channel map `a` (batch_norm_affine of the
// BatchNorm2d): same arguments, bias=true. The ONNX loader folds BatchNormalization nodes with these.
strider::Conv2d fold_affine(const strider::Conv2d& op, const ChannelAffine& a);
strider::ConvTranspose2d fold_affine(const strider::ConvTranspose2d& op, const ChannelAffine& a);

// Folds every such pair in the module tree; returns how many.
int fold_batch_norms(Module& model);

// Fuses the chain of pointwise modules that follows a Conv2d / ConvTranspose2d inside a Sequential —
// any activation module (nn/activation.hpp) and BatchNorm2d (one that fold_batch_norms left, after an
// activation) — into the convolution's output store (its Epilogue, in order), saving a pass over the
// activations each; the fused modules become Identity (Identity children in between are skipped).
// ReLU and LeakyReLU give the same bits; the others agree within the activations' stated ulps.
// Returns how many modules were fused. Call it after loading weights and after fold_batch_norms.
int fuse_activations(Module& model);

}  // namespace strider::nn
