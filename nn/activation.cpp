#include "activation.hpp"

#include <sstream>

#include "../ops/activation.hpp"
#include "../ops/py_float.hpp"

namespace strider::nn {

Tensor ReLU::forward(const Tensor& input) const { return relu(input); }

Tensor LeakyReLU::forward(const Tensor& input) const { return leaky_relu(input, negative_slope_); }
std::string LeakyReLU::extra_repr() const {
  std::ostringstream os;
  os << "negative_slope=" << PyFloat{negative_slope_};
  return os.str();
}

PReLU::PReLU(int64_t num_parameters, double init) {
  check(num_parameters > 0, "PReLU: num_parameters must be positive, but got ", num_parameters);
  weight_ = Tensor::full({num_parameters}, static_cast<float>(init));
}
Tensor PReLU::forward(const Tensor& input) const { return prelu(input, weight_); }

Tensor Sigmoid::forward(const Tensor& input) const { return sigmoid(input); }
Tensor Tanh::forward(const Tensor& input) const { return strider::tanh(input); }
Tensor SiLU::forward(const Tensor& input) const { return silu(input); }

GELU::GELU(std::string approximate) : approximate_(std::move(approximate)) {
  check(approximate_ == "none" || approximate_ == "tanh",
        "GELU: approximate argument must be either none or tanh, but got approximate='", approximate_, "'");
}
Tensor GELU::forward(const Tensor& input) const { return gelu(input, approximate_); }

Hardtanh::Hardtanh(double min_val, double max_val) : min_val_(min_val), max_val_(max_val) {
  check(max_val > min_val, "Hardtanh: max_val (", max_val, ") must be greater than min_val (", min_val, ")");
}
Tensor Hardtanh::forward(const Tensor& input) const { return hardtanh(input, min_val_, max_val_); }
std::string Hardtanh::extra_repr() const {
  std::ostringstream os;
  os << "min_val=" << PyFloat{min_val_} << ", max_val=" << PyFloat{max_val_};
  return os.str();
}

}  // namespace strider::nn
