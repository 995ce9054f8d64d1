// The layers (activations, BatchNorm2d, Upsample, PixelShuffle/Unshuffle, cat, add) against PyTorch 1.13
// outputs recorded by tests/pytorch/make_module_golden.py, and their repr against PyTorch's.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/safetensors.hpp"
#include "module_spec.hpp"
#include "nn/nn.hpp"
#include "ops/join.hpp"
#include "test_util.hpp"

namespace strider {
namespace {

using nlohmann::json;
using testing::abs;
using testing::near;
using testing::summation_tolerance;

const std::filesystem::path module_dir = std::filesystem::path(STRIDER_TEST_DATA) / "modules";
constexpr double u = 0x1p-24;  // float32 unit roundoff

const json& manifest() {
  static const json m = [] {
    std::ifstream file(module_dir / "manifest.json");
    return json::parse(file);
  }();
  return m;
}

const StateDict& tensors() {
  static const Safetensors file = load_safetensors(module_dir / "ops.safetensors");
  return file.tensors;
}

const Tensor& tensor(const std::string& name) {
  const auto it = tensors().find(name);
  if (it == tensors().end()) throw std::logic_error("ops.safetensors has no " + name);
  return it->second;
}

// The module a record describes, with its parameters loaded by name (strict) from "<case>.<name>".
std::unique_ptr<nn::Module> make_module(const json& record) {
  std::unique_ptr<nn::Module> m = testing::make_layer(record.at("op"), record.at("args"));
  StateDict state;
  const std::string prefix = record.at("name").get<std::string>() + ".";
  for (const auto& [key, value] : tensors())
    if (key.starts_with(prefix) && !key.starts_with(prefix + "input") && key != prefix + "output")
      state.emplace(key.substr(prefix.size()), value.view(value.shape()));
  m->load_state_dict(state);
  return m;
}

// Tolerances, per op (u = 2^-24):
// - selections and permutations (ReLU, LeakyReLU, PReLU, Hardtanh, nearest Upsample, PixelShuffle, cat)
//   and a single rounding (add): exact.
// - sigmoid, tanh: PyTorch's vectorised float functions and ours are each a few ulps off the definition
//   (ours <= 4 ulps, tests/activation_test.cpp): 16 u |y|.
// - silu, gelu: x · f(x) with f as above, and gelu's 1 + erf(x/√2) cancels for negative x, where the
//   error is relative to |x|, not |y|: 4 u (|y| + |x|).
// - BatchNorm2d: PyTorch rounds α = w / sqrt(var + eps) and β = b - μ α, then x α + β: 4 u (|x α| + |μ α| + |b|).
// - bilinear Upsample: the 4-term weighted sum, Higham's γ_4 applied to the same interpolation of |x|,
//   plus the rounding of the source coordinate: PyTorch's float coordinates (ratio · (dst + 0.5) - 0.5,
//   ATen's formula, which we follow) are not bitwise ours (its kernels' evaluation order and
//   vectorisation differ per memory format — measured: up to 8 u relative), and a coordinate off by
//   u · src moves the value by up to u · src · |x[i1] - x[i0]|. So + 2 u (H + W) max|x|: far below what
//   a wrong tap or a half-pixel shift gives (~|x|/out).
Tensor tolerance(const json& record, const nn::Module& m, const Tensor& x, const Tensor& expected) {
  const std::string op = record.at("op");
  Tensor tol = Tensor::zeros(expected.shape());
  if (op == "sigmoid" || op == "tanh") {
    for (int64_t i = 0; i < tol.numel(); ++i) tol[i] = static_cast<float>(16 * u * std::abs(expected[i]));
  } else if (op == "silu" || op == "gelu") {
    for (int64_t i = 0; i < tol.numel(); ++i)
      tol[i] = static_cast<float>(16 * u * (std::abs(expected[i]) + std::abs(x[i])));
  } else if (op == "BatchNorm2d") {
    const auto& bn = dynamic_cast<const nn::BatchNorm2d&>(m);
    const int64_t c_count = bn.num_features(), plane = x.size(2) * x.size(3);
    for (int64_t i = 0; i < tol.numel(); ++i) {
      const int64_t c = (i / plane) % c_count;
      const double alpha =
          (bn.weight().defined() ? bn.weight()[c] : 1.0) / std::sqrt(bn.running_var()[c] + bn.options().eps);
      const double b = bn.bias().defined() ? bn.bias()[c] : 0.0;
      tol[i] = static_cast<float>(4 * u * (std::abs(x[i] * alpha) + std::abs(bn.running_mean()[c] * alpha) + std::abs(b)));
    }
  } else if (op == "Upsample" && record.at("args").at("mode") == "bilinear") {
    tol = summation_tolerance(m(abs(x)), expected, 4);
    double max_abs = 0;
    for (const float v : x.values()) max_abs = std::max(max_abs, std::abs(static_cast<double>(v)));
    const double coordinate = 2 * u * static_cast<double>(x.size(2) + x.size(3)) * max_abs;
    for (float& t : tol.values()) t += static_cast<float>(coordinate);
  }
  return tol;
}

std::vector<std::string> case_names() {
  std::vector<std::string> out;
  for (const json& record : manifest().at("cases")) out.push_back(record.at("name"));
  return out;
}

const json& find_case(const std::string& name) {
  for (const json& record : manifest().at("cases"))
    if (record.at("name") == name) return record;
  throw std::logic_error("no case " + name);
}

std::string test_name(const ::testing::TestParamInfo<std::string>& info) { return info.param; }

class ModuleGolden : public ::testing::TestWithParam<std::string> {};

TEST_P(ModuleGolden, MatchesPyTorch) {
  const json& record = find_case(GetParam());
  SCOPED_TRACE(record.dump());
  const std::string name = record.at("name");
  const std::string op = record.at("op");
  const Tensor& x = tensor(name + ".input");
  const Tensor& expected = tensor(name + ".output");
  if (op == "cat" || op == "add") {
    const Tensor& y = tensor(name + ".input1");
    const Tensor actual = op == "add" ? add(x, y) : cat({x, y}, record.at("args").at("dim").get<int>());
    EXPECT_TRUE(near(actual, expected, 0.0));
    return;
  }
  const std::unique_ptr<nn::Module> m = make_module(record);
  EXPECT_EQ(m->repr(), record.at("repr").get<std::string>());
  EXPECT_TRUE(near(m->forward(x), expected, tolerance(record, *m, x, expected)));
}
INSTANTIATE_TEST_SUITE_P(PyTorch, ModuleGolden, ::testing::ValuesIn(case_names()), test_name);

TEST(ModuleGolden, ManifestCoversEveryLayer) {
  std::map<std::string, int> per_op;
  for (const json& record : manifest().at("cases")) ++per_op[record.at("op")];
  EXPECT_GE(per_op["Upsample"], 60);
  for (const char* op : {"relu", "leaky_relu", "prelu", "sigmoid", "tanh", "silu", "gelu", "hardtanh", "relu6",
                         "BatchNorm2d", "PixelShuffle", "PixelUnshuffle", "cat", "add"})
    EXPECT_GE(per_op[op], 1) << op;
}

}  // namespace
}  // namespace strider
