// Whole models from PyTorch: tests/pytorch/make_module_golden.py's encoder-decoder (a Sequential) and
// U-Net (a Module subclass with cat and add skips), mirrored here line by line, load PyTorch's
// safetensors state_dicts by name and reproduce PyTorch's outputs; BatchNorm folding keeps them.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "nn/nn.hpp"
#include "ops/join.hpp"
#include "test_util.hpp"

namespace strider {
namespace {

using nlohmann::json;
using testing::near;
using testing::rejects;

const std::filesystem::path module_dir = std::filesystem::path(STRIDER_TEST_DATA) / "modules";

const json& manifest() {
  static const json m = [] {
    std::ifstream file(module_dir / "manifest.json");
    return json::parse(file);
  }();
  return m;
}

const Tensor& io(const std::string& name) {
  static const Safetensors file = load_safetensors(module_dir / "models.safetensors");
  return file.tensors.at(name);
}

nn::Sequential encoder_decoder() {
  return nn::Sequential(
      nn::Conv2d(3, 8, 3, {.padding = 1}), nn::BatchNorm2d(8), nn::ReLU(),
      nn::Conv2d(8, 16, 3, {.stride = 2, .padding = 1, .bias = false}), nn::BatchNorm2d(16), nn::LeakyReLU(0.1),
      nn::Dropout(0.2),
      nn::ConvTranspose2d(16, 8, 4, {.stride = 2, .padding = 1}), nn::BatchNorm2d(8), nn::PReLU(8),
      nn::Upsample({.scale_factor = 2, .mode = "bilinear", .align_corners = false}),
      nn::Conv2d(8, 12, 3, {.padding = 1}), nn::Tanh(), nn::PixelShuffle(2),
      nn::Conv2d(3, 3, 1), nn::Identity(), nn::Sigmoid());
}

// class UNet(nn.Module) of make_module_golden.py.
struct UNet : nn::Module {
  nn::Sequential& enc1 = register_module("enc1", nn::Sequential(nn::Conv2d(3, 8, 3, {.padding = 1}),
                                                                 nn::BatchNorm2d(8), nn::ReLU()));
  nn::MaxPool2d& pool = register_module("pool", nn::MaxPool2d(2));
  nn::Sequential& enc2 = register_module("enc2", nn::Sequential(nn::Conv2d(8, 16, 3, {.padding = 1}),
                                                                 nn::BatchNorm2d(16), nn::SiLU()));
  nn::ConvTranspose2d& up = register_module("up", nn::ConvTranspose2d(16, 8, 2, {.stride = 2}));
  nn::Sequential& dec = register_module("dec", nn::Sequential(nn::Conv2d(16, 8, 3, {.padding = 1}), nn::GELU(),
                                                               nn::Conv2d(8, 3, 1)));
  nn::Conv2d& skip = register_module("skip", nn::Conv2d(3, 3, 1));

  Tensor forward(const Tensor& x) const override {
    const Tensor e1 = enc1(x);
    const Tensor e2 = enc2(pool(e1));
    const Tensor d = dec(cat({up(e2), e1}, 1));
    return add(d, skip(x));
  }
  std::string type_name() const override { return "UNet"; }
};

// Model parity: per element |y - y_torch| <= 1e-5 · max|y_torch| + 1e-6, and NMSE <= 1e-11. Both
// sides accumulate float32 rounding through ~6 layers of at most 16·9 + 1 terms (γ_145 ≈ 9e-6 relative
// to the sum of |terms| per layer); measured here: max errors of a few 1e-7, NMSE ~1e-14. A wrong
// weight, tap or channel order gives NMSE ~1e-2 or more.
void expect_model_near(const Tensor& actual, const Tensor& expected) {
  double max_abs = 0, err = 0, ref = 0;
  for (int64_t i = 0; i < expected.numel(); ++i) {
    max_abs = std::max(max_abs, std::abs(static_cast<double>(expected[i])));
    err += std::pow(actual[i] - static_cast<double>(expected[i]), 2);
    ref += std::pow(static_cast<double>(expected[i]), 2);
  }
  EXPECT_TRUE(near(actual, expected, 1e-5 * max_abs + 1e-6));
  EXPECT_LE(err / ref, 1e-11);
}

template <class Model>
void check_model(Model& model, const std::string& name) {
  const json& record = manifest().at("models").at(name);
  EXPECT_EQ(model.repr(), record.at("repr").get<std::string>());
  // Every PyTorch key but BatchNorm's int64 counters, which Strider does not keep.
  std::vector<std::string> keys;
  for (const json& k : record.at("keys"))
    if (!k.get<std::string>().ends_with("num_batches_tracked")) keys.push_back(k);
  std::vector<std::string> ours;
  for (const auto& [key, tensor] : model.state_dict()) ours.push_back(key);
  std::sort(keys.begin(), keys.end());
  EXPECT_EQ(ours, keys);
  std::vector<std::string> parameters;
  for (const auto& [key, tensor] : model.named_parameters()) parameters.push_back(key);
  EXPECT_EQ(parameters, record.at("parameters").get<std::vector<std::string>>()) << "PyTorch's order";

  const nn::LoadResult result = model.load_state_dict(load_safetensors(module_dir / (name + ".safetensors")));
  EXPECT_TRUE(result.missing_keys.empty() && result.unexpected_keys.empty());
  const Tensor& x = io(name + ".input");
  const Tensor& expected = io(name + ".output");
  expect_model_near(model(x), expected);

  const int folded = nn::fold_batch_norms(model);
  EXPECT_EQ(folded, name == "encdec" ? 3 : 2);
  SCOPED_TRACE("after fold_batch_norms");
  expect_model_near(model(x), expected);
}

TEST(NnModel, EncoderDecoderMatchesPyTorch) {
  nn::Sequential model = encoder_decoder();
  check_model(model, "encdec");
}

TEST(NnModel, UNetMatchesPyTorch) {
  UNet model;
  check_model(model, "unet");
  UNet moved = std::move(model);  // children live on the heap: the member references stay valid
  expect_model_near(moved(io("unet.input")), io("unet.output"));
}

TEST(NnModel, HalfAndBfloat16WeightsLoad) {
  nn::Sequential model(nn::Conv2d(2, 4, 3), nn::BatchNorm2d(4));
  model.load_state_dict(load_safetensors(module_dir / "mixed.safetensors"));  // I64 counter ignored
  expect_model_near(model(io("mixed.input")), io("mixed.output"));
}

TEST(NnModel, StrictLoadingListsEveryProblemAtOnce) {
  nn::Sequential model = encoder_decoder();
  const Safetensors bad = load_safetensors(module_dir / "bad_state.safetensors");
  EXPECT_TRUE(rejects([&] { model.load_state_dict(bad); },
                      {"Error(s) in loading state_dict for Sequential:",
                       "Missing key(s) in state_dict: \"0.bias\".",
                       "Unexpected key(s) in state_dict: \"extra.weight\".",
                       "size mismatch for 3.weight: copying a param with shape [16, 8, 3, 2] from checkpoint, the "
                       "shape in current model is [16, 8, 3, 3].",
                       "unsupported tensor for 1.running_var: F64 [8], dtype F64 is not supported"}));
  // Nothing was loaded: the fresh running_var is still all ones.
  EXPECT_EQ(model.state_dict().at("1.running_var")[0], 1.0f);
  // Not strict: missing and unexpected keys are returned, but shape and dtype problems still fail.
  EXPECT_TRUE(rejects([&] { model.load_state_dict(bad, false); }, {"size mismatch for 3.weight", "1.running_var"}));
}

}  // namespace
}  // namespace strider
