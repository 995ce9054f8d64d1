// nn::Sequential's reused buffers: later calls, other shapes, nested Sequentials, children that return
// views and concurrent calls all give the bits of a plain chain of calls.
#include <thread>
#include <vector>

#include "nn/nn.hpp"
#include "test_util.hpp"

namespace strider {
namespace {

using testing::near;
using testing::random_tensor;

// Returns its input reshaped as a view, sharing (not owning) the input's memory: the case where a
// child's output lives in the buffer the next-but-one child writes.
struct ViewOf : nn::Module {
  Tensor forward(const Tensor& x) const override { return x.view(x.shape()); }
  std::string type_name() const override { return "ViewOf"; }
};

nn::Sequential make_net() {
  nn::Sequential inner(nn::Conv2d(4, 4, 3, {.padding = 1}), nn::ReLU());
  nn::Sequential net(nn::Conv2d(3, 4, 3, {.padding = 1}), nn::ReLU(), ViewOf());
  net.push_back(std::move(inner));
  net.push_back(nn::Conv2d(4, 8, 1));
  net.push_back(nn::PixelShuffle(2));
  net.push_back(ViewOf());
  int seed = 0;
  for (auto& [name, p] : net.named_parameters())
    std::copy_n(random_tensor(p->shape(), static_cast<uint64_t>(++seed)).data(), p->numel(), const_cast<float*>(p->data()));
  return net;
}

// The same children called one after the other, every output kept: what Sequential::forward must equal.
Tensor chain(const nn::Sequential& net, const Tensor& x) {
  std::vector<Tensor> outputs;
  for (std::size_t i = 0; i < net.size(); ++i) outputs.push_back(net[i](i == 0 ? x : outputs.back()));
  return outputs.back().clone();
}

TEST(Sequential, ReusedBuffersGiveTheBitsOfAPlainChain) {
  const nn::Sequential net = make_net();
  for (const auto& [h, w] : std::vector<std::pair<int64_t, int64_t>>{{8, 8}, {8, 8}, {5, 11}, {8, 8}, {5, 11}}) {
    SCOPED_TRACE(::testing::Message() << h << "x" << w);
    const Tensor x = random_tensor({1, 3, h, w}, static_cast<uint64_t>(h * w));
    const Tensor y = net(x);
    EXPECT_TRUE(y.owns_data());
    EXPECT_TRUE(near(y, chain(net, x), 0));
  }
}

// Copies its input and tells whether the copy went to memory of its own or to the slot Sequential offered.
struct Probe : nn::Module {
  std::shared_ptr<std::vector<bool>> owned = std::make_shared<std::vector<bool>>();
  Tensor forward(const Tensor& x) const override {
    Tensor y = x.clone();
    owned->push_back(y.owns_data());
    return y;
  }
  std::string type_name() const override { return "Probe"; }
};

TEST(Sequential, OutputsGoToTheBuffersFromTheSecondCall) {
  Probe probe;
  const auto owned = probe.owned;
  nn::Sequential net(nn::ReLU(), std::move(probe), nn::ReLU());
  const Tensor x = random_tensor({1, 2, 4, 4}, 9);
  for (int i = 0; i < 3; ++i) {
    const Tensor y = net(x);
    EXPECT_TRUE(near(y, chain(net, x), 0));
  }
  // net's calls and chain's alternate: net's first call allocates, its next ones use the slot.
  EXPECT_EQ(*owned, (std::vector<bool>{true, true, false, true, false, true}));
}

TEST(Sequential, ConcurrentCallsMatchSerialOnes) {
  const nn::Sequential net = make_net();
  std::vector<Tensor> inputs, expected;
  for (int64_t k = 0; k < 4; ++k) {
    inputs.push_back(random_tensor({1, 3, 6 + k, 9 - k}, static_cast<uint64_t>(50 + k)));
    expected.push_back(chain(net, inputs.back()));
  }
  std::vector<int> mismatches(8, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 20; ++i) {
        const auto k = static_cast<std::size_t>(t + i) % inputs.size();
        if (!near(net(inputs[k]), expected[k], 0)) ++mismatches[static_cast<std::size_t>(t)];
      }
    });
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(mismatches, std::vector<int>(8, 0));
}

}  // namespace
}  // namespace strider
