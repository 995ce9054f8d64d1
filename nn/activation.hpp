#pragma once
// torch.nn's activation modules over ops/activation.hpp, with PyTorch's constructors and repr.
// `inplace=` is not taken: forward always returns a new tensor.
#include <string>

#include "module.hpp"

namespace strider::nn {

class ReLU : public Module {
 public:
  Tensor forward(const Tensor& input) const override;
  std::string type_name() const override { return "ReLU"; }
};

class LeakyReLU : public Module {
 public:
  explicit LeakyReLU(double negative_slope = 0.01) : negative_slope_(negative_slope) {}
  Tensor forward(const Tensor& input) const override;
  std::string type_name() const override { return "LeakyReLU"; }
  std::string extra_repr() const override;
  double negative_slope() const { return negative_slope_; }

 private:
  double negative_slope_;
};

// state_dict: weight [num_parameters], initialised to `init`.
class PReLU : public Module {
 public:
  explicit PReLU(int64_t num_parameters = 1, double init = 0.25);
  Tensor forward(const Tensor& input) const override;
  std::string type_name() const override { return "PReLU"; }
  std::string extra_repr() const override { return "num_parameters=" + std::to_string(weight_.numel()); }
  const Tensor& weight() const { return weight_; }

 protected:
  std::vector<StateEntry> own_state() const override { return {{"weight", &weight_}}; }
  void set_state(const std::string&, Tensor value) override { weight_ = std::move(value); }

 private:
  Tensor weight_;
};

class Sigmoid : public Module {
 public:
  Tensor forward(const Tensor& input) const override;
  std::string type_name() const override { return "Sigmoid"; }
};

class Tanh : public Module {
 public:
  Tensor forward(const Tensor& input) const override;
  std::string type_name() const override { return "Tanh"; }
};

class SiLU : public Module {
 public:
  Tensor forward(const Tensor& input) const override;
  std::string type_name() const override { return "SiLU"; }
};

// approximate: "none" (erf) or "tanh".
class GELU : public Module {
 public:
  explicit GELU(std::string approximate = "none");
  Tensor forward(const Tensor& input) const override;
  std::string type_name() const override { return "GELU"; }
  std::string extra_repr() const override { return "approximate='" + approximate_ + "'"; }

 private:
  std::string approximate_;
};

// Clamps to [min_val, max_val] (torch.clamp as a module).
class Hardtanh : public Module {
 public:
  explicit Hardtanh(double min_val = -1.0, double max_val = 1.0);
  Tensor forward(const Tensor& input) const override;
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

}  // namespace strider::nn
