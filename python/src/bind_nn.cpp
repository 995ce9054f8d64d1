// strider._strider.nn: torch.nn's leaf modules over Strider's nn:: modules. strider/nn.py gives them
// PyTorch's signatures and argument forms and turns them into (int, int) pairs, strings and Nones
// before they reach these factories; composition (Sequential, user modules) lives in Python.
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include <pybind11/stl.h>

#include "bindings.hpp"
#include "core/safetensors.hpp"
#include "nn/activation.hpp"
#include "nn/layers.hpp"
#include "numpy_tensor.hpp"

namespace strider::python {

namespace {

using Pair = std::pair<int64_t, int64_t>;
using OptionalPair = std::optional<Pair>;

Hw hw(Pair p) { return {p.first, p.second}; }
OptionalHw optional_hw(const OptionalPair& p) { return p ? OptionalHw(p->first, p->second) : std::nullopt; }

// One C++ module, shared by every Python thread that calls it: forward() runs without the GIL under a
// shared lock, so that loading weights (an exclusive lock) never races a running forward.
class Leaf {
 public:
  explicit Leaf(std::unique_ptr<nn::Module> module) : module_(std::move(module)) {}

  py::array forward(py::handle x) const {
    return run(x, [this](const Tensor& input) { return (*module_)(input); });
  }

  // ConvTranspose2d's output_size: [H, W] or the full shape, choosing the output_padding.
  py::array forward_output_size(py::handle x, const std::vector<int64_t>& output_size) const {
    const auto& conv = as<nn::ConvTranspose2d>();
    return run(x, [&](const Tensor& input) { return conv.op().forward(input, output_size, conv.epilogue()); });
  }

  // MaxPool2d(return_indices=True): (output, indices), indices int64 of the output's shape.
  py::tuple forward_with_indices(py::handle x) const {
    const auto& pool = as<nn::MaxPool2d>();
    TensorArg in = to_tensor(x, type_name() + ": input");
    MaxPool2dResult result;
    {
      py::gil_scoped_release nogil;
      std::shared_lock lock(mutex_);
      result = pool.op().forward_with_indices(in.tensor);
    }
    const Shape& shape = result.output.shape();
    auto indices = std::make_unique<std::vector<int64_t>>(std::move(result.indices));
    int64_t* data = indices->data();
    const py::capsule base(indices.release(), [](void* p) { delete static_cast<std::vector<int64_t>*>(p); });
    py::array_t<int64_t> index_array(std::vector<py::ssize_t>(shape.begin(), shape.end()), data, base);
    return py::make_tuple(to_numpy(std::move(result.output)), std::move(index_array));
  }

  std::string type_name() const { return module_->type_name(); }
  std::string repr() const { return module_->repr(); }

  // name -> a float32 copy (a view could outlive the tensor that a later load replaces), in PyTorch's
  // order: the parameters as registered, then the buffers.
  py::dict state_dict() const {
    std::shared_lock lock(mutex_);
    StateDict state = module_->state_dict();
    py::dict out;
    for (const auto& [name, parameter] : module_->named_parameters()) out[py::str(name)] = to_numpy(parameter->clone());
    for (const auto& [name, view] : state)
      if (!out.contains(name)) out[py::str(name)] = to_numpy(view.clone());
    return out;
  }

  // PyTorch's rules and messages (nn::Module::load_state_dict); `state` maps names to arrays.
  void load_state_dict(const py::dict& state, bool strict) {
    std::vector<TensorArg> args;
    StateDict tensors;
    for (const auto& [key, value] : state) {
      const auto name = py::cast<std::string>(key);
      args.push_back(to_tensor(value, type_name() + ": state_dict entry '" + name + "'"));
      tensors.emplace(name, args.back().tensor.view(args.back().tensor.shape()));
    }
    py::gil_scoped_release nogil;
    std::unique_lock lock(mutex_);
    module_->load_state_dict(tensors, strict);
  }

 private:
  template <class M>
  const M& as() const {
    const auto* typed = dynamic_cast<const M*>(module_.get());
    check(typed != nullptr, type_name(), " has no such call form");  // nn.py calls each form on its type only
    return *typed;
  }

  template <class Fn>
  py::array run(py::handle x, const Fn& fn) const {
    TensorArg in = to_tensor(x, type_name() + ": input");
    Tensor y;
    {
      py::gil_scoped_release nogil;
      std::shared_lock lock(mutex_);
      y = fn(in.tensor);
    }
    return to_numpy(std::move(y));
  }

