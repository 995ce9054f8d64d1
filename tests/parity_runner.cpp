// parity-runner DIR: runs the cases tests/pytorch/parity.py wrote into DIR through both of Strider's
// paths — load_onnx(<case>.onnx), and the case's layers built from its spec with weights loaded from
// <case>.safetensors — and writes <case>.onnx.npy and <case>.safetensors.npy. A path that throws prints
// "<case>.<path>\t<message>" instead. parity.py compares the outputs with PyTorch's.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>

#include <nlohmann/json.hpp>

#include "core/npy.hpp"
#include "core/safetensors.hpp"
#include "module_spec.hpp"
#include "onnx/onnx_model.hpp"
#include "ops/join.hpp"

using namespace strider;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

// The case's graph: value 0 is the input, layer i computes value i + 1 from the values it lists.
Tensor run_spec(const json& record, const fs::path& base, const Tensor& input) {
  const StateDict weights = load_safetensors(fs::path(base) += ".safetensors").tensors;
  std::vector<Tensor> values;
  values.push_back(input.clone());
  for (const json& layer : record.at("layers")) {
    const std::string op = layer.at("op");
    std::vector<const Tensor*> in;
    for (const json& i : layer.at("inputs")) in.push_back(&values.at(i.get<std::size_t>()));
    if (op == "cat") {
      values.push_back(cat(std::span<const Tensor* const>(in), 1));
    } else if (op == "add") {
      values.push_back(add(*in.at(0), *in.at(1)));
    } else {
      const auto module = testing::make_layer(op, layer.at("args"));
      StateDict state;
      const std::string prefix = layer.at("name").get<std::string>() + ".";
      for (const auto& [key, value] : weights)
        if (key.starts_with(prefix)) state.emplace(key.substr(prefix.size()), value.view(value.shape()));
      module->load_state_dict(state);
      values.push_back(module->forward(*in.at(0)));
    }
  }
  return std::move(values.back());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: parity-runner DIR (written by tests/pytorch/parity.py)\n";
    return 2;
  }
  const fs::path dir = argv[1];
  std::ifstream file(dir / "cases.json");
  const json manifest = json::parse(file);
  for (const json& record : manifest.at("cases")) {
    const std::string name = record.at("name");
    const fs::path base = dir / name;
    const Tensor input = load_npy(fs::path(base) += ".input.npy");
    if (record.at("onnx").get<bool>()) try {
      OnnxModel model = load_onnx(fs::path(base) += ".onnx");
      const Tensor first = model.run(input);
      const Tensor again = model.run(input);  // replays the plan built by the first run
      if (max_abs_diff(first, again) != 0) throw std::runtime_error("the second run differs from the first");
      save_npy(fs::path(base) += ".onnx.npy", first);
    } catch (const std::exception& e) {
      std::cout << name << ".onnx\t" << e.what() << '\n';
    }
    try {
      save_npy(fs::path(base) += ".safetensors.npy", run_spec(record, base, input));
    } catch (const std::exception& e) {
      std::cout << name << ".safetensors\t" << e.what() << '\n';
    }
  }
  return 0;
}
