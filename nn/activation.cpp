#include "activation.hpp"

#include <sstream>

#include "../ops/py_float.hpp"

namespace strider::nn {

namespace {

std::string arguments_repr(std::initializer_list<std::pair<const char*, double>> arguments) {
  std::ostringstream os;
  const char* separator = "";
  for (const auto& [name, value] : arguments) {
    os << separator << name << '=' << PyFloat{value};
    separator = ", ";
  }
  return os.str();
}

}  // namespace

std::string LeakyReLU::extra_repr() const { return arguments_repr({{"negative_slope", negative_slope_}}); }

PReLU::PReLU(int64_t num_parameters, double init) {
  check(num_parameters > 0, "PReLU: num_parameters must be positive, but got ", num_parameters);
  weight_ = Tensor::full({num_parameters}, static_cast<float>(init));
}

GELU::GELU(std::string approximate) : approximate_(std::move(approximate)) {
  check(approximate_ == "none" || approximate_ == "tanh",
        "GELU: approximate argument must be either none or tanh, but got approximate='", approximate_, "'");
}

Hardtanh::Hardtanh(double min_val, double max_val) : min_val_(min_val), max_val_(max_val) {
  check(max_val > min_val, "Hardtanh: max_val (", max_val, ") must be greater than min_val (", min_val, ")");
}
std::string Hardtanh::extra_repr() const { return arguments_repr({{"min_val", min_val_}, {"max_val", max_val_}}); }

std::string ELU::extra_repr() const { return arguments_repr({{"alpha", alpha_}}); }

CELU::CELU(double alpha) : alpha_(alpha) { celu_activation(alpha); }
std::string CELU::extra_repr() const { return arguments_repr({{"alpha", alpha_}}); }

Softplus::Softplus(double beta, double threshold) : beta_(beta), threshold_(threshold) {
  softplus_activation(beta, threshold);
}
std::string Softplus::extra_repr() const { return arguments_repr({{"beta", beta_}, {"threshold", threshold_}}); }

}  // namespace strider::nn