  std::unique_ptr<nn::Module> module_;
  mutable std::shared_mutex mutex_;
};

template <class M, class... Args>
std::unique_ptr<Leaf> make(Args&&... args) {
  return std::make_unique<Leaf>(std::make_unique<M>(std::forward<Args>(args)...));
}

}  // namespace

void bind_nn(py::module_& strider) {
  py::module_ m = strider.def_submodule("nn", "torch.nn's leaf modules (strider/nn.py wraps them)");
  py::class_<Leaf>(m, "Leaf")
      .def("forward", &Leaf::forward)
      .def("forward_output_size", &Leaf::forward_output_size)
      .def("forward_with_indices", &Leaf::forward_with_indices)
      .def("type_name", &Leaf::type_name)
      .def("__repr__", &Leaf::repr)
      .def("state_dict", &Leaf::state_dict)
      .def("load_state_dict", &Leaf::load_state_dict, py::arg("state"), py::arg("strict") = true);

  m.def("conv2d", [](int64_t in, int64_t out, Pair kernel, Pair stride, std::variant<std::string, Pair> padding,
                     Pair dilation, int64_t groups, bool bias, std::string padding_mode) {
    const Conv2dPadding pad = std::holds_alternative<std::string>(padding)
                                  ? Conv2dPadding(std::get<std::string>(padding))
                                  : Conv2dPadding(std::get<Pair>(padding).first, std::get<Pair>(padding).second);
    return make<nn::Conv2d>(in, out, hw(kernel),
                            Conv2dOptions{.stride = hw(stride), .padding = pad, .dilation = hw(dilation),
                                          .groups = groups, .bias = bias, .padding_mode = std::move(padding_mode)});
  });
  m.def("conv_transpose2d", [](int64_t in, int64_t out, Pair kernel, Pair stride, Pair padding, Pair output_padding,
                               int64_t groups, bool bias, Pair dilation, std::string padding_mode) {
    return make<nn::ConvTranspose2d>(
        in, out, hw(kernel),
        ConvTranspose2dOptions{.stride = hw(stride), .padding = hw(padding), .output_padding = hw(output_padding),
                               .groups = groups, .bias = bias, .dilation = hw(dilation),
                               .padding_mode = std::move(padding_mode)});
  });
  m.def("max_pool2d", [](Pair kernel, OptionalPair stride, Pair padding, Pair dilation, bool return_indices,
                         bool ceil_mode) {
    return make<nn::MaxPool2d>(hw(kernel), MaxPool2dOptions{.stride = optional_hw(stride), .padding = hw(padding),
                                                            .dilation = hw(dilation),
                                                            .return_indices = return_indices,
                                                            .ceil_mode = ceil_mode});
  });
  m.def("avg_pool2d", [](Pair kernel, OptionalPair stride, Pair padding, bool ceil_mode, bool count_include_pad,
                         std::optional<int64_t> divisor_override) {
    return make<nn::AvgPool2d>(hw(kernel), AvgPool2dOptions{.stride = optional_hw(stride), .padding = hw(padding),
                                                            .ceil_mode = ceil_mode,
                                                            .count_include_pad = count_include_pad,
                                                            .divisor_override = divisor_override});
  });
  m.def("batch_norm2d", [](int64_t num_features, double eps, std::optional<double> momentum, bool affine,
                           bool track_running_stats) {
    return make<nn::BatchNorm2d>(num_features, nn::BatchNorm2dOptions{.eps = eps, .momentum = momentum,
                                                                      .affine = affine,
                                                                      .track_running_stats = track_running_stats});
  });
  m.def("upsample", [](std::optional<std::variant<int64_t, Pair>> size,
                       std::optional<std::variant<double, std::pair<double, double>>> scale_factor, std::string mode,
                       std::optional<bool> align_corners, std::optional<bool> recompute_scale_factor) {
    UpsampleOptions options{.mode = std::move(mode), .align_corners = align_corners,
                            .recompute_scale_factor = recompute_scale_factor};
    if (size) {
      if (const auto* pair = std::get_if<Pair>(&*size)) options.size = OptionalSize(pair->first, pair->second);
      else options.size = std::get<int64_t>(*size);
    }
    if (scale_factor) {
      if (const auto* pair = std::get_if<std::pair<double, double>>(&*scale_factor))
        options.scale_factor = OptionalScale(pair->first, pair->second);
      else options.scale_factor = std::get<double>(*scale_factor);
    }
    return make<nn::Upsample>(std::move(options));
  });
  m.def("relu", [] { return make<nn::ReLU>(); });
  m.def("leaky_relu", [](double negative_slope) { return make<nn::LeakyReLU>(negative_slope); });
  m.def("prelu", [](int64_t num_parameters, double init) { return make<nn::PReLU>(num_parameters, init); });
  m.def("sigmoid", [] { return make<nn::Sigmoid>(); });
  m.def("tanh", [] { return make<nn::Tanh>(); });
  m.def("silu", [] { return make<nn::SiLU>(); });
  m.def("gelu", [](std::string approximate) { return make<nn::GELU>(std::move(approximate)); });
  m.def("hardtanh", [](double min_val, double max_val) { return make<nn::Hardtanh>(min_val, max_val); });
  m.def("relu6", [] { return make<nn::ReLU6>(); });
  m.def("dropout", [](double p) { return make<nn::Dropout>(p); });
  m.def("identity", [] { return make<nn::Identity>(); });
  m.def("pixel_shuffle", [](int64_t factor) { return make<nn::PixelShuffle>(factor); });
  m.def("pixel_unshuffle", [](int64_t factor) { return make<nn::PixelUnshuffle>(factor); });

  // (tensors, unsupported): name -> float32 array, and name -> why it is not a float32 tensor.
  m.def("load_safetensors", [](const std::string& path) {
    Safetensors file = strider::load_safetensors(path);
    py::dict tensors, unsupported;
    for (auto& [name, tensor] : file.tensors) tensors[py::str(name)] = to_numpy(std::move(tensor));
    for (const auto& [name, entry] : file.unsupported) unsupported[py::str(name)] = entry.dtype + ": " + entry.reason;
    return py::make_tuple(tensors, unsupported);
  });
}

}  // namespace strider::python
