// Hostile input, each case in its own process: tiny files and API calls with absurd sizes, strides,
// kernels and paddings (issue 14). Every case must end, in under 10 s and 1 GB, with PyTorch's result or
// a std::invalid_argument whose message names the argument, its value and the rule; never a crash,
// a hang, a bad_alloc or a wrapped (negative) size.
//
//   hostile_test                 runs every case, each as `hostile_test --case NAME`, and prints a table
//   hostile_test --case NAME     runs one case in this process
#include <fcntl.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <iostream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "core/arithmetic.hpp"
#include "core/npy.hpp"
#include "onnx/onnx_model.hpp"
#include "ops/conv2d.hpp"
#include "ops/conv_transpose2d.hpp"
#include "ops/pixel_shuffle.hpp"
#include "ops/pool2d.hpp"

extern char** environ;

namespace strider {
namespace {

constexpr int64_t big = int64_t{1} << 40, huge = int64_t{1} << 62;
constexpr double seconds_limit = 10;
constexpr long rss_limit_kb = 1 << 20;  // 1 GiB

Tensor random(Shape shape, uint64_t seed) { return Tensor::uniform(shape, -1.0f, 1.0f, seed); }

// "[1, 8, 1, 1] = reference" when `y` equals the reference within float rounding.
std::string compared(const Tensor& y, const Tensor& reference) {
  std::ostringstream os;
  os << y.shape() << (allclose(y, reference, 1e-5, 1e-5) ? " = reference" : " != reference");
  return os.str();
}

Tensor run_model(const char* file, Shape input) {
  return load_onnx(std::string(STRIDER_HOSTILE_MODELS) + "/" + file + ".onnx").run(Tensor::full(input, 1.0f));
}

// A case run in-process (in the child): returns a description of its result, or throws.
struct ApiCase {
  const char* name;
  std::function<std::string()> run;
  std::vector<std::string> expect;  // substrings of "result: ..." or "error: ..."
};

std::vector<ApiCase> api_cases() {
  return {
      {"conv2d_stride_2_40",  // PyTorch: [1, 8, 1, 1]
       [] {
         Conv2d conv(3, 8, 3, {.stride = big});
         const Tensor x = random({1, 3, 5, 5}, 1);
         return compared(conv(x), ref::conv2d(x, conv.weight(), conv.bias(), conv.params()));
       },
       {"result: [1, 8, 1, 1] = reference"}},
      {"conv2d_strides_1_1e6",
       [] {
         Conv2d conv(3, 8, 3, {.stride = {1, 1000000}});
         const Tensor x = random({1, 3, 16, 16}, 2);
         return compared(conv(x), ref::conv2d(x, conv.weight(), conv.bias(), conv.params()));
       },
       {"result: [1, 8, 14, 1] = reference"}},
      {"conv2d_dilation_2_40_padding_2_40",  // each window's taps are 2^40 apart: one reads the input
       [] {
         Conv2d conv(2, 4, 3, {.stride = 3, .padding = big, .dilation = big});
         const Tensor x = random({1, 2, 6, 6}, 3);
         return compared(conv(x), ref::conv2d(x, conv.weight(), conv.bias(), conv.params()));
       },
       {"result: [1, 4, 2, 2] = reference"}},
      {"conv2d_padding_2_62",
       [] { return Conv2d(1, 1, 3, {.padding = huge})(random({1, 1, 5, 5}, 4)).shape().str(); },
       {"error: ", "conv_output_size", "overflows int64", "4611686018427387904"}},
      {"maxpool2d_stride_2_62",
       [] {
         MaxPool2d pool(2, {.stride = huge});
         const Tensor x = random({1, 1, 16, 16}, 5);
         return compared(pool(x), ref::max_pool2d(x, pool.params()));
       },
       {"result: [1, 1, 1, 1] = reference"}},
      {"avgpool2d_kernel_2_40",  // 17 x 17 windows of 2^80 taps, 1 to 256 of them inside the input
       [] {
         const Tensor y = AvgPool2d(big, {.stride = 1, .padding = big / 2, .count_include_pad = false})(
             Tensor::full({1, 1, 16, 16}, 1.0f));
         return compared(y, Tensor::full({1, 1, 17, 17}, 1.0f));
       },
       {"result: [1, 1, 17, 17] = reference"}},
      {"conv_transpose2d_stride_60000",
       [] { return ConvTranspose2d(1, 1, 3, {.stride = 60000})(random({1, 1, 4, 4}, 6)).shape().str(); },
       {"error: ", "Tensor: shape [1, 1, 180003, 180003]", "STRIDER_MAX_TENSOR_BYTES"}},
      {"conv_transpose2d_stride_60000_one_axis",
       [] {
         ConvTranspose2d up(2, 3, 3, {.stride = {60000, 1}});
         const Tensor x = random({1, 2, 2, 4}, 7);
         return compared(up(x), ref::conv_transpose2d(x, up.weight(), up.bias(), up.params()));
       },
       {"result: [1, 3, 60003, 6] = reference"}},
      {"conv_transpose2d_stride_2_40_one_pixel",
       [] {
         ConvTranspose2d up(2, 3, 3, {.stride = big});
         const Tensor x = random({1, 2, 1, 1}, 8);
         return compared(up(x), ref::conv_transpose2d(x, up.weight(), up.bias(), up.params()));
       },
       {"result: [1, 3, 3, 3] = reference"}},
      {"pixel_shuffle_2_62", [] { return pixel_shuffle(random({1, 4, 2, 2}, 9), huge).shape().str(); },
       {"error: ", "pixel_shuffle", "overflows int64"}},
      {"conv_output_size_int64_max", [] { return std::to_string(conv_output_size(INT64_MAX, 3, 1, 1)); },
       {"error: ", "conv_output_size", "9223372036854775807"}},
      {"dilated_kernel_size_2_40", [] { return std::to_string(dilated_kernel_size(big, big)); },
       {"error: ", "dilated_kernel_size", "1099511627776"}},
      {"tensor_beyond_the_limit", [] { return Tensor({1, 3, 100000, 100000}).shape().str(); },
       {"error: ", "[1, 3, 100000, 100000]", "STRIDER_MAX_TENSOR_BYTES"}},
      {"tensor_limit_from_the_environment",  // read at the first allocation: this process has made none
       [] {
         setenv("STRIDER_MAX_TENSOR_BYTES", "1024", 1);
         return Tensor({257}).shape().str();
       },
       {"error: ", "Tensor: shape [257]", "limit of 1024 bytes"}},
      {"npy_128_bytes_claiming_1x3x100000x100000",
       [] {
         std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 3, 100000, 100000), }";
         header.append(117 - header.size(), ' ').push_back('\n');
         const std::string file = std::string("\x93NUMPY\x01\x00", 8) + char(header.size()) + '\0' + header;
         return parse_npy(file, "tiny.npy").shape().str();
       },
       {"error: ", "tiny.npy", "[1, 3, 100000, 100000]", "but the file has 0"}},
      // ONNX files (tests/hostile/make_models.py): the loader's path to the same operators.
      {"onnx_maxpool_stride_2_62", [] { return run_model("maxpool_stride_2_62", {1, 1, 16, 16}).shape().str(); },
       {"result: [1, 1, 1, 1]"}},
      {"onnx_conv_stride_2_62", [] { return run_model("conv_stride_2_62", {1, 1, 16, 16}).shape().str(); },
       {"result: [1, 1, 1, 1]"}},
      {"onnx_conv_strides_1_1e6", [] { return run_model("conv_strides_1_1e6", {1, 1, 16, 16}).shape().str(); },
       {"result: [1, 1, 14, 1]"}},
      {"onnx_depth_to_space_2_62", [] { return run_model("depth_to_space_2_62", {1, 4, 8, 8}).shape().str(); },
       {"error: ", "DepthToSpace node 'd2s'", "overflows int64"}},
      {"onnx_averagepool_kernel_2_40",
       [] { return compared(run_model("averagepool_kernel_2_40", {1, 1, 16, 16}), Tensor::full({1, 1, 17, 17}, 1)); },
       {"result: [1, 1, 17, 17] = reference"}},
      {"onnx_conv_transpose_stride_60000",
       [] { return run_model("conv_transpose_stride_60000", {1, 1, 4, 4}).shape().str(); },
       {"error: ", "ConvTranspose node 'up'", "STRIDER_MAX_TENSOR_BYTES"}},
      {"onnx_resize_scales_1e9", [] { return run_model("resize_scales_1e9", {1, 1, 4, 4}).shape().str(); },
       {"error: ", "Resize node 'resize'", "tensor limit", "STRIDER_MAX_TENSOR_BYTES"}},
      {"onnx_conv_transpose_same_stride_2_62",
       [] { return run_model("conv_transpose_same_stride_2_62", {1, 1, 4, 4}).shape().str(); },
       {"error: ", "ConvTranspose node 'up'", "overflows int64"}},
      {"onnx_conv_dilation_2_62", [] { return run_model("conv_dilation_2_62", {1, 1, 16, 16}).shape().str(); },
       {"error: ", "Conv node 'conv'", "overflows int64"}},
      {"onnx_add_with_one_input", [] { return run_model("add_one_input", {1, 1, 4, 4}).shape().str(); },
       {"error: ", "Add node 'add'", "has 1 inputs", "fewer than Add requires"}},
  };
}

