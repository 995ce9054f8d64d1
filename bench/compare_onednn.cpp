// Strider against oneDNN (libdnnl, the library under PyTorch's CPU convolutions) called directly, on the
// Conv2d and ConvTranspose2d cases of bench/shapes.json. A bench-only dependency: built only when CMake
// finds libdnnl; the library never links it.
//
//   compare_onednn [--threads=2] [--rounds=5] [--shapes=PATH] [--only=c3,t1]
//
// Each round times, case by case, Strider and then oneDNN in each of its layouts: "blocked" (format any:
// oneDNN picks, usually nChw16c), NHWC, NCHW, and NCHW in and out through reorders to and from the
// blocked layout (Strider's own interface, as PyTorch runs oneDNN). Without the reorders only the
// primitive is timed, with data already in its layout; weights are reordered once, untimed. A timing is
// the fastest call of about 0.1 s of calls; the table keeps the best round. Warm heap, as in
// compare_pytorch.py. Prints a Markdown table:
// oneDNN's best layout / Strider and oneDNN's best NCHW in/out / Strider (> 1: Strider is faster), and
// both against the machine's measured FMA peak (fma_peak.hpp).
#include <oneapi/dnnl/dnnl.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iostream>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <unistd.h>
#include <unordered_map>
#include <vector>
#include <array>

#include "fma_peak.hpp"
#include "strider.hpp"

using namespace strider;
using nlohmann::json;
using dnnl::memory;
using tag = dnnl::memory::format_tag;

