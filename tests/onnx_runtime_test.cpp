// The ONNX runtime around the operators: activations in a reused arena, plans cached per input shape,
// runs from many threads, run by name and into caller outputs, the profiler, and what is checked at load.
#include <map>
#include <thread>
#include <vector>

#include "core/parallel.hpp"
#include "ops/conv2d.hpp"
#include "onnx_builder.hpp"
#include "test_util.hpp"

namespace strider {
namespace {

using testing::ModelBuilder;
using testing::near;
using testing::random_tensor;
using testing::rejects;
using testing::set_int;
using testing::set_ints;

// x [1, 2, H, W] -> conv a -> relu -> conv c -> d = c + a (a stays alive) -> conv e -> concat(e, d) -> conv
// g -> y = g * 0.5; and a second output z = sigmoid(d). Every activation but the outputs is in the arena.
ModelBuilder residual_net() {
  ModelBuilder m(13);
  m.input("x", {1, 2, -1, -1});
  const std::vector<std::pair<std::string, Shape>> weights = {
      {"w1", {4, 2, 3, 3}}, {"w2", {4, 4, 3, 3}}, {"w3", {3, 4, 1, 1}}, {"w4", {2, 7, 3, 3}}};
  for (std::size_t k = 0; k < weights.size(); ++k) m.weight(weights[k].first, random_tensor(weights[k].second, 10 + k));
  m.weight("half", Tensor::full({1}, 0.5f));
  set_ints(m.node("Conv", {"x", "w1"}, "a"), "pads", {1, 1, 1, 1});
  m.node("Relu", {"a"}, "b");
  set_ints(m.node("Conv", {"b", "w2"}, "c"), "pads", {1, 1, 1, 1});
  m.node("Add", {"c", "a"}, "d");
  m.node("Conv", {"d", "w3"}, "e");
  set_int(m.node("Concat", {"e", "d"}, "f"), "axis", 1);
  set_ints(m.node("Conv", {"f", "w4"}, "g"), "pads", {1, 1, 1, 1});
  m.node("Mul", {"g", "half"}, "y");
  m.node("Sigmoid", {"d"}, "z");
  m.output("y");
  m.output("z");
  return m;
}

std::vector<Tensor> run_fresh(const ModelBuilder& m, const Tensor& x) {
  const Tensor* in[] = {&x};
  return m.load().run(in);  // a new model: its first run builds the plan, with fresh buffers
}

::testing::AssertionResult same(const std::vector<Tensor>& a, const std::vector<Tensor>& b) {
  if (a.size() != b.size()) return ::testing::AssertionFailure() << a.size() << " vs " << b.size() << " outputs";
  for (std::size_t k = 0; k < a.size(); ++k)
    if (auto r = near(a[k], b[k], 0); !r) return r << " (output " << k << ")";
  return ::testing::AssertionSuccess();
}

TEST(OnnxRuntime, ArenaRunsMatchTheBuildingRunBitwise) {
  const ModelBuilder m = residual_net();
  const OnnxModel model = m.load();
  for (const auto& [h, w] : std::vector<std::pair<int64_t, int64_t>>{{9, 7}, {16, 16}, {9, 7}}) {
    SCOPED_TRACE(::testing::Message() << h << "x" << w);
    for (int round = 0; round < 3; ++round) {
      const Tensor x = random_tensor({1, 2, h, w}, static_cast<uint64_t>(100 + round));
      const Tensor* in[] = {&x};
      EXPECT_TRUE(same(model.run(in), run_fresh(m, x)));
    }
  }
  const Tensor x = random_tensor({1, 2, 32, 32}, 1);
  const Tensor* in[] = {&x};
  const RunProfile p = model.profile(in, 2);
  // a, b, d, e, f (each with 16 floats of slack; c is fused into d with its Add, g into y with its Mul).
  // d is written over a, its residual, which no later step reads; b dies young; d, e and f are alive
  // together while f is written, and that is the arena (a, b and d apart took 1024 floats more).
  EXPECT_EQ(p.activation_bytes, 4 * ((4 + 4 + 4 + 3 + 7) * 32 * 32 + 5 * 16));
  EXPECT_EQ(p.arena_bytes, 4 * ((4 + 3 + 7) * 32 * 32 + 3 * 16));
}

// x -> a = relu(x) -> b = conv(a) + a -> y = b · b: the residual is also the convolution's input, which its
// output must not overwrite. On one thread, each task of output rows would read input rows the task
// before had overwritten.
TEST(OnnxRuntime, AResidualThatIsTheConvolutionsInputIsNotOverwritten) {
  ModelBuilder m({1, 8, 40, 48});
  m.weight("w", random_tensor({8, 8, 3, 3}, 4));
  m.node("Relu", {"x"}, "a");
  set_ints(m.node("Conv", {"a", "w"}, "c"), "pads", {1, 1, 1, 1});
  m.node("Add", {"c", "a"}, "b");
  m.node("Mul", {"b", "b"}, "y");
  const Tensor x = random_tensor({1, 8, 40, 48}, 5);
  const Tensor* in[] = {&x};
  const OnnxModel model = m.load();
  const int threads = get_num_threads();
  set_num_threads(1);
  EXPECT_TRUE(same(model.run(in), run_fresh(m, x)));
  EXPECT_TRUE(same(model.run(in), run_fresh(m, x)));
  set_num_threads(threads);
}

TEST(OnnxRuntime, CallerOutputsAreWrittenInPlace) {
  const OnnxModel model = residual_net().load();
  const Tensor x = random_tensor({1, 2, 12, 10}, 3);
  const Tensor* in[] = {&x};
  const std::vector<Tensor> expected = model.run(in);
  std::vector<Tensor> outputs;
  outputs.push_back(Tensor::zeros({1, 2, 12, 10}));
  outputs.push_back(Tensor::zeros({1, 1}));  // the wrong shape: replaced
  const float* kept = outputs[0].data();
  for (int round = 0; round < 2; ++round) {
    model.run(in, outputs);
    EXPECT_EQ(outputs[0].data(), kept);
    EXPECT_TRUE(same(outputs, expected));
  }
}

// The crash of issue 13: plans built while other threads run. 8 threads over 10 shapes (more than the
// cache keeps), each result compared bitwise with a serial run.
TEST(OnnxRuntime, EightThreadsOverMixedShapesMatchSerialRuns) {
  const ModelBuilder m = residual_net();
  std::vector<Tensor> inputs;
  std::vector<std::vector<Tensor>> expected;
  {
    const OnnxModel serial = m.load();
    for (int64_t k = 0; k < 10; ++k) {
      inputs.push_back(random_tensor({1, 2, 5 + k, 13 - k / 2}, static_cast<uint64_t>(200 + k)));
      const Tensor* in[] = {&inputs.back()};
      expected.push_back(serial.run(in));
    }
  }
  const OnnxModel shared = m.load();
  std::vector<int> mismatches(8, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 30; ++i) {
        const std::size_t k = static_cast<std::size_t>(t * 7 + i * 3) % inputs.size();
        const Tensor* in[] = {&inputs[k]};
        if (!same(shared.run(in), expected[k])) ++mismatches[static_cast<std::size_t>(t)];
      }
    });
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(mismatches, std::vector<int>(8, 0));
}

