#include "onnx_model.hpp"

#include <algorithm>
#include <fstream>
#include <iterator>
#include <string>

#include "../core/check.hpp"
#include "model.hpp"
#include "plan.hpp"

namespace strider {

OnnxModel::OnnxModel(onnx::Model model)
    : model_(std::make_unique<onnx::Model>(std::move(model))), plan_(std::make_unique<onnx::Plan>()) {
  for (const onnx::Node& node : model_->nodes)
    check(onnx::handlers().count(node.op) != 0, node.label(), ": operator ", node.op, " is not supported");
}

OnnxModel::OnnxModel(OnnxModel&&) noexcept = default;
OnnxModel& OnnxModel::operator=(OnnxModel&&) noexcept = default;
OnnxModel::~OnnxModel() = default;

Tensor OnnxModel::run(const Tensor& input) {
  check(model_->inputs.size() == 1 && model_->outputs.size() == 1, "run(input): the model has ",
        model_->inputs.size(), " inputs and ", model_->outputs.size(), " outputs; use run(inputs)");
  const Tensor* inputs[] = {&input};
  return std::move(run(inputs).front());
}

std::vector<Tensor> OnnxModel::run(std::span<const Tensor* const> inputs) {
  check(inputs.size() == model_->inputs.size(), "the model has ", model_->inputs.size(), " inputs, but got ",
        inputs.size());
  bool same = !plan_->input_shapes.empty();  // a plan exists: for these shapes?
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const onnx::ValueInfo& info = model_->inputs[i];
    const Shape& shape = inputs[i]->shape();
    bool matches = info.dims.empty() || info.dims.size() == static_cast<std::size_t>(shape.rank());
    for (std::size_t k = 0; matches && k < info.dims.size(); ++k)
      matches = info.dims[k] < 0 || info.dims[k] == shape[static_cast<int>(k)];
    if (!matches) {
      std::string declared;
      for (int64_t d : info.dims) declared += (declared.empty() ? "" : ", ") + (d < 0 ? "?" : std::to_string(d));
      fail("input '", info.name, "' has shape ", shape, ", but the model declares [", declared, "]");
    }
    same = same && i < plan_->input_shapes.size() && plan_->input_shapes[i] == shape;
  }
  for (const onnx::FrozenInput& frozen : plan_->frozen_inputs) {
    const std::span<const float> now = inputs[frozen.index]->values();
    same = same && std::equal(now.begin(), now.end(), frozen.values.begin(), frozen.values.end());
  }
  if (same) return onnx::run_plan(*plan_, inputs);
  return onnx::build_plan(*model_, inputs, *plan_);
}

std::size_t OnnxModel::input_count() const { return model_->inputs.size(); }
std::size_t OnnxModel::output_count() const { return model_->outputs.size(); }
std::vector<int64_t> OnnxModel::input_dims(std::size_t i) const { return model_->inputs.at(i).dims; }
int64_t OnnxModel::opset() const { return model_->opset; }

std::vector<std::string> OnnxModel::plan() const {
  std::vector<std::string> lines;
  for (const onnx::Step& step : plan_->steps) lines.push_back(step.label);
  return lines;
}

OnnxModel parse_onnx(std::string_view bytes, std::string_view name) {
  return OnnxModel(onnx::parse_model(bytes, name));
}

OnnxModel load_onnx(const std::filesystem::path& path) {
  std::ifstream file(path, std::ios::binary);
  check(file.good(), path.string(), ": cannot open the file");
  const std::string bytes((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  return parse_onnx(bytes, path.string());
}

}  // namespace strider