// A command-line case: a program of the project, its arguments and what its output must contain.
struct CliCase {
  const char* name;
  std::vector<std::string> argv;
  int exit_code;
  std::vector<std::string> expect;
};

std::vector<CliCase> cli_cases() {
  std::vector<CliCase> cases;
#ifdef STRIDER_CONV_ARITH
  const std::string arith = STRIDER_CONV_ARITH;
  cases.push_back({"conv_arith_transposed_stride_1e6", {arith, "--kind", "transposed", "-i", "4", "-k", "3", "-s", "1000000"},
                   2, {"--stride: (1000000, 1000000) is too large", "up to 1024"}});
  cases.push_back({"conv_arith_maxpool_stride_2_62", {arith, "--kind", "maxpool", "-i", "16", "-k", "2", "-s", "4611686018427387904"},
                   2, {"--stride", "4611686018427387904", "up to 1024"}});
  cases.push_back({"conv_arith_input_int64_max", {arith, "-i", "9223372036854775807"}, 2, {"--input", "up to 1024"}});
  cases.push_back({"conv_arith_kernel_dilation_2_40", {arith, "-k", "1099511627776", "-d", "1099511627776"}, 2,
                   {"--kernel", "1099511627776"}});
  cases.push_back({"conv_arith_padding_2_62", {arith, "-p", "4611686018427387904"}, 2, {"--padding", "up to 1024"}});
  cases.push_back({"conv_arith_largest_arguments", {arith, "--kind", "avgpool", "-i", "1024", "-k", "1024", "-s", "1", "-p", "512", "--ceil-mode"},
                   0, {"avgpool: input 1024"}});
#endif
#ifdef STRIDER_RUN
  cases.push_back({"strider_run_threads_minus_1", {STRIDER_RUN, "model.onnx", "in.npy", "--threads", "-1"}, 2,
                   {"--threads: Value -1 not in range 0 to 1024"}});
#endif
  // Image files (upsample, strider-run on PNG / JPEG): the package helper adds its cases here.
  return cases;
}