namespace {

double fastest_ms(const std::function<void()>& f) {
  using clock = std::chrono::steady_clock;
  f();  // warm-up: first-touch pages, caches
  double best = std::numeric_limits<double>::infinity();
  const auto start = clock::now();
  for (int i = 0; i < 1000 && std::chrono::duration<double>(clock::now() - start).count() < 0.1; ++i) {
    const auto t0 = clock::now();
    f();
    best = std::min(best, std::chrono::duration<double, std::milli>(clock::now() - t0).count());
  }
  return best;
}

// One oneDNN convolution or deconvolution in one layout, ready to run: the primitive, and with
// `reorder` the reorders from and to NCHW around it.
struct OneDnnRun {
  std::vector<std::pair<dnnl::primitive, std::unordered_map<int, memory>>> steps;
  void operator()(dnnl::stream& stream) {
    for (auto& [primitive, args] : steps) primitive.execute(stream, args);
    stream.wait();
  }
};

struct Case {
  std::string name;
  bool transposed;
  int64_t n, cin, cout, k, s, p, op, d, g, h, w;
  int64_t out_h() const {
    return transposed ? (h - 1) * s - 2 * p + d * (k - 1) + op + 1 : (h + 2 * p - d * (k - 1) - 1) / s + 1;
  }
  int64_t out_w() const {
    return transposed ? (w - 1) * s - 2 * p + d * (k - 1) + op + 1 : (w + 2 * p - d * (k - 1) - 1) / s + 1;
  }
  // A direct convolution's multiply-adds, two FLOPs each: every tap of every (input, output) channel pair
  // of a group, at every output position (every input position of a transposed convolution).
  double gflop() const {
    const double positions = transposed ? static_cast<double>(h * w) : static_cast<double>(out_h() * out_w());
    return 2.0 * static_cast<double>(n * cin * (cout / g) * k * k) * positions / 1e9;
  }
};

OneDnnRun make_onednn(const Case& c, const dnnl::engine& engine, tag layout, bool reorder) {
  const memory::dims src{c.n, c.cin, c.h, c.w}, dst{c.n, c.cout, c.out_h(), c.out_w()};
  const memory::dims weights = c.g == 1 ? memory::dims{c.cout, c.cin, c.k, c.k}
                                        : memory::dims{c.g, c.cout / c.g, c.cin / c.g, c.k, c.k};
  const auto f32 = memory::data_type::f32;
  const memory::desc src_md(src, f32, layout), dst_md(dst, f32, layout), w_md(weights, f32, tag::any),
      b_md({c.cout}, f32, tag::x);
  const memory::dims strides{c.s, c.s}, dilates{c.d - 1, c.d - 1}, pad_l{c.p, c.p};
  // oneDNN states the padding after the image explicitly: what makes its output size PyTorch's.
  const int64_t reach = (c.k - 1) * c.d + 1;
  const auto after = [&](int64_t in, int64_t out) {
    return c.transposed ? (in - 1) * c.s - c.p + reach - out : (out - 1) * c.s + reach - in - c.p;
  };
  const memory::dims pad_r{after(c.h, c.out_h()), after(c.w, c.out_w())};
  dnnl::primitive primitive;
  memory::desc src_chosen, w_chosen, dst_chosen;
  if (c.transposed) {
    const dnnl::deconvolution_forward::primitive_desc pd(
        {dnnl::prop_kind::forward_inference, dnnl::algorithm::deconvolution_direct, src_md, w_md, b_md, dst_md,
         strides, dilates, pad_l, pad_r},
        engine);
    primitive = dnnl::deconvolution_forward(pd);
    src_chosen = pd.src_desc(), w_chosen = pd.weights_desc(), dst_chosen = pd.dst_desc();
  } else {
    const dnnl::convolution_forward::primitive_desc pd(
        {dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct, src_md, w_md, b_md, dst_md,
         strides, dilates, pad_l, pad_r},
        engine);
    primitive = dnnl::convolution_forward(pd);
    src_chosen = pd.src_desc(), w_chosen = pd.weights_desc(), dst_chosen = pd.dst_desc();
  }
  memory src_mem(src_chosen, engine), w_mem(w_chosen, engine), b_mem(b_md, engine), dst_mem(dst_chosen, engine);
  for (memory* m : {&src_mem, &w_mem, &b_mem}) {
    float* data = static_cast<float*>(m->get_data_handle());
    const std::size_t count = m->get_desc().get_size() / sizeof(float);
    for (std::size_t i = 0; i < count; ++i) data[i] = static_cast<float>((i * 2654435761u) % 1000) / 1000.0f - 0.5f;
  }
  OneDnnRun run;
  if (reorder) {
    const memory src_nchw({src, f32, tag::nchw}, engine), dst_nchw({dst, f32, tag::nchw}, engine);
    run.steps.push_back({dnnl::reorder(src_nchw, src_mem), {{DNNL_ARG_FROM, src_nchw}, {DNNL_ARG_TO, src_mem}}});
    run.steps.push_back({primitive, {{DNNL_ARG_SRC, src_mem}, {DNNL_ARG_WEIGHTS, w_mem}, {DNNL_ARG_BIAS, b_mem},
                                     {DNNL_ARG_DST, dst_mem}}});
    run.steps.push_back({dnnl::reorder(dst_mem, dst_nchw), {{DNNL_ARG_FROM, dst_mem}, {DNNL_ARG_TO, dst_nchw}}});
    return run;
  }
  run.steps.push_back({primitive, {{DNNL_ARG_SRC, src_mem}, {DNNL_ARG_WEIGHTS, w_mem}, {DNNL_ARG_BIAS, b_mem},
                                   {DNNL_ARG_DST, dst_mem}}});
  return run;
}

std::function<Tensor(const Tensor&)> make_strider(const Case& c) {
  if (c.transposed) {
    auto conv = std::make_shared<ConvTranspose2d>(
        c.cin, c.cout, c.k,
        ConvTranspose2dOptions{.stride = c.s, .padding = c.p, .output_padding = c.op, .groups = c.g, .dilation = c.d});
    return [conv](const Tensor& x) { return conv->forward(x); };
  }
  auto conv = std::make_shared<Conv2d>(c.cin, c.cout, c.k,
                                       Conv2dOptions{.stride = c.s, .padding = c.p, .dilation = c.d, .groups = c.g});
  return [conv](const Tensor& x) { return conv->forward(x); };
}

}  // namespace

