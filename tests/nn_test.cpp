// The module system (names, state_dict, loading, repr, folding) and the new operators' argument checks.
#include <gtest/gtest.h>

#include <limits>
#include <sstream>

#include "nn/nn.hpp"
#include "ops/activation.hpp"
#include "ops/batch_norm2d.hpp"
#include "ops/join.hpp"
#include "ops/pixel_shuffle.hpp"
#include "ops/py_float.hpp"
#include "test_util.hpp"

namespace strider {
namespace {

using testing::near;
using testing::random_tensor;
using testing::rejects;
using testing::summation_tolerance;

std::vector<std::string> keys(const StateDict& state) {
  std::vector<std::string> out;
  for (const auto& [key, tensor] : state) out.push_back(key);
  return out;
}

TEST(Nn, SequentialNamesChildrenByIndexAndNestsWithPushBack) {
  nn::Sequential inner(nn::Conv2d(2, 2, 1), nn::ReLU());
  nn::Sequential outer(nn::BatchNorm2d(2));
  outer.push_back(std::move(inner));
  EXPECT_EQ(keys(outer.state_dict()),
            (std::vector<std::string>{"0.bias", "0.running_mean", "0.running_var", "0.weight", "1.0.bias",
                                      "1.0.weight"}));
  EXPECT_EQ(outer.named_parameters().size(), 4u);  // running statistics are buffers
  EXPECT_EQ(outer.repr(),
            "Sequential(\n"
            "  (0): BatchNorm2d(2, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)\n"
            "  (1): Sequential(\n"
            "    (0): Conv2d(2, 2, kernel_size=(1, 1), stride=(1, 1))\n"
            "    (1): ReLU()\n"
            "  )\n"
            ")");
  EXPECT_EQ(outer.at<nn::Sequential>(1).at<nn::Conv2d>(0).op().in_channels(), 2);
  EXPECT_TRUE(rejects([&] { outer.at<nn::Conv2d>(0); }, {"child 0 is a BatchNorm2d"}));
  EXPECT_TRUE(rejects([&] { outer[2]; }, {"Sequential", "child index 2 is out of range for 2 children"}));
  std::ostringstream os;
  os << nn::Sequential();
  EXPECT_EQ(os.str(), "Sequential()");
}

struct Twice : nn::Module {
  nn::Conv2d& a = register_module("a", nn::Conv2d(1, 1, 1));
  Tensor forward(const Tensor& x) const override { return a(x); }
  std::string type_name() const override { return "Twice"; }
  void add_again() { register_module("a", nn::ReLU()); }
  void add_dotted() { register_module("b.c", nn::ReLU()); }
};

TEST(Nn, ChildNamesAreUniqueAndDotFree) {
  Twice m;
  EXPECT_TRUE(rejects([&] { m.add_again(); }, {"Twice", "a child named 'a' is already registered"}));
  EXPECT_TRUE(rejects([&] { m.add_dotted(); }, {"Twice", "no '.'", "'b.c'"}));
}

TEST(Nn, StateDictViewsShareStorageAndLoadCopies) {
  nn::Conv2d conv(2, 3, 3);
  StateDict state = conv.state_dict();
  EXPECT_FALSE(state.at("weight").owns_data());
  EXPECT_EQ(state.at("weight").data(), conv.op().weight().data());

  StateDict replacement;
  replacement.emplace("weight", Tensor::full({3, 2, 3, 3}, 0.5f));
  replacement.emplace("unused", Tensor::zeros({1}));
  const nn::LoadResult r = conv.load_state_dict(replacement, false);
  EXPECT_EQ(r.missing_keys, std::vector<std::string>{"bias"});
  EXPECT_EQ(r.unexpected_keys, std::vector<std::string>{"unused"});
  EXPECT_EQ(conv.op().weight()[0], 0.5f);
  EXPECT_NE(conv.op().weight().data(), replacement.at("weight").data());
  EXPECT_TRUE(rejects([&] { conv.load_state_dict(replacement); },
                      {"Conv2d", "Missing key(s) in state_dict: \"bias\".", "Unexpected key(s) in state_dict: \"unused\"."}));
}

// Folding vs not folding, with random statistics, for the shapes folding must get right: a grouped
// convolution without bias and a grouped transposed convolution.
TEST(Nn, FoldBatchNormsMatchesUnfolded) {
  const auto make = [] {
    nn::Sequential s(nn::Conv2d(4, 6, 3, {.padding = 1, .groups = 2, .bias = false}), nn::BatchNorm2d(6), nn::ReLU(),
                     nn::ConvTranspose2d(6, 4, 4, {.stride = 2, .padding = 1, .groups = 2}), nn::BatchNorm2d(4));
    StateDict state;
    uint64_t seed = 10;
    for (const auto& [key, value] : s.state_dict()) {
      Tensor t = random_tensor(value.shape(), ++seed);
      if (key.ends_with("running_var"))
        for (float& v : t.values()) v = v + 1.5f;  // positive
      state.emplace(key, std::move(t));
    }
    s.load_state_dict(state);
    return s;
  };
  const nn::Sequential plain = make();
  nn::Sequential folded = make();
  EXPECT_EQ(nn::fold_batch_norms(folded), 2);
  EXPECT_EQ(folded[1].type_name(), "Identity");
  EXPECT_TRUE(folded.at<nn::Conv2d>(0).op().options().bias) << "a bias was added";
  EXPECT_EQ(keys(folded.state_dict()), (std::vector<std::string>{"0.bias", "0.weight", "3.bias", "3.weight"}));
  const Tensor x = random_tensor({2, 4, 5, 6}, 1);
  const Tensor expected = plain(x);
  // Both are float32 sums of up to 2·9 + 1 (conv) and 3·16 + 1 (transposed) terms; folding reorders the
  // scaling. Bound: 2 γ_n relative to the same models' outputs magnitude, measured ~1e-7.
  Tensor tolerance = summation_tolerance(testing::abs(expected), expected, 2 * 49);
  for (float& t : tolerance.values()) t += 1e-6f;
  EXPECT_TRUE(near(folded(x), expected, tolerance));
}

TEST(Nn, FuseActivationsIsBitwiseTheSame) {
  nn::Sequential model(nn::Conv2d(3, 8, 3, {.padding = 1}), nn::ReLU(),
                       nn::ConvTranspose2d(8, 6, 4, {.stride = 2, .padding = 1}), nn::BatchNorm2d(6),
                       nn::LeakyReLU(0.2), nn::Conv2d(6, 3, 3, {.padding = 1}), nn::Sigmoid());
  nn::fold_batch_norms(model);
  Tensor x = random_tensor({1, 3, 9, 11}, 4);
  x[5] = std::numeric_limits<float>::quiet_NaN();  // NaN passes through ReLU and LeakyReLU alike
  const Tensor expected = model(x);
  EXPECT_EQ(nn::fuse_activations(model), 3);  // across the folded BatchNorm
  EXPECT_EQ(model[1].type_name(), "Identity");
  EXPECT_EQ(model[4].type_name(), "Identity");
  EXPECT_EQ(model[6].type_name(), "Identity");
  EXPECT_EQ(model.at<nn::ConvTranspose2d>(2).epilogue().steps.at(0).activation.alpha, 0.2f);
  EXPECT_TRUE(near(model(x), expected, 0.0));
  EXPECT_EQ(nn::fuse_activations(model), 0) << "nothing left to fuse";
}

// A chain of every kind of step: the activation's own formula in the store (the same bits), and a
// BatchNorm after an activation as a per-channel affine (an FMA instead of PyTorch's two roundings).
TEST(Nn, FuseActivationChains) {
  nn::Sequential model(nn::Conv2d(3, 8, 3, {.padding = 1}), nn::PReLU(8, 0.1), nn::BatchNorm2d(8), nn::Tanh(),
                       nn::Conv2d(8, 4, 3, {.padding = 1}), nn::ELU(0.5), nn::Hardswish(), nn::Softplus(),
                       nn::ConvTranspose2d(4, 3, 4, {.stride = 2, .padding = 1}), nn::GELU(), nn::SELU(),
                       nn::CELU(2.0), nn::Hardsigmoid(), nn::SiLU(), nn::ReLU6(), nn::MaxPool2d(2));
  const Tensor x = random_tensor({2, 3, 9, 11}, 4);
  const Tensor expected = model(x);
  EXPECT_EQ(nn::fuse_activations(model), 12);
  EXPECT_EQ(model.at<nn::Conv2d>(0).epilogue().str(), "prelu, affine, tanh");
  EXPECT_EQ(model.at<nn::ConvTranspose2d>(8).epilogue().str(), "gelu, selu, celu, hardsigmoid, silu, hardtanh");
  EXPECT_EQ(model[15].type_name(), "MaxPool2d");
  EXPECT_TRUE(near(model(x), expected, 1e-6));
}

TEST(Nn, LayersRejectInvalidArguments) {
  EXPECT_TRUE(rejects([] { nn::Dropout(1.5); }, {"Dropout", "between 0 and 1", "1.5"}));
  EXPECT_TRUE(rejects([] { nn::GELU("fast"); }, {"GELU", "approximate", "'fast'"}));
  EXPECT_TRUE(rejects([] { nn::Hardtanh(1, -1); }, {"Hardtanh", "max_val"}));
  EXPECT_TRUE(rejects([] { nn::PReLU(0); }, {"PReLU", "num_parameters"}));
  EXPECT_TRUE(rejects([] { nn::BatchNorm2d(4, {.track_running_stats = false}); }, {"BatchNorm2d", "track_running_stats"}));
  EXPECT_TRUE(rejects([] { nn::BatchNorm2d(0); }, {"BatchNorm2d", "num_features", "0"}));
  EXPECT_TRUE(rejects([] { nn::PixelShuffle(0); }, {"PixelShuffle", "upscale_factor", "0"}));
  EXPECT_TRUE(rejects([] { nn::PixelUnshuffle(-1); }, {"PixelUnshuffle", "downscale_factor", "-1"}));
}

TEST(Ops, ActivationsRejectInvalidArguments) {
  const Tensor x = Tensor::zeros({2, 3, 4, 5});
  EXPECT_TRUE(rejects([&] { prelu(x, Tensor::zeros({4})); }, {"prelu", "parameter numbers = 4", "channel size = 3"}));
  EXPECT_TRUE(rejects([&] { prelu(Tensor::zeros({5}), Tensor::zeros({5})); }, {"prelu", "channel size = 1"}));
  EXPECT_TRUE(rejects([&] { prelu(x, Tensor::zeros({1, 1})); }, {"prelu", "rank 1"}));
  EXPECT_TRUE(rejects([&] { gelu(x, "erf"); }, {"gelu", "'erf'"}));
  EXPECT_TRUE(rejects([&] { hardtanh(x, 2, 1); }, {"hardtanh", "min_val (2)", "max_val (1)"}));
  EXPECT_TRUE(rejects([&] { relu(Tensor()); }, {"relu", "undefined"}));
  EXPECT_EQ(prelu(Tensor::from_values({2}, {-2, 3}), Tensor::full({1}, 0.5f))[0], -1.0f) << "rank 1, one parameter";
}

TEST(Ops, BatchNormPixelShuffleJoinRejectInvalidArguments) {
  const Tensor c = Tensor::zeros({3});
  EXPECT_TRUE(rejects([&] { batch_norm2d(Tensor::zeros({3, 4, 4}), c, c, Tensor(), Tensor()); },
                      {"BatchNorm2d", "expected 4D input (got 3D input"}));
  EXPECT_TRUE(rejects([&] { batch_norm2d(Tensor::zeros({1, 2, 4, 4}), c, c, Tensor(), Tensor()); },
                      {"BatchNorm2d", "3 channels", "got 2"}));
  EXPECT_TRUE(rejects([&] { batch_norm2d(Tensor::zeros({1, 3, 4, 4}), c, Tensor::zeros({2}), Tensor(), Tensor()); },
                      {"BatchNorm2d", "running_var must have shape [3]", "[2]"}));
  EXPECT_TRUE(rejects([] { pixel_shuffle(Tensor::zeros({1, 6, 2, 2}), 2); },
                      {"pixel_shuffle", "input.size(-3)=6 is not divisible by 4"}));
  EXPECT_TRUE(rejects([] { pixel_shuffle(Tensor::zeros({6, 2}), 1); }, {"pixel_shuffle", "3D or 4D", "[6, 2]"}));
  EXPECT_TRUE(rejects([] { pixel_unshuffle(Tensor::zeros({1, 1, 5, 4}), 2); },
                      {"pixel_unshuffle", "height", "input.size(-2)=5"}));
  EXPECT_TRUE(rejects([] { pixel_unshuffle(Tensor::zeros({1, 1, 4, 5}), 2); },
                      {"pixel_unshuffle", "width", "input.size(-1)=5"}));
  const Tensor a = Tensor::zeros({1, 2, 3, 3});
  EXPECT_TRUE(rejects([&] { cat({a, Tensor::zeros({1, 2, 4, 3})}, 1); },
                      {"cat", "except in dimension 1", "tensor 1 has shape [1, 2, 4, 3]"}));
  EXPECT_TRUE(rejects([&] { cat({a, Tensor::zeros({2, 3, 3})}, 1); }, {"cat", "tensor 1 has rank 3"}));
  EXPECT_TRUE(rejects([&] { cat({a}, 4); }, {"cat", "dim 4 is out of range for tensors of rank 4"}));
  EXPECT_TRUE(rejects([&] { add(a, Tensor::zeros({1, 2, 3, 1})); }, {"add", "no broadcasting", "[1, 2, 3, 1]"}));
  const Tensor round_trip = pixel_shuffle(pixel_unshuffle(Tensor::arange({2, 3, 6, 4}), 2), 2);
  EXPECT_TRUE(near(round_trip, Tensor::arange({2, 3, 6, 4}), 0.0));
}

TEST(Ops, CatPastTheCacheCopiesEveryValue) {
  // 32 MiB of output, which ops/join.cpp writes with streaming stores; rows of 1,025 and 1,023 values put
  // most destinations off a 16-byte boundary, through the copy's head and tail.
  const int64_t rows = 4096;
  const Tensor a = Tensor::arange({1, 1, rows, 1025}), b = Tensor::arange({1, 1, rows, 1023});
  const Tensor c = cat({a, b}, 3);
  ASSERT_EQ(c.shape(), (Shape{1, 1, rows, 2048}));
  int64_t wrong = 0;
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < 2048; ++j) {
      const float expected = j < 1025 ? a.data()[i * 1025 + j] : b.data()[i * 1023 + j - 1025];
      wrong += c.data()[i * 2048 + j] != expected;
    }
  EXPECT_EQ(wrong, 0);
}

TEST(Ops, UpsampleRejectsInvalidArguments) {
  EXPECT_TRUE(rejects([] { Upsample({}); }, {"Upsample", "either size or scale_factor should be defined"}));
  EXPECT_TRUE(rejects([] { Upsample({.size = 4, .scale_factor = 2}); }, {"Upsample", "only one of size or scale_factor"}));
  EXPECT_TRUE(rejects([] { Upsample({.scale_factor = 2, .mode = "bicubic"}); }, {"Upsample", "mode", "'bicubic'"}));
  EXPECT_TRUE(rejects([] { Upsample({.scale_factor = 2, .align_corners = true}); },
                      {"Upsample", "align_corners", "mode='nearest'"}));
  EXPECT_TRUE(rejects([] { Upsample({.size = 4, .recompute_scale_factor = true}); },
                      {"Upsample", "recompute_scale_factor is not meaningful with an explicit size"}));
  EXPECT_TRUE(rejects([] { Upsample({.size = {4, 0}}); }, {"Upsample", "size must be positive", "(4, 0)"}));
  EXPECT_TRUE(rejects([] { Upsample({.scale_factor = {2, -1}}); }, {"Upsample", "scale_factor", "-1.0", "W"}));
  EXPECT_TRUE(rejects([] { Upsample({.scale_factor = std::numeric_limits<double>::infinity()}); },
                      {"Upsample", "positive and finite", "inf"}));
  const Upsample down({.scale_factor = 0.1});
  EXPECT_TRUE(rejects([&] { down(Tensor::zeros({1, 1, 5, 5})); },
                      {"Upsample", "output sizes should be greater than 0", "output (H: 0, W: 0)"}));
  EXPECT_TRUE(rejects([&] { down(Tensor::zeros({1, 5, 5})); }, {"Upsample", "4D input", "[1, 5, 5]"}));
  const Upsample huge({.scale_factor = 1e300});
  EXPECT_TRUE(rejects([&] { huge(Tensor::zeros({1, 1, 5, 5})); }, {"Upsample", "larger than"}));
}

TEST(Ops, PyFloatPrintsLikePython) {
  const auto repr = [](double v) {
    std::ostringstream os;
    os << PyFloat{v};
    return os.str();
  };
  EXPECT_EQ(repr(2.0), "2.0");
  EXPECT_EQ(repr(0.2), "0.2");
  EXPECT_EQ(repr(1e-5), "1e-05");
  EXPECT_EQ(repr(0.0001), "0.0001");
  EXPECT_EQ(repr(-1.5), "-1.5");
  EXPECT_EQ(repr(1e16), "1e+16");
  EXPECT_EQ(repr(123456.789), "123456.789");
  EXPECT_EQ(repr(1.25e-7), "1.25e-07");
  EXPECT_EQ(repr(0.0), "0.0");
}

}  // namespace
}  // namespace strider
