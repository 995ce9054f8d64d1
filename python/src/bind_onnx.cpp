// strider.load_onnx: OnnxModel with its inputs and outputs by name.
// The names come from the loader's parsed model (onnx/model.hpp) until OnnxModel exposes them itself.
#include <fstream>
#include <iterator>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include <pybind11/stl.h>

#include "bindings.hpp"
#include "core/check.hpp"
#include "numpy_tensor.hpp"
#include "onnx/model.hpp"
#include "onnx/onnx_model.hpp"

namespace strider::python {

namespace {

struct Value {
  std::string name;
  std::optional<std::vector<int64_t>> shape;  // -1 for an open dimension; none when the file does not say
};

class Model {
 public:
  explicit Model(const std::string& path) : model_(parse(path)) {}

  // model(x): the one input to the one output.
  py::array call(py::handle x) {
    check(inputs_.size() == 1 && outputs_.size() == 1, "OnnxModel: model(x) needs one input and one output, but '",
          path_, "' has ", inputs_.size(), " and ", outputs_.size(), ": use model.run({name: array})");
    TensorArg in = to_tensor(x, "OnnxModel: input '" + inputs_[0].name + "'");
    Tensor y;
    {
      py::gil_scoped_release nogil;
      std::lock_guard lock(mutex_);
      y = model_.run(in.tensor);
    }
    return to_numpy(std::move(y));
  }

  // {input name: array} -> {output name: array}; every input must be given, and nothing else.
  py::dict run(const py::dict& feeds) {
    std::vector<TensorArg> args;
    for (const Value& input : inputs_) {
      check(feeds.contains(input.name), "OnnxModel.run: missing input '", input.name, "' (inputs: ", names(inputs_),
            ")");
      args.push_back(to_tensor(feeds[py::str(input.name)], "OnnxModel: input '" + input.name + "'"));
    }
    for (const auto& [key, value] : feeds) {
      const std::string name = py::str(key);
      bool known = false;
      for (const Value& input : inputs_) known = known || input.name == name;
      check(known, "OnnxModel.run: '", name, "' is not an input of the model (inputs: ", names(inputs_), ")");
    }
    std::vector<const Tensor*> pointers;
    for (const TensorArg& arg : args) pointers.push_back(&arg.tensor);
    std::vector<Tensor> results;
    {
      py::gil_scoped_release nogil;
      std::lock_guard lock(mutex_);
      results = model_.run(pointers);
    }
    py::dict out;
    for (std::size_t i = 0; i < results.size(); ++i) out[py::str(outputs_[i].name)] = to_numpy(std::move(results[i]));
    return out;
  }

  const std::vector<Value>& inputs() const { return inputs_; }
  const std::vector<Value>& outputs() const { return outputs_; }
  const std::string& path() const { return path_; }

 private:
  OnnxModel parse(const std::string& path) {
    path_ = path;
    std::ifstream file(path, std::ios::binary);
    check(file.good(), path, ": cannot open the file");
    const std::string bytes((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
    onnx::Model parsed = onnx::parse_model(bytes, path);
    for (const onnx::ValueInfo& input : parsed.inputs)
      inputs_.push_back({input.name, input.dims.empty() ? std::nullopt : std::optional(input.dims)});
    for (const std::string& output : parsed.outputs) outputs_.push_back({output, std::nullopt});
    return OnnxModel(std::move(parsed));
  }

  static std::string names(const std::vector<Value>& values) {
    std::string out;
    for (const Value& v : values) out += (out.empty() ? "'" : ", '") + v.name + "'";
    return out;
  }

  std::string path_;
  std::vector<Value> inputs_, outputs_;
  OnnxModel model_;
  std::mutex mutex_;  // run() builds and caches plans: one call at a time per model
};

}  // namespace

void bind_onnx(py::module_& m) {
  py::class_<Value>(m, "OnnxValue")
      .def_readonly("name", &Value::name)
      .def_readonly("shape", &Value::shape)
      .def("__repr__", [](const Value& v) {
        return "OnnxValue(name=" + py::repr(py::str(v.name)).cast<std::string>() +
               ", shape=" + py::repr(py::cast(v.shape)).cast<std::string>() + ")";
      });
  py::class_<Model>(m, "OnnxModel")
      .def("__call__", &Model::call, py::arg("x"))
      .def("run", &Model::run, py::arg("inputs"))
      .def_property_readonly("inputs", &Model::inputs)
      .def_property_readonly("outputs", &Model::outputs)
      .def("__repr__", [](const Model& model) { return "OnnxModel('" + model.path() + "')"; });
  m.def("load_onnx", [](const std::string& path) { return std::make_unique<Model>(path); }, py::arg("path"),
        "Loads an .onnx file written by torch.onnx.export");
}

}  // namespace strider::python