int main(int argc, char** argv) try {
  std::string shapes_path = STRIDER_BENCH_SHAPES, only;
  int threads = 2, rounds = 5;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg.rfind("--threads=", 0) == 0) threads = std::stoi(arg.substr(10));
    else if (arg.rfind("--rounds=", 0) == 0) rounds = std::stoi(arg.substr(9));
    else if (arg.rfind("--shapes=", 0) == 0) shapes_path = arg.substr(9);
    else if (arg.rfind("--only=", 0) == 0) only = std::string(",").append(arg.substr(7)).append(",");
    else throw std::invalid_argument("unknown argument '" + arg + "'");
  }
  // oneDNN here runs on OpenMP, which reads its settings when the process starts: run again with them.
  // Passive waiting keeps its idle threads from spinning against Strider's. glibc too reads its tunables
  // at start-up: a warm heap (as in compare_pytorch.py) keeps Strider's output tensors from being mapped
  // and page-faulted afresh on every call, since oneDNN's timings reuse a preallocated destination.
  const std::string omp_threads = std::to_string(threads);
  constexpr const char* warm_heap = "glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=4294967296";
  const char* current = std::getenv("OMP_NUM_THREADS");
  const char* tunables = std::getenv("GLIBC_TUNABLES");
  if (current == nullptr || current != omp_threads || tunables == nullptr || std::string(tunables) != warm_heap) {
    setenv("OMP_NUM_THREADS", omp_threads.c_str(), 1);
    setenv("OMP_WAIT_POLICY", "passive", 1);
    setenv("GLIBC_TUNABLES", warm_heap, 1);
    execv("/proc/self/exe", argv);
    throw std::runtime_error("cannot restart with OMP_NUM_THREADS set");
  }
  set_num_threads(threads);

  std::ifstream file(shapes_path);
  if (!file) throw std::invalid_argument("cannot open shapes file '" + shapes_path + "'");
  const json suite = json::parse(file);
  std::vector<Case> cases;
  for (const char* group : {"conv2d", "conv_transpose2d"})
    for (const json& j : suite.at(group)) {
      const std::string name = j.at("name");
      if (!only.empty() && only.find("," + name + ",") == std::string::npos) continue;
      cases.push_back({name, std::string(group) == "conv_transpose2d", j.value("N", int64_t{1}), j.at("Cin"),
                       j.at("Cout"), j.at("k"), j.at("stride"), j.at("pad"), j.value("output_padding", int64_t{0}),
                       j.at("dilation"), j.at("groups"), j.at("H"), j.at("W")});
    }

  const dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  dnnl::stream stream(engine);
  // Layouts: oneDNN's choice, NHWC, NCHW as such, and NCHW in and out through reorders to its choice.
  constexpr tag layouts[] = {tag::any, tag::nhwc, tag::nchw, tag::any};
  std::vector<std::array<double, 5>> best(cases.size());  // Strider, then the four layouts
  for (auto& b : best) b.fill(std::numeric_limits<double>::infinity());
  double peak = 0;  // measured in every round: this shared machine's clock moves
  for (int round = 0; round < rounds; ++round) {
    peak = std::max(peak, fma_peak_gflops(threads));
    for (std::size_t i = 0; i < cases.size(); ++i) {
      const Case& c = cases[i];
      const Tensor x = Tensor::uniform({c.n, c.cin, c.h, c.w}, -1, 1, 1);
      const auto strider_run = make_strider(c);
      best[i][0] = std::min(best[i][0], fastest_ms([&] { (void)strider_run(x); }));
      for (int l = 0; l < 4; ++l) {
        OneDnnRun run = make_onednn(c, engine, layouts[l], l == 3);
        best[i][l + 1] = std::min(best[i][l + 1], fastest_ms([&] { run(stream); }));
      }
    }
  }
  std::printf("| case | Strider ms | oneDNN blocked ms | NHWC ms | NCHW ms | NCHW in/out via blocked ms "
              "| best layout / Strider | best NCHW in/out / Strider "
              "| Strider %% of peak | oneDNN's best %% of peak |\n");
  std::printf("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const auto& b = best[i];
    const double best_layout = std::min({b[1], b[2], b[3]});
    const auto percent = [&](double ms) { return 100 * cases[i].gflop() / (ms / 1e3) / peak; };
    std::printf("| %s | %.3f | %.3f | %.3f | %.3f | %.3f | %.2f | %.2f | %.0f | %.0f |\n", cases[i].name.c_str(), b[0],
                b[1], b[2], b[3], b[4], best_layout / b[0], std::min(b[3], b[4]) / b[0], percent(b[0]),
                percent(best_layout));
  }
  std::printf("\n%d threads, SIMD %s, best of %d alternating rounds. Peak: %.0f GFLOP/s, the best of the rounds' "
              "FMA chains on %d threads; a convolution's FLOPs are a direct one's, so Winograd's can pass 100 %%.\n",
              get_num_threads(), std::string(simd_level_name(simd_level())).c_str(), rounds, peak, threads);
  return 0;
} catch (const std::exception& e) {
  std::cerr << "compare_onednn: " << e.what() << '\n';
  return 2;
}
