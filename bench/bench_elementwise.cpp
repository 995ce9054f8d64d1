// The element-wise operators on one [1, 64, 256, 256] tensor and the fused convolution epilogues, timed
// for bench/compare_elementwise.py (which alternates this with PyTorch). Prints one line per case:
// "name best_ms" (best of --reps runs after ten warm-up runs).
//
//   bench_elementwise [--reps=N] [--threads=N] [--filter=SUBSTRING]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "strider.hpp"

using namespace strider;

int main(int argc, char** argv) {
  int reps = 10, threads = 2;
  std::string filter;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a.starts_with("--reps=")) reps = std::stoi(a.substr(7));
    else if (a.starts_with("--threads=")) threads = std::stoi(a.substr(10));
    else if (a.starts_with("--filter=")) filter = a.substr(9);
  }
  set_num_threads(threads);
  const Tensor x = Tensor::uniform({1, 64, 256, 256}, -3, 3, 1), x2 = Tensor::uniform({1, 64, 256, 256}, -3, 3, 2);
  const Tensor channel = Tensor::uniform({64, 1, 1}, 0.5f, 2, 3), slopes = Tensor::uniform({64}, 0, 0.5f, 4);
  const Tensor scalar = Tensor::full({1}, 0.5f), stat = Tensor::uniform({64}, 0.5f, 2, 5);
  Conv2d conv(64, 64, 3, {.padding = 1});
  const Tensor slope_one = Tensor::full({1}, 0.25f);
  const Epilogue prelu_epilogue = Epilogue::of(prelu_activation(slopes));
  const Epilogue residual_epilogue = Epilogue().then_affine({0.1f}, {0.0f}).then_residual(&x2);  // x2 + 0.1·conv
  // The same written over its residual, as the ONNX plan runs a residual that no later layer reads (an
  // OutputSlot at the residual's memory; the values grow by 0.1·conv a call).
  Tensor accumulated = x2.clone();
  const Epilogue in_place_epilogue = Epilogue().then_affine({0.1f}, {0.0f}).then_residual(&accumulated);
  // The upsampler's convolutions: 32 channels, direct, each with its LeakyReLU(0.1) fused.
  Conv2d direct32(32, 32, 3, {.padding = 1});
  direct32.set_algorithm(ConvAlgorithm::direct);
  const Tensor x32 = Tensor::uniform({1, 32, 256, 256}, -3, 3, 6);
  const Epilogue leaky_epilogue = Epilogue::leaky_relu(0.1f);
  // FSRCNN's expanding layer: few taps per output, so the epilogue weighs on every store.
  const Conv2d expand(12, 56, 1);
  const Tensor x12 = Tensor::uniform({1, 12, 256, 256}, -3, 3, 7);
  const Epilogue expand_prelu = Epilogue::of(prelu_activation(Tensor::uniform({56}, 0, 0.5f, 8)));
  const Upsample nearest({.scale_factor = 2.0, .mode = "nearest"});
  const Upsample bilinear({.scale_factor = 2.0, .mode = "bilinear"});
  const std::vector<std::pair<std::string, std::function<Tensor()>>> cases = {
      {"relu", [&] { return relu(x); }},
      {"leaky_relu", [&] { return leaky_relu(x, 0.2); }},
      {"prelu_channel", [&] { return prelu(x, slopes); }},
      {"prelu_scalar", [&] { return prelu(x, slope_one); }},
      {"sigmoid", [&] { return sigmoid(x); }},
      {"tanh", [&] { return strider::tanh(x); }},
      {"elu", [&] { return elu(x); }},
      {"selu", [&] { return selu(x); }},
      {"celu", [&] { return celu(x, 1.0); }},
      {"gelu", [&] { return gelu(x); }},
      {"gelu_tanh", [&] { return gelu(x, "tanh"); }},
      {"hardsigmoid", [&] { return hardsigmoid(x); }},
      {"hardswish", [&] { return hardswish(x); }},
      {"silu", [&] { return silu(x); }},
      {"hardtanh", [&] { return hardtanh(x); }},
      {"softplus", [&] { return softplus(x); }},
      {"add_tensor", [&] { return binary(BinaryOp::add, x, x2); }},
      {"mul_channel", [&] { return binary(BinaryOp::mul, x, channel); }},
      {"sub_channel", [&] { return binary(BinaryOp::sub, x, channel); }},
      {"div_scalar", [&] { return binary(BinaryOp::div, x, scalar); }},
      {"cat", [&] { return cat({x, x2}, 1); }},
      {"nearest_x2", [&] { return nearest(x); }},
      {"bilinear_x2", [&] { return bilinear(x); }},
      {"pixel_shuffle", [&] { return pixel_shuffle(x, 2); }},
      {"batch_norm", [&] { return batch_norm2d(x, stat, stat, slopes, slopes); }},
      {"conv", [&] { return conv.forward(x); }},
      {"conv_prelu_fused", [&] { return conv.forward(x, prelu_epilogue); }},
      {"conv_residual_fused", [&] { return conv.forward(x, residual_epilogue); }},
      {"conv_residual_in_place",
       [&] {
         return run_in_slot(accumulated.data(), accumulated.numel(), [&] { return conv.forward(x, in_place_epilogue); });
       }},
      {"conv_then_prelu", [&] { return prelu(conv.forward(x), slopes); }},
      {"direct32", [&] { return direct32.forward(x32); }},
      {"direct32_leaky_fused", [&] { return direct32.forward(x32, leaky_epilogue); }},
      {"expand12", [&] { return expand.forward(x12); }},
      {"expand12_prelu_fused", [&] { return expand.forward(x12, expand_prelu); }},
  };
  for (const auto& [name, run] : cases) {
    if (!filter.empty() && name.find(filter) == std::string::npos) continue;
    for (int w = 0; w < 10; ++w) run();  // warm-up: the heap settles over the first outputs (page faults)
    double best = 1e30;
    for (int r = 0; r < reps; ++r) {
      const auto t0 = std::chrono::steady_clock::now();
      const Tensor y = run();
      best = std::min(best, std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    }
    std::printf("%s %.3f\n", name.c_str(), best);
  }
}
