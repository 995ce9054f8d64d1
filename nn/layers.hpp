#pragma once
// The torch.nn layers an encoder-decoder or U-Net needs, as Modules with PyTorch's constructors,
// state_dict entries and repr. Convolutions and pools wrap the ops/ operators (op() gives access).
// Activations are in activation.hpp; skip connections use cat() and add() from ops/join.hpp.
#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "../ops/conv2d.hpp"
#include "../ops/conv_transpose2d.hpp"
#include "../ops/pool2d.hpp"
#include "../ops/upsample.hpp"
#include "module.hpp"

namespace strider::nn {

// A convolution module: Conv2d or ConvTranspose2d around its ops/ operator, with the pointwise chain
// fused into the operator's output store. state_dict: weight, bias (when options.bias).
template <class Op>
class ConvLayer : public Module {
 public:
  template <class Options>
  ConvLayer(int64_t in_channels, int64_t out_channels, Hw kernel_size, Options options)
      : op_(in_channels, out_channels, kernel_size, std::move(options)) {}
  Tensor forward(const Tensor& input) const override { return op_.forward(input, epilogue_); }
  std::string extra_repr() const override;
  Op& op() { return op_; }
  const Op& op() const { return op_; }
  // The activation fused into the convolution's output (fuse_activations sets it).
  const Epilogue& epilogue() const { return epilogue_; }
  void set_epilogue(const Epilogue& epilogue) { epilogue_ = epilogue; }

 protected:
  std::vector<StateEntry> own_state() const override;
  void set_state(const std::string& name, Tensor value) override;

 private:
  Op op_;
  Epilogue epilogue_;
};

// weight [out, in / groups, kH, kW].
class Conv2d : public ConvLayer<strider::Conv2d> {
 public:
  Conv2d(int64_t in_channels, int64_t out_channels, Hw kernel_size, Conv2dOptions options = {})
      : ConvLayer(in_channels, out_channels, kernel_size, std::move(options)) {}
  std::string type_name() const override { return "Conv2d"; }
};

// weight [in, out / groups, kH, kW].
class ConvTranspose2d : public ConvLayer<strider::ConvTranspose2d> {
 public:
  ConvTranspose2d(int64_t in_channels, int64_t out_channels, Hw kernel_size, ConvTranspose2dOptions options = {})
      : ConvLayer(in_channels, out_channels, kernel_size, std::move(options)) {}
  std::string type_name() const override { return "ConvTranspose2d"; }
};

extern template class ConvLayer<strider::Conv2d>;  // instantiated in layers.cpp
extern template class ConvLayer<strider::ConvTranspose2d>;

class MaxPool2d : public Module {
 public:
  explicit MaxPool2d(Hw kernel_size, MaxPool2dOptions options = {}) : op_(kernel_size, options) {}
  Tensor forward(const Tensor& input) const override { return op_(input); }
  std::string type_name() const override { return "MaxPool2d"; }
  std::string extra_repr() const override;
  const strider::MaxPool2d& op() const { return op_; }

 private:
  strider::MaxPool2d op_;
};

class AvgPool2d : public Module {
 public:
  explicit AvgPool2d(Hw kernel_size, AvgPool2dOptions options = {}) : op_(kernel_size, options) {}
  Tensor forward(const Tensor& input) const override { return op_(input); }
  std::string type_name() const override { return "AvgPool2d"; }
  std::string extra_repr() const override;
  const strider::AvgPool2d& op() const { return op_; }

 private:
  strider::AvgPool2d op_;
};

// torch.nn.BatchNorm2d's keyword arguments. Strider runs it at inference (eval mode) only, so it needs
// track_running_stats; momentum only shows in the repr.
struct BatchNorm2dOptions {
  double eps = 1e-5;
  std::optional<double> momentum = 0.1;
  bool affine = true;
  bool track_running_stats = true;
};

// BatchNorm2d in eval mode (ops/batch_norm2d.hpp). state_dict: weight, bias (when affine), running_mean,
// running_var (buffers); num_batches_tracked (int64 in PyTorch) is accepted and ignored. fold_batch_norms
// (fold.hpp) merges it into a preceding convolution.
class BatchNorm2d : public Module {
 public:
  explicit BatchNorm2d(int64_t num_features, BatchNorm2dOptions options = {});
  Tensor forward(const Tensor& input) const override;
  std::string type_name() const override { return "BatchNorm2d"; }
  std::string extra_repr() const override;

  int64_t num_features() const { return running_mean_.numel(); }
  const BatchNorm2dOptions& options() const { return options_; }
  const Tensor& weight() const { return weight_; }  // undefined unless affine
  const Tensor& bias() const { return bias_; }
  const Tensor& running_mean() const { return running_mean_; }
  const Tensor& running_var() const { return running_var_; }

 protected:
  std::vector<StateEntry> own_state() const override;
  void set_state(const std::string& name, Tensor value) override;
  std::vector<std::string> ignored_state() const override { return {"num_batches_tracked"}; }

 private:
  BatchNorm2dOptions options_;
  Tensor weight_, bias_, running_mean_, running_var_;
};

// Identity at inference (PyTorch's eval mode); p must lie in [0, 1].
class Dropout : public Module {
 public:
  explicit Dropout(double p = 0.5);
  Tensor forward(const Tensor& input) const override { return input.clone(); }
  std::string type_name() const override { return "Dropout"; }
  std::string extra_repr() const override;

 private:
  double p_;
};

class Identity : public Module {
 public:
  Tensor forward(const Tensor& input) const override { return input.clone(); }
  std::string type_name() const override { return "Identity"; }
};

class Upsample : public Module {
 public:
  explicit Upsample(UpsampleOptions options) : op_(std::move(options)) {}
  Tensor forward(const Tensor& input) const override { return op_(input); }
  std::string type_name() const override { return "Upsample"; }
  std::string extra_repr() const override;
  const strider::Upsample& op() const { return op_; }

 private:
  strider::Upsample op_;
};

class PixelShuffle : public Module {
 public:
  explicit PixelShuffle(int64_t upscale_factor);
  Tensor forward(const Tensor& input) const override;
  std::string type_name() const override { return "PixelShuffle"; }
  std::string extra_repr() const override { return "upscale_factor=" + std::to_string(factor_); }

 private:
  int64_t factor_;
};

class PixelUnshuffle : public Module {
 public:
  explicit PixelUnshuffle(int64_t downscale_factor);
  Tensor forward(const Tensor& input) const override;
  std::string type_name() const override { return "PixelUnshuffle"; }
  std::string extra_repr() const override { return "downscale_factor=" + std::to_string(factor_); }

 private:
  int64_t factor_;
};

}  // namespace strider::nn
