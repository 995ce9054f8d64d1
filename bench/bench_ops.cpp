// Google Benchmark over bench/shapes.json (a copy of the shared suite): Conv2d c1-c11, ConvTranspose2d
// t1-t6, pooling p1-p5 and the upsampler_x2 model. Reports GFLOP/s (GB/s of input + output for pooling).
//
//   bench_ops [--threads=N] [--shapes=PATH] [--peak-rss] [Google Benchmark flags, e.g. --benchmark_filter=c3]
// --peak-rss prints the process's peak resident memory (VmHWM) at the end.
// STRIDER_SIMD=avx2 (or scalar, sse4.2) forces a lower SIMD level.
#include <benchmark/benchmark.h>

#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <variant>
#include <vector>

#include "strider.hpp"

using namespace strider;
using nlohmann::json;

namespace {

// Registers one case. The input is made when the case runs, so a filtered run allocates only its own
// case (compare_pytorch.py reads the peak memory of such runs).
void add(const std::string& name, Shape input, const char* counter, double amount,
         std::function<Tensor(const Tensor&)> run) {
  benchmark::RegisterBenchmark(name.c_str(),
                               [=](benchmark::State& state) {
                                 const Tensor x = Tensor::uniform(input, -1, 1, 1);
                                 for (auto _ : state) benchmark::DoNotOptimize(run(x));
                                 state.counters[counter] = benchmark::Counter(
                                     amount, benchmark::Counter::kIsIterationInvariantRate, benchmark::Counter::kIs1000);
                               })
      ->UseRealTime()
      ->Unit(benchmark::kMillisecond);
}

Shape shape_of(const json& c, int64_t channels) {
  return {c.value("N", int64_t{1}), channels, c.at("H").get<int64_t>(), c.at("W").get<int64_t>()};
}

void register_conv(const json& c) {
  auto conv = std::make_shared<Conv2d>(c.at("Cin"), c.at("Cout"), c.at("k").get<int64_t>(),
                                       Conv2dOptions{.stride = c.at("stride").get<int64_t>(),
                                                     .padding = c.at("pad").get<int64_t>(),
                                                     .dilation = c.at("dilation").get<int64_t>(),
                                                     .groups = c.at("groups")});
  const Shape in = shape_of(c, c.at("Cin"));
  const double flops = 2.0 * conv->output_shape(in).numel() * (conv->in_channels() / conv->options().groups) *
                       conv->kernel_size().h * conv->kernel_size().w;
  add("conv2d/" + c.at("name").get<std::string>(), in, "FLOP/s", flops,
      [conv](const Tensor& x) { return conv->forward(x); });
}

void register_conv_transpose(const json& c) {
  auto conv = std::make_shared<ConvTranspose2d>(
      c.at("Cin"), c.at("Cout"), c.at("k").get<int64_t>(),
      ConvTranspose2dOptions{.stride = c.at("stride").get<int64_t>(), .padding = c.at("pad").get<int64_t>(),
                             .output_padding = c.at("output_padding").get<int64_t>(), .groups = c.at("groups"),
                             .dilation = c.at("dilation").get<int64_t>()});
  const Shape in = shape_of(c, c.at("Cin"));
  const double flops = 2.0 * in.numel() * (conv->out_channels() / conv->options().groups) * conv->kernel_size().h *
                       conv->kernel_size().w;
  add("conv_transpose2d/" + c.at("name").get<std::string>(), in, "FLOP/s", flops,
      [conv](const Tensor& x) { return conv->forward(x); });
}

void register_pool(const json& c) {
  const int64_t k = c.at("k"), s = c.at("stride"), p = c.at("pad"), d = c.at("dilation");
  const Shape in = shape_of(c, c.at("C"));
  std::function<Tensor(const Tensor&)> pool;
  double bytes = 4.0 * in.numel();
  if (c.at("type") == "max") {
    const MaxPool2d op(k, {.stride = s, .padding = p, .dilation = d, .ceil_mode = c.at("ceil_mode")});
    bytes += 4.0 * op.output_shape(in).numel();
    pool = [op](const Tensor& t) { return op(t); };
  } else {
    const AvgPool2d op(k, {.stride = s, .padding = p, .ceil_mode = c.at("ceil_mode"),
                           .count_include_pad = c.at("count_include_pad"), .dilation = d});
    bytes += 4.0 * op.output_shape(in).numel();
    pool = [op](const Tensor& t) { return op(t); };
  }
  add("pool/" + c.at("name").get<std::string>(), in, "B/s", bytes, pool);
}

// shapes.json's upsampler_x2: ReLU after every layer but the last, fused into the convolutions.
struct Upsampler {
  std::vector<std::variant<Conv2d, ConvTranspose2d>> layers;
  double flops_per_pixel = 0;  // per input pixel

