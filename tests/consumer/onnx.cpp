#include <strider/core/parallel.hpp>
#include <strider/onnx/onnx_model.hpp>

#include <atomic>
#include <iostream>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

// True when the installed loader rejects bytes that are not a model, naming them.
bool onnx_rejects_garbage() {
  try {
    strider::parse_onnx("not a model", "garbage.onnx");
  } catch (const std::invalid_argument& e) {
    std::cout << "onnx: " << e.what() << '\n';
    return std::string(e.what()).find("garbage.onnx") != std::string::npos;
  }
  return false;
}

// True when unet.onnx names its input x [1, 3, h, w] and output y, and 8 threads sharing it on a
// ThreadPool of its own, run by name over two input shapes, get the serial results bit for bit.
bool onnx_serves_threads() {
  using strider::Tensor;
  strider::OnnxModel model = strider::load_onnx("unet.onnx");
  const std::vector<int64_t> declared{1, 3, -1, -1};
  if (model.inputs().size() != 1 || model.inputs()[0].name != "x" || model.inputs()[0].dims != declared ||
      model.outputs().size() != 1 || model.outputs()[0].name != "y")
    return false;
  model.set_thread_pool(std::make_shared<strider::ThreadPool>(2));
  std::vector<Tensor> inputs, expected;
  for (int64_t size : {16, 32}) {
    inputs.push_back(Tensor::uniform({1, 3, size, size}, 0, 1, static_cast<uint64_t>(size)));
    expected.push_back(model.run(inputs.back()));
  }
  std::atomic<bool> same{true};
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < 8; ++t)
    threads.emplace_back([&, t] {
      for (std::size_t r = 0; r < 4; ++r) {
        const std::size_t k = (t + r) % inputs.size();
        std::map<std::string, Tensor> named;
        named.emplace("x", inputs[k].clone());
        if (strider::max_abs_diff(model.run(named).at("y"), expected[k]) != 0) same = false;
      }
    });
  for (std::thread& thread : threads) thread.join();
  return same;
}
