// The upsampler's image pipeline: pixel conversions, tiling (tiled == untiled), metrics against values
// worked out by hand.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include <opencv2/core.hpp>

#include "metrics.hpp"
#include "ops/conv2d.hpp"
#include "ops/conv_transpose2d.hpp"
#include "pixels.hpp"
#include "test_util.hpp"
#include "tiling.hpp"

namespace strider::upsampler {
namespace {

cv::Mat random_image(int rows, int cols, int type, uint64_t seed) {
  cv::Mat image(rows, cols, type);
  cv::RNG rng(seed);
  rng.fill(image, cv::RNG::UNIFORM, 0, CV_MAT_DEPTH(type) == CV_32F ? 1.0 : CV_MAT_DEPTH(type) == CV_16U ? 65536 : 256);
  return image;
}

// A small stand-in with the model's anatomy: a stride-2 encoder, a dilated middle and transposed decoders,
// with zero padding, so it has the same tiling hazards. Output pixels see at most 9 input pixels away.
struct StandIn {
  Conv2d down{3, 8, 3, {.stride = 2, .padding = 1}};
  Conv2d middle{8, 8, 3, {.padding = 2, .dilation = 2}};
  ConvTranspose2d up{8, 8, 4, {.stride = 2, .padding = 1}};
  ConvTranspose2d out{8, 3, 4, {.stride = 2, .padding = 1}};
  StandIn() {
    middle.reset_parameters(1);
    up.reset_parameters(2);
    out.reset_parameters(3);
  }
  ModelX2 model() const {
    return {[this](const Tensor& x) { return out(up(middle(down(x)))); }, 9};
  }
};

TEST(UpsamplerPixels, RoundTripsEveryDepthAndRepeatsTheEdge) {
  for (const int type : {CV_8UC1, CV_8UC3, CV_16UC1, CV_16UC3, CV_32FC3}) {
    SCOPED_TRACE(type);
    const cv::Mat image = random_image(5, 7, type, 1);
    const Tensor t = region_to_tensor(image, cv::Rect(0, 0, 8, 6));  // one row and column past the edge
    ASSERT_EQ(t.shape(), Shape({1, 3, 6, 8}));
    for (int c = 0; c < 3; ++c) EXPECT_EQ(t.at(0, c, 5, 7), t.at(0, c, 4, 6));
    cv::Mat back(5, 7, type);
    tensor_to_region(t, 0, 0, back, cv::Rect(0, 0, 7, 5));
    EXPECT_EQ(cv::norm(image, back, cv::NORM_INF), 0.0);
  }
  const cv::Mat bgr(1, 1, CV_8UC3, cv::Scalar(10, 20, 30));
  const Tensor rgb = region_to_tensor(bgr, cv::Rect(0, 0, 1, 1));
  EXPECT_FLOAT_EQ(rgb[0], 30 / 255.0f);  // R first
  EXPECT_FLOAT_EQ(rgb[2], 10 / 255.0f);
}

TEST(UpsamplerTiling, TiledEqualsUntiledOnAMediumImage) {
  const StandIn net;
  const ModelX2 model = net.model();
  for (const int type : {CV_32FC3, CV_16UC1}) {
    const cv::Mat image = random_image(61, 94, type, 2);  // odd height: the repeated last row
    const cv::Mat whole = upsample_x2_tiled(image, image.depth(), model, {.tile = 1000});
    for (const int tile : {23, 40}) {
      SCOPED_TRACE(::testing::Message() << "type " << type << " tile " << tile);
      int64_t calls = 0, reported = 0;
      const cv::Mat tiled = upsample_x2_tiled(image, image.depth(), model, {.tile = tile},
                                              [&](int64_t, int64_t total) { ++calls, reported = total; });
      ASSERT_EQ(tiled.size(), cv::Size(188, 122));
      EXPECT_EQ(cv::norm(whole, tiled, cv::NORM_INF), 0.0);
      EXPECT_EQ(calls, tile_count(61, 94, {.tile = tile}));
      EXPECT_EQ(reported, calls);
    }
  }
}

TEST(UpsamplerTiling, StandInRadiusHolds) {
  // Changing one input pixel changes no output farther than 2 · (radius + 1) pixels away: what the tiling's
  // overlap relies on.
  const StandIn net;
  const ModelX2 model = net.model();
  Tensor x = testing::random_tensor({1, 3, 48, 48}, 4);
  const Tensor before = model.forward(x);
  x.at(0, 1, 24, 24) += 1.0f;
  const Tensor after = model.forward(x);
  for (int64_t i = 0; i < 96; ++i)
    for (int64_t j = 0; j < 96; ++j)
      if (std::abs(i - 48) > 2 * (model.receptive_radius + 1) || std::abs(j - 48) > 2 * (model.receptive_radius + 1)) {
        ASSERT_EQ(before.at(0, 0, i, j), after.at(0, 0, i, j)) << i << ", " << j;
      }
}

TEST(UpsamplerMetrics, KnownValues) {
  const cv::Mat a = random_image(40, 50, CV_8UC3, 5);
  EXPECT_EQ(y_psnr(a, a, 2), std::numeric_limits<double>::infinity());
  EXPECT_DOUBLE_EQ(y_ssim(a, a, 2), 1.0);
  // +10 on R, G and B moves Y by 219 · 10 / 255 everywhere.
  cv::Mat mid = cv::Mat(40, 50, CV_8UC3, cv::Scalar(100, 100, 100)), brighter = mid + cv::Scalar(10, 10, 10, 0);
  EXPECT_NEAR(y_psnr(mid, brighter, 0), 20 * std::log10(255.0 / (219.0 * 10 / 255)), 1e-9);
  // 16-bit and grey images measure on the same [16, 235] luma scale.
  cv::Mat mid16, brighter16, grey, grey_brighter;
  mid.convertTo(mid16, CV_16U, 257);
  brighter.convertTo(brighter16, CV_16U, 257);
  EXPECT_NEAR(y_psnr(mid16, brighter16, 0), y_psnr(mid, brighter, 0), 1e-9);
  cv::extractChannel(mid, grey, 0);
  cv::extractChannel(brighter, grey_brighter, 0);
  EXPECT_NEAR(y_psnr(grey, grey_brighter, 0), y_psnr(mid, brighter, 0), 1e-9);
  // A constant offset leaves the structure term at 1: SSIM is the luminance term alone,
  // (2·μa·μb + C1) / (μa² + μb² + C1) with μ the luma of 100 and 110.
  const double ya = 16 + 219 * 100 / 255.0, yb = 16 + 219 * 110 / 255.0, c1 = std::pow(0.01 * 255, 2);
  EXPECT_NEAR(y_ssim(mid, brighter, 0), (2 * ya * yb + c1) / (ya * ya + yb * yb + c1), 1e-9);
  EXPECT_TRUE(testing::rejects([&] { y_psnr(a, mid(cv::Rect(0, 0, 50, 39)), 0); }, {"y_psnr", "size"}));
}

}  // namespace
}  // namespace strider::upsampler