  explicit Upsampler(const json& model) {
    for (const json& l : model.at("layers")) {
      const int64_t k = l.at("k"), s = l.at("stride"), p = l.at("pad"), d = l.at("dilation");
      if (l.at("type") == "conv2d") {
        layers.emplace_back(Conv2d(l.at("Cin"), l.at("Cout"), k, {.stride = s, .padding = p, .dilation = d}));
      } else {
        layers.emplace_back(ConvTranspose2d(l.at("Cin"), l.at("Cout"), k,
                                            {.stride = s, .padding = p, .output_padding = l.at("output_padding").get<int64_t>(),
                                             .dilation = d}));
      }
    }
  }
  Tensor operator()(const Tensor& x) const {
    Tensor y = x.clone();
    for (std::size_t i = 0; i < layers.size(); ++i) {
      const Epilogue e = i + 1 < layers.size() ? Epilogue::relu() : Epilogue{};
      y = std::visit([&](const auto& layer) { return layer.forward(y, e); }, layers[i]);
    }
    return y;
  }
};

double upsampler_flops(const Upsampler& model, Shape shape) {
  double flops = 0;
  for (const auto& layer : model.layers) {
    std::visit(
        [&](const auto& l) {
          const Shape out = l.output_shape(shape);
          const double taps = double(l.kernel_size().h) * l.kernel_size().w;
          if constexpr (std::is_same_v<std::decay_t<decltype(l)>, Conv2d>)
            flops += 2.0 * out.numel() * l.in_channels() * taps;
          else
            flops += 2.0 * shape.numel() * l.out_channels() * taps;
          shape = out;
        },
        layer);
  }
  return flops;
}

void register_model(const json& model) {
  auto upsampler = std::make_shared<Upsampler>(model);
  for (const json& size : model.at("sizes")) {
    const Shape in{size.at("N").get<int64_t>(), size.at("C").get<int64_t>(), size.at("H").get<int64_t>(),
                   size.at("W").get<int64_t>()};
    add(model.at("name").get<std::string>() + "/" + size.at("name").get<std::string>(), in, "FLOP/s",
        upsampler_flops(*upsampler, in), [upsampler](const Tensor& x) { return (*upsampler)(x); });
  }
}

// Peak resident memory of this process in KiB. VmHWM belongs to the process's own address space;
// getrusage's ru_maxrss would include the parent's memory at fork, kept across exec.
long peak_rss_kib() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);)
    if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
  return -1;
}

}  // namespace

int main(int argc, char** argv) try {
  std::string shapes_path = STRIDER_BENCH_SHAPES;
  bool report_peak_rss = false;
  std::vector<char*> rest{argv[0]};
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg.rfind("--threads=", 0) == 0) set_num_threads(std::stoi(arg.substr(10)));
    else if (arg.rfind("--shapes=", 0) == 0) shapes_path = arg.substr(9);
    else if (arg == "--peak-rss") report_peak_rss = true;
    else rest.push_back(argv[i]);
  }
  int rest_count = static_cast<int>(rest.size());
  benchmark::Initialize(&rest_count, rest.data());

  std::ifstream file(shapes_path);
  if (!file) throw std::invalid_argument("cannot open shapes file '" + shapes_path + "'");
  const json suite = json::parse(file);
  for (const json& c : suite.at("conv2d")) register_conv(c);
  for (const json& c : suite.at("conv_transpose2d")) register_conv_transpose(c);
  for (const json& c : suite.at("pool")) register_pool(c);
  for (const json& m : suite.at("models")) register_model(m);

  benchmark::AddCustomContext("strider_threads", std::to_string(get_num_threads()));
  benchmark::AddCustomContext("strider_simd", std::string(simd_level_name(simd_level())));
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  if (report_peak_rss) std::cout << "peak_rss_kib " << peak_rss_kib() << '\n';
  return 0;
} catch (const std::exception& e) {
  std::cerr << "bench_ops: " << e.what() << '\n';
  return 2;
}
