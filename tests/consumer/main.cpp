// The installed package as an application sees it: core, the image bridge, the upsampler library, the
// ONNX loader and the version header, each checked for what it promises. Exit code 0 when every check
// holds.
#include <strider/strider.hpp>
#include <strider/upsampler/image_upsampler.hpp>
#include <strider/vision/image_file.hpp>
#include <strider/vision/image_tensor.hpp>

#include <array>
#include <iostream>
#include <stdexcept>
#include <stop_token>
#include <string>
#include <type_traits>

#ifdef CONSUMER_HAS_ONNX
bool onnx_rejects_garbage();  // onnx.cpp
bool onnx_serves_threads();
#endif

namespace {

using namespace strider;

bool failed = false;

void expect(bool condition, const std::string& what) {
  std::cout << (condition ? "ok    " : "FAILED ") << what << '\n';
  failed = failed || !condition;
}

void core() {
  const Conv2d conv(3, 8, 3, {.stride = 2, .padding = 1});
  const Tensor y = conv(Tensor::uniform({1, 3, 16, 16}, -1, 1, 0));
  nn::Sequential model(nn::Conv2d(8, 4, 3, {.padding = 1}), nn::ReLU());
  model.load_state_dict(parse_safetensors(serialize_safetensors(model.state_dict())));
  expect(y.shape() == Shape{1, 8, 8, 8} && model(y).shape() == Shape{1, 4, 8, 8}, "Conv2d and nn through the package");
  expect(std::string(STRIDER_VERSION) == std::to_string(STRIDER_VERSION_MAJOR) + "." +
                                             std::to_string(STRIDER_VERSION_MINOR) + "." +
                                             std::to_string(STRIDER_VERSION_PATCH),
         "version header: " STRIDER_VERSION);
}

void wraps() {
  const std::array<float, 6> buffer = {0, 1, 2, 3, 4, 5};
  const ConstTensor view = Tensor::wrap(buffer.data(), {2, 3});
  static_assert(!std::is_constructible_v<Tensor, ConstTensor>, "a const view never becomes writable");
  expect(!view.owns_data() && view.data() == buffer.data(), "Tensor::wrap(const float*) views without a copy");
  const std::array<int64_t, 2> column_strides = {3, 1};
  const ConstTensor column = Tensor::wrap(buffer.data() + 1, {2, 1}, column_strides);
  expect(column.tensor()[0] == 1 && column.tensor()[1] == 4, "Tensor::wrap(strided) packs a column");
}

void vision_bridge() {
  cv::Mat bgr(2, 3, CV_8UC3, cv::Scalar(10, 20, 30));
  const Tensor chw = vision::to_tensor(bgr);
  expect(chw.shape() == Shape{1, 3, 2, 3} && chw.at(0, 0, 0, 0) == 30 / 255.0f, "to_tensor: CHW, RGB, [0, 1]");
  const Tensor hwc = vision::to_tensor(bgr, {.layout = vision::Layout::hwc, .rgb = false, .scale = 1});
  expect(hwc.shape() == Shape{1, 2, 3, 3} && hwc.at(0, 1, 2, 0) == 10, "to_tensor: HWC, BGR, raw values");
  const vision::PixelFormat normalised{.mean = {0.5f, 0.5f, 0.5f}, .std = {0.25f, 0.25f, 0.25f}};
  cv::Mat wide(2, 3, CV_16UC3, cv::Scalar(1000, 30000, 65535));
  expect(cv::norm(vision::to_image(vision::to_tensor(wide, normalised), CV_16U, normalised), wide, cv::NORM_INF) == 0,
         "16-bit round trip through mean / std");
  cv::Mat floats(4, 5, CV_32FC3, cv::Scalar(0.25, 0.5, 0.75));
  Tensor shared = vision::wrap_image(floats);
  shared.at(0, 3, 4, 2) = 1;
  expect(floats.at<cv::Vec3f>(3, 4)[2] == 1, "wrap_image shares a float image's memory");
  const cv::Mat roi = floats(cv::Rect(1, 1, 2, 2));
  expect(vision::wrap_image(roi).owns_data() && vision::wrap_image(roi).shape() == Shape{1, 2, 2, 3},
         "wrap_image of a const ROI packs it");
  try {
    std::array<uint8_t, 33> png = {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, 'I', 'H', 'D', 'R',
                                   0, 1, 0x86, 0xA0, 0, 1, 0x86, 0xA0, 8, 2};  // 100000 x 100000
    vision::decode_image(png, "huge.png");
    expect(false, "a PNG claiming 100000x100000 is rejected");
  } catch (const std::invalid_argument& e) {
    expect(std::string(e.what()).find("100000x100000") != std::string::npos, std::string("huge PNG: ") + e.what());
  }
}

void image_upsampler() {
  const ImageUpsampler upsampler;  // the installed weights (STRIDER_DATA_DIR in the test)
  const cv::Mat image(40, 30, CV_8UC4, cv::Scalar(40, 80, 120, 255));
  int64_t last = 0, total = 0;
  const cv::Mat big = upsampler.upsample(image, {.scale = 2, .tile = 16, .progress = [&](int64_t done, int64_t all) {
                                                   last = done, total = all;
                                                 }});
  expect(big.type() == CV_8UC4 && big.size() == cv::Size(60, 80) && last == total && total == 6,
         "ImageUpsampler: BGRA x2 in 6 tiles, progress reported");
  std::stop_source stop;
  stop.request_stop();
  try {
    upsampler.upsample(image, {.stop = stop.get_token()});
    expect(false, "ImageUpsampler: cancelled");
  } catch (const UpsampleCancelled&) {
    expect(true, "ImageUpsampler: cancelled");
  }
}

}  // namespace

int main() {
  core();
  wraps();
  vision_bridge();
  image_upsampler();
#ifdef CONSUMER_HAS_ONNX
  expect(onnx_rejects_garbage(), "ONNX loader rejects garbage");
  expect(onnx_serves_threads(), "ONNX model: names, run by name, 8 threads on a ThreadPool equal serial runs");
#endif
  return failed ? 1 : 0;
}
