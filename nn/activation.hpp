#pragma once
// torch.nn's activation modules over ops/activation.hpp, with PyTorch's constructors, defaults and repr.
// `inplace=` is not taken: forward always returns a new tensor. Each is an ActivationModule: what it
// computes is an Activation, which fuse_activations (nn/fold.hpp) moves into a convolution's store.
#include <string>

#include "../ops/activation.hpp"
#include "module.hpp"

namespace strider::nn {

class ActivationModule : public Module {
 public:
  Tensor forward(const Tensor& input) const override { return activate(input, activation()); }
  virtual strider::Activation activation() const = 0;
};

// A module without arguments.
template <strider::Activation::Kind K>
class Simple : public ActivationModule {
 public:
  explicit Simple(std::string name) : name_(std::move(name)) {}
  strider::Activation activation() const override { return {K}; }
  std::string type_name() const override { return name_; }

 private:
  std::string name_;
};

class ReLU : public Simple<strider::Activation::Kind::relu> {
 public:
  ReLU() : Simple("ReLU") {}
};
class Sigmoid : public Simple<strider::Activation::Kind::sigmoid> {
 public:
  Sigmoid() : Simple("Sigmoid") {}
};
class Tanh : public Simple<strider::Activation::Kind::tanh> {
 public:
  Tanh() : Simple("Tanh") {}
};
class SiLU : public Simple<strider::Activation::Kind::silu> {
 public:
  SiLU() : Simple("SiLU") {}
};
class SELU : public Simple<strider::Activation::Kind::selu> {
 public:
  SELU() : Simple("SELU") {}
};
// relu6(x + 3) / 6
class Hardsigmoid : public ActivationModule {
 public:
  strider::Activation activation() const override { return hardsigmoid_activation(); }
  std::string type_name() const override { return "Hardsigmoid"; }
};
class Hardswish : public Simple<strider::Activation::Kind::hardswish> {
 public:
  Hardswish() : Simple("Hardswish") {}
};

class LeakyReLU : public ActivationModule {
 public:
  explicit LeakyReLU(double negative_slope = 0.01) : negative_slope_(negative_slope) {}
  strider::Activation activation() const override { return leaky_relu_activation(negative_slope_); }
  std::string type_name() const override { return "LeakyReLU"; }
  std::string extra_repr() const override;
  double negative_slope() const { return negative_slope_; }

 private:
  double negative_slope_;
};

// state_dict: weight [num_parameters], initialised to `init`.
class PReLU : public ActivationModule {
 public:
  explicit PReLU(int64_t num_parameters = 1, double init = 0.25);
  Tensor forward(const Tensor& input) const override { return prelu(input, weight_); }
  strider::Activation activation() const override { return prelu_activation(weight_); }
  std::string type_name() const override { return "PReLU"; }
  std::string extra_repr() const override { return "num_parameters=" + std::to_string(weight_.numel()); }
  const Tensor& weight() const { return weight_; }

 protected:
  std::vector<StateEntry> own_state() const override { return {{"weight", &weight_}}; }
  void set_state(const std::string&, Tensor value) override { weight_ = std::move(value); }

 private:
  Tensor weight_;
};

// approximate: "none" (erf) or "tanh".
class GELU : public ActivationModule {
 public:
  explicit GELU(std::string approximate = "none");
  strider::Activation activation() const override { return gelu_activation(approximate_); }
  std::string type_name() const override { return "GELU"; }
  std::string extra_repr() const override { return "approximate='" + approximate_ + "'"; }

 private:
  std::string approximate_;
};

// Clamps to [min_val, max_val] (torch.clamp as a module).
class Hardtanh : public ActivationModule {
 public:
  explicit Hardtanh(double min_val = -1.0, double max_val = 1.0);
  strider::Activation activation() const override { return clip_activation(min_val_, max_val_); }
  std::string type_name() const override { return "Hardtanh"; }
  std::string extra_repr() const override;

 private:
  double min_val_, max_val_;
};

class ReLU6 : public Hardtanh {
 public:
  ReLU6() : Hardtanh(0.0, 6.0) {}
  std::string type_name() const override { return "ReLU6"; }
  std::string extra_repr() const override { return {}; }
};

// ELU and CELU: alpha (CELU's must not be 0).
class ELU : public ActivationModule {
 public:
  explicit ELU(double alpha = 1.0) : alpha_(alpha) {}
  strider::Activation activation() const override { return elu_activation(alpha_); }
  std::string type_name() const override { return "ELU"; }
  std::string extra_repr() const override;

 private:
  double alpha_;
};

class CELU : public ActivationModule {
 public:
  explicit CELU(double alpha = 1.0);
  strider::Activation activation() const override { return celu_activation(alpha_); }
  std::string type_name() const override { return "CELU"; }
  std::string extra_repr() const override;

 private:
  double alpha_;
};

class Softplus : public ActivationModule {
 public:
  explicit Softplus(double beta = 1.0, double threshold = 20.0);
  strider::Activation activation() const override { return softplus_activation(beta_, threshold_); }
  std::string type_name() const override { return "Softplus"; }
  std::string extra_repr() const override;

 private:
  double beta_, threshold_;
};

}  // namespace strider::nn