TEST(OnnxRuntime, IntrospectionAndRunByName) {
  const OnnxModel model = residual_net().load();
  ASSERT_EQ(model.inputs().size(), 1u);
  EXPECT_EQ(model.inputs()[0].name, "x");
  EXPECT_EQ(model.inputs()[0].dims, (std::vector<int64_t>{1, 2, -1, -1}));
  EXPECT_EQ(model.inputs()[0].type, "float32");
  ASSERT_EQ(model.outputs().size(), 2u);
  EXPECT_EQ(model.outputs()[0].name, "y");
  EXPECT_EQ(model.outputs()[1].name, "z");

  std::map<std::string, Tensor> in;
  in.emplace("x", random_tensor({1, 2, 6, 6}, 4));
  const auto out = model.run(in);
  const Tensor* positional[] = {&in.at("x")};
  const std::vector<Tensor> expected = model.run(positional);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_TRUE(near(out.at("y"), expected[0], 0));
  EXPECT_TRUE(near(out.at("z"), expected[1], 0));

  in.emplace("extra", Tensor::zeros({1}));
  EXPECT_TRUE(rejects([&] { model.run(in); }, {"no input named 'extra'"}));
  EXPECT_TRUE(rejects([&] { model.run(std::map<std::string, Tensor>{}); }, {"input 'x' is missing"}));
  EXPECT_TRUE(rejects([&] { (void)model.run(in.at("x")); }, {"2 outputs", "run(inputs)"}));
}

