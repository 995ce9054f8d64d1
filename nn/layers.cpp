#include "layers.hpp"

#include <sstream>

#include "../ops/batch_norm2d.hpp"
#include "../ops/pixel_shuffle.hpp"
#include "../ops/py_float.hpp"

namespace strider::nn {

namespace {

// The operators already print PyTorch's full repr, "Conv2d(3, 8, kernel_size=(3, 3), ...)"; a
// module's extra_repr is what lies inside the outer parentheses.
template <class Op>
std::string inner_repr(const Op& op) {
  std::ostringstream os;
  os << op;
  const std::string text = os.str();
  const std::size_t open = text.find('(');
  return text.substr(open + 1, text.size() - open - 2);
}

}  // namespace

template <class Op>
std::string ConvLayer<Op>::extra_repr() const {
  return inner_repr(op_);
}

template <class Op>
std::vector<Module::StateEntry> ConvLayer<Op>::own_state() const {
  std::vector<StateEntry> entries{{"weight", &op_.weight()}};
  if (op_.bias().defined()) entries.push_back({"bias", &op_.bias()});
  return entries;
}

template <class Op>
void ConvLayer<Op>::set_state(const std::string& name, Tensor value) {
  if (name == "weight") op_.set_weight(std::move(value));
  else op_.set_bias(std::move(value));
}

template class ConvLayer<strider::Conv2d>;
template class ConvLayer<strider::ConvTranspose2d>;

std::string MaxPool2d::extra_repr() const { return inner_repr(op_); }
std::string AvgPool2d::extra_repr() const { return inner_repr(op_); }
std::string Upsample::extra_repr() const { return inner_repr(op_); }

BatchNorm2d::BatchNorm2d(int64_t num_features, BatchNorm2dOptions options) : options_(options) {
  check(num_features > 0, "BatchNorm2d: num_features must be positive, but got ", num_features);
  check(options.track_running_stats,
        "BatchNorm2d: track_running_stats=false normalises with batch statistics; Strider runs BatchNorm2d at "
        "inference only, with running statistics");
  // PyTorch's initial values: weight 1, bias 0, running_mean 0, running_var 1.
  if (options.affine) {
    weight_ = Tensor::full({num_features}, 1.0f);
    bias_ = Tensor::zeros({num_features});
  }
  running_mean_ = Tensor::zeros({num_features});
  running_var_ = Tensor::full({num_features}, 1.0f);
}

Tensor BatchNorm2d::forward(const Tensor& input) const {
  return batch_norm2d(input, running_mean_, running_var_, weight_, bias_, options_.eps);
}

std::string BatchNorm2d::extra_repr() const {
  std::ostringstream os;
  os << num_features() << ", eps=" << PyFloat{options_.eps} << ", momentum=";
  if (options_.momentum) os << PyFloat{*options_.momentum};
  else os << "None";
  os << ", affine=" << (options_.affine ? "True" : "False") << ", track_running_stats=True";
  return os.str();
}

std::vector<Module::StateEntry> BatchNorm2d::own_state() const {
  std::vector<StateEntry> entries;
  if (options_.affine) entries = {{"weight", &weight_}, {"bias", &bias_}};
  entries.push_back({"running_mean", &running_mean_, true});
  entries.push_back({"running_var", &running_var_, true});
  return entries;
}

void BatchNorm2d::set_state(const std::string& name, Tensor value) {
  Tensor& slot = name == "weight" ? weight_ : name == "bias" ? bias_ : name == "running_mean" ? running_mean_
                                                                                               : running_var_;
  slot = std::move(value);
}

Dropout::Dropout(double p) : p_(p) {
  check(p >= 0 && p <= 1, "Dropout: dropout probability has to be between 0 and 1, but got ", p);
}

std::string Dropout::extra_repr() const {
  std::ostringstream os;
  os << "p=" << PyFloat{p_} << ", inplace=False";
  return os.str();
}

PixelShuffle::PixelShuffle(int64_t upscale_factor) : factor_(upscale_factor) {
  check(upscale_factor > 0, "PixelShuffle: upscale_factor must be greater than 0, but got ", upscale_factor);
}
Tensor PixelShuffle::forward(const Tensor& input) const { return pixel_shuffle(input, factor_); }

PixelUnshuffle::PixelUnshuffle(int64_t downscale_factor) : factor_(downscale_factor) {
  check(downscale_factor > 0, "PixelUnshuffle: downscale_factor must be greater than 0, but got ", downscale_factor);
}
Tensor PixelUnshuffle::forward(const Tensor& input) const { return pixel_unshuffle(input, factor_); }

}  // namespace strider::nn
