// strider.load_onnx: OnnxModel with its inputs and outputs by name. OnnxModel::run is const and
// thread-safe, so calls run without the GIL and without a lock of ours.
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <pybind11/stl.h>

#include "bindings.hpp"
#include "core/check.hpp"
#include "numpy_tensor.hpp"
#include "onnx/onnx_model.hpp"

namespace strider::python {

namespace {

class Model {
 public:
  explicit Model(const std::string& path) : path_(path), model_(load_onnx(path)) {}

  // model(x): the one input to the one output.
  py::array call(py::handle x) const {
    check(model_.input_count() == 1 && model_.output_count() == 1, "OnnxModel: model(x) needs one input and one "
          "output, but '", path_, "' has ", model_.input_count(), " and ", model_.output_count(),
          ": use model.run({name: array})");
    TensorArg in = to_tensor(x, "OnnxModel: input '" + model_.inputs()[0].name + "'");
    Tensor y;
    {
      py::gil_scoped_release nogil;
      y = model_.run(in.tensor);
    }
    return to_numpy(std::move(y));
  }

  // {input name: array} -> {output name: array} in the file's order; OnnxModel checks the names.
  py::dict run(const py::dict& feeds) const {
    std::vector<TensorArg> args;
    std::map<std::string, Tensor> inputs;
    for (const auto& [key, value] : feeds) {
      const auto name = py::cast<std::string>(key);
      args.push_back(to_tensor(value, "OnnxModel: input '" + name + "'"));
      inputs.emplace(name, args.back().tensor.view(args.back().tensor.shape()));
    }
    std::map<std::string, Tensor> results;
    {
      py::gil_scoped_release nogil;
      results = model_.run(inputs);
    }
    py::dict out;
    for (const TensorInfo& output : model_.outputs())
      out[py::str(output.name)] = to_numpy(std::move(results.at(output.name)));
    return out;
  }

  const OnnxModel& model() const { return model_; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  OnnxModel model_;
};

}  // namespace

void bind_onnx(py::module_& m) {
  // shape: the declared dimensions, -1 for an open one; None when the file does not give the rank.
  py::class_<TensorInfo>(m, "TensorInfo")
      .def_readonly("name", &TensorInfo::name)
      .def_property_readonly("shape", [](const TensorInfo& info) {
        return info.dims.empty() ? std::nullopt : std::optional(info.dims);
      })
      .def_readonly("type", &TensorInfo::type)
      .def("__repr__", [](const TensorInfo& info) {
        return "TensorInfo(name=" + py::repr(py::str(info.name)).cast<std::string>() + ", shape=" +
               py::repr(py::cast(info.dims.empty() ? std::nullopt : std::optional(info.dims))).cast<std::string>() +
               ", type=" + py::repr(py::str(info.type)).cast<std::string>() + ")";
      });
  py::class_<Model>(m, "OnnxModel")
      .def("__call__", &Model::call, py::arg("x"))
      .def("run", &Model::run, py::arg("inputs"))
      .def_property_readonly("inputs", [](const Model& model) { return model.model().inputs(); })
      .def_property_readonly("outputs", [](const Model& model) { return model.model().outputs(); })
      .def("__repr__", [](const Model& model) { return "OnnxModel('" + model.path() + "')"; });
  m.def("load_onnx", [](const std::string& path) { return std::make_unique<Model>(path); }, py::arg("path"),
        "Loads an .onnx file written by torch.onnx.export");
}

}  // namespace strider::python