TEST(OnnxRuntime, LoadListsEveryUnsupportedOperatorAndChecksAttributes) {
  ModelBuilder m({1, 1, 4, 4});
  m.node("Foo", {"x"}, "a");
  m.node("Relu", {"a"}, "b");
  m.node("Bar", {"b"}, "c");
  m.node("Foo", {"c"}, "y");
  EXPECT_TRUE(rejects([&] { m.load(); }, {"operator Bar is not supported (Bar node 'n2')",
                                         "operator Foo is not supported (Foo node 'n0', Foo node 'n3')"}));

  ModelBuilder stride({1, 1, 4, 4});
  stride.weight("w", random_tensor({1, 1, 3, 3}, 5));
  set_ints(stride.node("Conv", {"x", "w"}, "y"), "strides", {1, 0});
  EXPECT_TRUE(rejects([&] { stride.load(); }, {"Conv node 'n0'", "'strides' must be positive, but got 0"}));

  ModelBuilder pads({1, 1, 4, 4});
  set_ints(pads.node("MaxPool", {"x"}, "y"), "pads", {1, 1, 1});
  EXPECT_TRUE(rejects([&] { pads.load(); }, {"MaxPool node 'n0'", "'pads'", "has 3 values"}));

  ModelBuilder d2s({1, 4, 4, 4});
  d2s.node("DepthToSpace", {"x"}, "y");
  EXPECT_TRUE(rejects([&] { d2s.load(); }, {"DepthToSpace node 'n0'", "'blocksize' is required"}));

  ModelBuilder kind({1, 4, 4, 4});
  testing::set_string(kind.node("Concat", {"x", "x"}, "y"), "axis", "1");
  EXPECT_TRUE(rejects([&] { kind.load(); }, {"Concat node 'n0'", "'axis' must be an int"}));
}

TEST(OnnxRuntime, ProfileCoversEveryStepAndNamesTheFusions) {
  ModelBuilder m({1, 3, 16, 16});
  m.weight("w", random_tensor({8, 3, 3, 3}, 6));
  m.node("Sigmoid", {"x"}, "s");
  set_ints(m.node("Conv", {"s", "w"}, "c"), "pads", {1, 1, 1, 1});
  m.node("Relu", {"c"}, "y");
  const OnnxModel model = m.load();
  const Tensor x = random_tensor({1, 3, 16, 16}, 7);
  const Tensor* in[] = {&x};
  const RunProfile p = model.profile(in, 3);
  EXPECT_EQ(p.runs, 3);
  ASSERT_EQ(p.nodes.size(), 2u);
  double share = 0;
  for (const NodeProfile& n : p.nodes) {
    share += n.share;
    if (n.node == "Conv node 'n1'") {
      EXPECT_EQ(n.fused, std::vector<std::string>{"Relu node 'n2'"});
      EXPECT_EQ(n.flops, 2.0 * 8 * 16 * 16 * 3 * 3 * 3);
    } else {
      EXPECT_EQ(n.node, "Sigmoid node 'n0'");
      EXPECT_EQ(n.flops, 0);
      EXPECT_EQ(n.bytes, 2.0 * 4 * 3 * 16 * 16);
    }
  }
  EXPECT_NEAR(share, 1.0, 1e-9);
  EXPECT_GE(p.nodes[0].median_ms, p.nodes[1].median_ms);
  EXPECT_EQ(p.arena_bytes, 4 * (3 * 16 * 16 + 16));  // the sigmoid's output; the conv's is the graph output
  EXPECT_TRUE(rejects([&] { model.profile(in, 0); }, {"runs must be at least 1, but got 0"}));
}

// A model exported with export_params=False: its weight is a graph input, baked into the plan, which is
// rebuilt when the weight changes.
TEST(OnnxRuntime, WeightsGivenAsGraphInputs) {
  ModelBuilder m(13);
  m.input("x", {1, 2, -1, -1});
  m.input("w", {3, 2, 3, 3});
  set_ints(m.node("Conv", {"x", "w"}, "y"), "pads", {1, 1, 1, 1});
  m.output("y");
  const OnnxModel model = m.load();
  const Tensor x = random_tensor({1, 2, 6, 5}, 11);
  const Tensor w1 = random_tensor({3, 2, 3, 3}, 12), w2 = random_tensor({3, 2, 3, 3}, 13);
  const auto expected = [&](const Tensor& w) {
    Conv2d conv(2, 3, 3, {.padding = 1, .bias = false});
    conv.set_weight(w.clone());
    return conv.forward(x);
  };
  for (const Tensor* w : {&w1, &w1, &w2, &w1}) {
    std::map<std::string, Tensor> in;
    in.emplace("x", x.clone());
    in.emplace("w", w->clone());
    EXPECT_TRUE(near(model.run(in).at("y"), expected(*w), 1e-5));
  }
}

TEST(OnnxRuntime, ThreadPoolGivenToAModel) {
  OnnxModel model = residual_net().load();
  const Tensor x = random_tensor({1, 2, 8, 8}, 8);
  const Tensor* in[] = {&x};
  const std::vector<Tensor> expected = model.run(in);
  model.set_thread_pool(std::make_shared<ThreadPool>(1));
  EXPECT_TRUE(same(model.run(in), expected));
  ThreadPool two(2);
  EXPECT_TRUE(same(two.run([&] { return model.run(in); }), expected));
}

}  // namespace
}  // namespace strider
