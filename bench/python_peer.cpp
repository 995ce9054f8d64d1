// The C++ side of bench/python_overhead.py: the calls strider's Python bindings make, timed in C++ the
// way the script times them in Python (a batch of calls per round, the per-call time of each round).
//
//   python_peer upsample|conv|relu ROUNDS CALLS   prints one per-call time in microseconds per round
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <opencv2/core.hpp>

#include "strider.hpp"
#include "upsampler/image_upsampler.hpp"

using namespace strider;

namespace {

template <class Fn>
void time_rounds(int rounds, int calls, const Fn& fn) {
  for (int i = 0; i < 2; ++i) fn();  // warm-up: plans, page faults, the heap
  for (int r = 0; r < rounds; ++r) {
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < calls; ++i) fn();
    const std::chrono::duration<double, std::micro> elapsed = std::chrono::steady_clock::now() - start;
    std::printf("%.3f\n", elapsed.count() / calls);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: python_peer upsample|conv|relu ROUNDS CALLS\n");
    return 2;
  }
  const std::string what = argv[1];
  const int rounds = std::atoi(argv[2]), calls = std::atoi(argv[3]);
  // The same inputs as python_overhead.py: a 256×256 BGR photo-sized image, a [1, 8, 16, 16] tensor.
  if (what == "upsample") {
    const ImageUpsampler upsampler;
    cv::Mat image(256, 256, CV_8UC3);
    cv::randu(image, 0, 256);
    time_rounds(rounds, calls, [&] { return upsampler.upsample(image).rows; });
  } else {
    const Tensor x = Tensor::uniform({1, 8, 16, 16}, -1, 1, 0);
    nn::Conv2d conv(8, 8, 3, {.padding = 1});
    nn::ReLU relu;
    const nn::Module& module = what == "conv" ? static_cast<const nn::Module&>(conv) : relu;
    time_rounds(rounds, calls, [&] { return module(x).numel(); });
  }
  return 0;
}
