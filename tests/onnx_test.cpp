// The ONNX loader on hand-built models (ModelProto from Debian's onnx_proto): what torch.onnx.export
// does not emit but ONNX allows (asymmetric pads, DCR DepthToSpace, ConvTranspose output_shape), the
// fusions, and the rejection of broken or unsupported files. tests/pytorch/parity.py covers torch's files.
#include <string>
#include <vector>

#include "onnx_builder.hpp"
#include "ops/activation.hpp"
#include "ops/conv2d.hpp"
#include "ops/pixel_shuffle.hpp"
#include "test_util.hpp"

namespace strider {
namespace {

using testing::ModelBuilder;
using testing::near;
using testing::random_tensor;
using testing::rejects;
using testing::set_int;
using testing::set_ints;
using testing::set_string;

TEST(Onnx, AsymmetricConvPadsMatchTheReference) {
  ModelBuilder m({1, 3, 7, 6});
  const Tensor w = random_tensor({4, 3, 3, 2}, 1), b = random_tensor({4}, 2);
  m.weight("w", w);
  m.weight("b", b);
  auto* conv = m.node("Conv", {"x", "w", "b"}, "y");
  set_ints(conv, "pads", {0, 2, 1, 1});  // top, left, bottom, right
  set_ints(conv, "strides", {2, 1});
  const Tensor x = random_tensor({1, 3, 7, 6}, 3);
  Conv2dParams p{.kernel = {3, 2}, .stride = {2, 1}, .pad_h = {0, 1}, .pad_w = {2, 1}};
  EXPECT_TRUE(near(m.load().run(x), ref::conv2d(x, w, b, p), 1e-5));
}

TEST(Onnx, ConvThenReluIsOneFusedStep) {
  ModelBuilder m({1, 2, 5, 5});
  m.weight("w", random_tensor({3, 2, 3, 3}, 4));
  set_ints(m.node("Conv", {"x", "w"}, "c"), "pads", {1, 1, 1, 1});
  m.node("Relu", {"c"}, "y");
  OnnxModel model = m.load();
  const Tensor y = model.run(random_tensor({1, 2, 5, 5}, 5));
  EXPECT_EQ(model.plan(), std::vector<std::string>{"Conv node 'n0'"});
  for (float v : y.values()) EXPECT_GE(v, 0.0f);
}

// The ResBlock of EDSR / SRVGGNet: y = x + 0.1 · prelu(conv(x)), with the per-channel slope as torch
// exports it ([C, 1, 1]); then a Sigmoid after the residual add. One step, as the unfused operators.
TEST(Onnx, ConvChainWithResidualIsOneFusedStep) {
  ModelBuilder m({1, 4, 6, 7});
  const Tensor w = random_tensor({4, 4, 3, 3}, 4), b = random_tensor({4}, 5);
  const Tensor slope = Tensor::from_values({4, 1, 1}, {0.1f, -0.2f, 0.3f, 0.25f});
  m.weight("w", w);
  m.weight("b", b);
  m.weight("slope", slope);
  m.weight("s", Tensor::full({1}, 0.1f));
  set_ints(m.node("Conv", {"x", "w", "b"}, "c"), "pads", {1, 1, 1, 1});
  m.node("PRelu", {"c", "slope"}, "p");
  m.node("Mul", {"p", "s"}, "q");
  m.node("Add", {"x", "q"}, "r");
  m.node("Sigmoid", {"r"}, "y");
  OnnxModel model = m.load();
  const Tensor x = random_tensor({1, 4, 6, 7}, 6);
  const Tensor y = model.run(x);
  EXPECT_EQ(model.plan(), std::vector<std::string>{"Conv node 'n0'"});
  Conv2d conv(4, 4, 3, {.padding = 1});
  conv.set_weight(w.clone());
  conv.set_bias(b.clone());
  Tensor expected = prelu(conv(x), Tensor::from_values({4}, {0.1f, -0.2f, 0.3f, 0.25f}));
  for (int64_t i = 0; i < expected.numel(); ++i) expected[i] = x[i] + 0.1f * expected[i];
  EXPECT_TRUE(near(y, sigmoid(expected), 1e-6));
}

// A residual computed after the convolution cannot be fused: the Add stays a step of its own.
TEST(Onnx, ResidualComputedLaterIsNotFused) {
  ModelBuilder m({1, 2, 5, 5});
  m.weight("w", random_tensor({2, 2, 3, 3}, 4));
  set_ints(m.node("Conv", {"x", "w"}, "c"), "pads", {1, 1, 1, 1});
  m.node("Tanh", {"x"}, "t");
  m.node("Add", {"c", "t"}, "y");
  OnnxModel model = m.load();
  const Tensor x = random_tensor({1, 2, 5, 5}, 5);
  const Tensor y = model.run(x);
  EXPECT_EQ(model.plan().size(), 3u);
}

// torch's export of nn.GELU(): Div, Erf, Add, Mul, Mul, run as one gelu step.
TEST(Onnx, ErfGeluExportIsOneStep) {
  ModelBuilder m({1, 2, 3, 17});
  m.weight("sqrt2", Tensor::full({1}, 1.41421356f));
  m.weight("one", Tensor::full({1}, 1.0f));
  m.weight("half", Tensor::full({1}, 0.5f));
  m.node("Div", {"x", "sqrt2"}, "d");
  m.node("Erf", {"d"}, "e");
  m.node("Add", {"e", "one"}, "a");
  m.node("Mul", {"x", "a"}, "p");
  m.node("Mul", {"p", "half"}, "y");
  OnnxModel model = m.load();
  const Tensor x = Tensor::uniform({1, 2, 3, 17}, -4, 4, 7);
  const Tensor y = model.run(x);
  EXPECT_EQ(model.plan().size(), 1u);
  EXPECT_TRUE(near(y, gelu(x), 0.0));
}

TEST(Onnx, DepthToSpaceModes) {
  const Tensor x = Tensor::arange({1, 8, 2, 3});
  for (const std::string mode : {"CRD", "DCR"}) {
    ModelBuilder m({1, 8, 2, 3});
    auto* n = m.node("DepthToSpace", {"x"}, "y");
    set_int(n, "blocksize", 2);
    set_string(n, "mode", mode);
    const Tensor y = m.load().run(x);
    if (mode == "CRD") {
      EXPECT_TRUE(near(y, pixel_shuffle(x, 2), 0));
    } else {  // y[c, 2h + i, 2w + j] = x[(2i + j)·C + c, h, w] with C = 2
      EXPECT_EQ(y.at(0, 1, 1, 0), x.at(0, 2 * 2 + 1, 0, 0));
      EXPECT_EQ(y.at(0, 0, 3, 5), x.at(0, 3 * 2 + 0, 1, 2));
    }
  }
}

TEST(Onnx, PadModes) {
  ModelBuilder m({1, 1, 1, 3}, 11);
  m.ints("pads", {0, 0, 0, 2, 0, 0, 0, 1});
  set_string(m.node("Pad", {"x", "pads"}, "y"), "mode", "reflect");
  EXPECT_TRUE(near(m.load().run(Tensor::from_values({1, 1, 1, 3}, {1, 2, 3})),
                   Tensor::from_values({1, 1, 1, 6}, {3, 2, 1, 2, 3, 2}), 0));
}

TEST(Onnx, ConvTransposeOutputShapeSetsThePadding) {
  ModelBuilder m({1, 2, 4, 4});
  m.weight("w", random_tensor({2, 3, 3, 3}, 6));
  auto* n = m.node("ConvTranspose", {"x", "w"}, "y");
  set_ints(n, "strides", {2, 2});
  set_ints(n, "output_shape", {8, 9});
  EXPECT_EQ(m.load().run(random_tensor({1, 2, 4, 4}, 7)).shape(), (Shape{1, 3, 8, 9}));
}

// Asymmetric pads run as an explicit padding step, then a pool without padding, which kept a ceil_mode
// window starting in the end padding (NaN for an average without the padding, -inf for a maximum).
TEST(Onnx, PoolWindowsNeverHoldOnlyPadding) {
  const Tensor x = Tensor::arange({1, 1, 4, 4});
  for (const std::string op : {"AveragePool", "MaxPool"}) {
    SCOPED_TRACE(op);
    ModelBuilder tail({1, 1, 4, 4});
    auto* n = tail.node(op, {"x"}, "y");
    set_ints(n, "kernel_shape", {2, 2});
    set_ints(n, "strides", {2, 2});
    set_ints(n, "pads", {0, 0, 1, 1});
    set_int(n, "ceil_mode", 1);
    const Tensor expected = op == "MaxPool" ? Tensor::from_values({1, 1, 2, 2}, {5, 7, 13, 15})
                                            : Tensor::from_values({1, 1, 2, 2}, {2.5, 4.5, 10.5, 12.5});
    EXPECT_TRUE(near(tail.load().run(x), expected, 0));

    ModelBuilder wide({1, 1, 4, 4});
    n = wide.node(op, {"x"}, "y");
    set_ints(n, "kernel_shape", {2, 2});
    set_ints(n, "pads", {0, 2, 0, 0});
    EXPECT_TRUE(rejects([&] { wide.load().run(x); },
                        {op + " node 'n0'", "pads (2, 0) along the width must be smaller than the kernel's extent 2"}));
  }
}

TEST(Onnx, RejectsBrokenAndUnsupportedFiles) {
  EXPECT_TRUE(rejects([] { parse_onnx("\x08\x01garbage", "m.onnx"); }, {"m.onnx", "not an ONNX model"}));
  ModelBuilder m({1, 1, 2, 2});
  m.node("Softmax2000", {"x"}, "y");
  EXPECT_TRUE(rejects([&] { m.load(); }, {"Softmax2000 node 'n0'", "operator Softmax2000 is not supported"}));
  const std::string full = m.bytes();
  EXPECT_TRUE(rejects([&] { parse_onnx(full.substr(0, full.size() / 2)); }, {"not an ONNX model"}));

  ModelBuilder order({1, 1, 2, 2});
  order.node("Relu", {"later"}, "y");
  order.node("Relu", {"x"}, "later");
  EXPECT_TRUE(rejects([&] { order.load(); }, {"Relu node 'n0'", "'later'", "topologically sorted"}));

  // Files below opset 7 go through ONNX's version converter, which dereferenced a null pointer on a graph
  // output no node computes (found by fuzz_onnx).
  ModelBuilder old({1, 1, 2, 2}, 6);
  old.node("Relu", {"x"}, "z");
  EXPECT_TRUE(rejects([&] { old.load(); }, {"output 'y' is never computed"}));

  ModelBuilder short_weight({1, 1, 2, 2});
  short_weight.weight("w", random_tensor({1}, 8));
  std::string bytes = short_weight.bytes();
  ::onnx::ModelProto proto;
  proto.ParseFromString(bytes);
  proto.mutable_graph()->mutable_initializer(0)->add_dims(4);  // [1, 4] but 1 value
  EXPECT_TRUE(rejects([&] { parse_onnx(proto.SerializeAsString()); },
                      {"initializer 'w'", "raw_data holds 4 bytes, but the shape needs 4 x 4"}));

  ModelBuilder attr({1, 1, 4, 4});
  set_string(attr.node("Resize", {"x"}, "y"), "mode", "area");
  EXPECT_TRUE(rejects([&] { attr.load().run(Tensor::zeros({1, 1, 4, 4})); },
                      {"Resize node 'n0'", "mode 'area'", "not supported (nearest, linear, bilinear, cubic)"}));

  // Operands ONNX defines as scalars: a longer one gave its first value, an empty one a message about the
  // node's input count.
  ModelBuilder clip({1, 1, 2, 2});
  clip.weight("lo", Tensor({0}));
  clip.node("Clip", {"x", "lo"}, "y");
  EXPECT_TRUE(rejects([&] { clip.load().run(Tensor::zeros({1, 1, 2, 2})); },
                      {"Clip node 'n0'", "input 1 ('lo') must be a scalar, but got float [0]"}));

  // An axis past int's range was truncated to its low 32 bits: 2^32 concatenated along axis 0.
  ModelBuilder concat({1, 1, 2, 2});
  set_int(concat.node("Concat", {"x", "x"}, "y"), "axis", int64_t{1} << 32);
  EXPECT_TRUE(rejects([&] { concat.load().run(Tensor::zeros({1, 1, 2, 2})); },
                      {"Concat node 'n0'", "axis 4294967296 is out of range for rank 4"}));
}

TEST(Onnx, RunRejectsAnInputOfAnotherShape) {
  ModelBuilder m({1, 2, 4, 4});
  m.node("Relu", {"x"}, "y");
  OnnxModel model = m.load();
  EXPECT_TRUE(rejects([&] { model.run(Tensor::zeros({1, 3, 4, 4})); },
                      {"input 'x' has shape [1, 3, 4, 4], but the model declares [1, 2, 4, 4]"}));
}

// Empty tensors: a batch or an axis of size 0 runs, or fails with a message, never reads or divides
// out of bounds.
TEST(Onnx, EmptyTensorsRunOrFailClearly) {
  // InstanceNormalization divided by the batch size to find its planes (found by fuzz_onnx_run).
  ModelBuilder norm({0, 3, 4, 5});
  norm.weight("s", random_tensor({3}, 9));
  norm.weight("b", random_tensor({3}, 10));
  norm.node("InstanceNormalization", {"x", "s", "b"}, "y");
  EXPECT_EQ(norm.load().run(Tensor::zeros({0, 3, 4, 5})).shape(), (Shape{0, 3, 4, 5}));

  // Reflect and edge pads of 0 copy an empty axis; any other pad of one has nothing to copy (edge read
  // index 0 of it).
  for (const std::string mode : {"reflect", "edge"}) {
    SCOPED_TRACE(mode);
    ModelBuilder unpadded({0, 1, 2, 3}, 11);
    unpadded.ints("pads", {0, 0, 1, 1, 0, 0, 1, 1});
    set_string(unpadded.node("Pad", {"x", "pads"}, "y"), "mode", mode);
    EXPECT_EQ(unpadded.load().run(Tensor::zeros({0, 1, 2, 3})).shape(), (Shape{0, 1, 4, 5}));
    ModelBuilder padded({1, 1, 0, 3}, 11);
    padded.ints("pads", {0, 0, 1, 0, 0, 0, 0, 0});
    set_string(padded.node("Pad", {"x", "pads"}, "y"), "mode", mode);
    EXPECT_TRUE(rejects([&] { padded.load().run(Tensor::zeros({1, 1, 0, 3})); },
                        {"Pad node 'n0'", mode + " padding needs values to copy", "pads 1 and 0 on an axis of size 0"}));
  }

  // A global pool over an empty plane has nothing to reduce (GlobalAveragePool reported an AvgPool2d stride
  // of zero); over an empty batch it has nothing to do.
  for (const std::string op : {"GlobalAveragePool", "GlobalMaxPool"}) {
    SCOPED_TRACE(op);
    ModelBuilder empty_plane({1, 2, 3, 0});
    empty_plane.node(op, {"x"}, "y");
    EXPECT_TRUE(rejects([&] { empty_plane.load().run(Tensor::zeros({1, 2, 3, 0})); },
                        {op + " node 'n0'", "expects non-empty spatial axes", "input of shape [1, 2, 3, 0]"}));
    ModelBuilder empty_batch({0, 2, 3, 4});
    empty_batch.node(op, {"x"}, "y");
    EXPECT_EQ(empty_batch.load().run(Tensor::zeros({0, 2, 3, 4})).shape(), (Shape{0, 2, 1, 1}));
  }
}

}  // namespace
}  // namespace strider