struct Outcome {
  bool finished = false;  // within seconds_limit
  int exit_code = -1;     // -1: killed by a signal
  double seconds = 0;
  long rss_kb = 0;
  std::string output;
};

// Runs argv with stdout and stderr in a file, killing it after seconds_limit.
Outcome spawn(const std::vector<std::string>& argv) {
  char log_template[] = "/tmp/strider_hostile_XXXXXX";
  const int log = mkstemp(log_template);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, log, 1);
  posix_spawn_file_actions_adddup2(&actions, log, 2);
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  Outcome out;
  const auto start = std::chrono::steady_clock::now();
  pid_t pid = 0;
  if (posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ) != 0) {
    out.output = "cannot start " + argv[0];
    return out;
  }
  posix_spawn_file_actions_destroy(&actions);
  int status = 0;
  rusage usage{};
  for (;;) {
    if (wait4(pid, &status, WNOHANG, &usage) == pid) {
      out.finished = true;
      break;
    }
    if (std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() > seconds_limit) {
      kill(pid, SIGKILL);
      wait4(pid, &status, 0, &usage);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  out.rss_kb = usage.ru_maxrss;
  out.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  close(log);
  std::ifstream file(log_template);
  out.output.assign(std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>());
  unlink(log_template);
  return out;
}

// The child's side: one API case, its result or error on stdout. A bad_alloc or any other exception is
// a failure (exit 3); so is a crash (signal) or running out of time.
int run_case(const std::string& name) {
  for (const ApiCase& c : api_cases()) {
    if (name != c.name) continue;
    try {
      const std::string result = c.run();
      std::cout << "result: " << result << '\n';
    } catch (const std::invalid_argument& e) {
      std::cout << "error: " << e.what() << '\n';
    } catch (const std::exception& e) {
      std::cout << "unexpected " << typeid(e).name() << ": " << e.what() << '\n';
      return 3;
    }
    return 0;
  }
  std::cerr << "no case named " << name << '\n';
  return 2;
}

bool check(const char* name, const Outcome& o, int exit_code, const std::vector<std::string>& expect) {
  std::string problem;
  if (!o.finished) problem = "did not finish in 10 s";
  else if (o.exit_code != exit_code) problem = "exit code " + std::to_string(o.exit_code);
  else if (o.rss_kb > rss_limit_kb) problem = "used more than 1 GB";
  for (const std::string& s : expect)
    if (problem.empty() && o.output.find(s) == std::string::npos) problem = "output lacks '" + s + "'";
  std::string first_line = o.output.substr(0, o.output.find('\n'));
  if (first_line.size() > 150) first_line = first_line.substr(0, 147) + "...";
  std::printf("%-44s %6.2f s %7.1f MB  %s\n    %s\n", name, o.seconds, o.rss_kb / 1024.0,
              problem.empty() ? "ok" : ("FAIL: " + problem).c_str(), first_line.c_str());
  return problem.empty();
}

}  // namespace
}  // namespace strider

int main(int argc, char** argv) {
  using namespace strider;
  if (argc == 3 && std::strcmp(argv[1], "--case") == 0) return run_case(argv[2]);
  int failed = 0;
  for (const ApiCase& c : api_cases())
    failed += !check(c.name, spawn({"/proc/self/exe", "--case", c.name}), 0, c.expect);
  for (const CliCase& c : cli_cases()) failed += !check(c.name, spawn(c.argv), c.exit_code, c.expect);
  std::printf("%d hostile cases failed\n", failed);
  return failed == 0 ? 0 : 1;
}
