// The upsampler: parity with PyTorch on the committed weights, tiling (tiled == untiled, the receptive
// radius it relies on), pixel conversions, metrics against values worked out by hand.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <stop_token>
#include <thread>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "core/npy.hpp"
#include "core/safetensors.hpp"
#include "metrics.hpp"
#include "ops/winograd_kernel.hpp"
#include "upsampler/pixels.hpp"
#include "test_util.hpp"
#include "upsampler/image_upsampler.hpp"
#include "upsampler/tiling.hpp"
#include "upsampler/upsampler_model.hpp"

namespace strider::upsampler {
namespace {

// A bundled model's weights: "x2", "x2_real" or "x4".
std::filesystem::path weights(const std::string& model) {
  return std::filesystem::path(STRIDER_UPSAMPLER_WEIGHTS_DIR) / ("upsampler_" + model + ".safetensors");
}

// The process's default convolution algorithm while alive. The tiler is exact on the direct kernel: each
// output's bits depend on its receptive field only, where Winograd's rounding reaches its 4x4 blocks' 6x6
// windows.
class DefaultConvAlgorithm {
 public:
  explicit DefaultConvAlgorithm(ConvAlgorithm algorithm) { set_default_conv_algorithm(algorithm); }
  ~DefaultConvAlgorithm() { set_default_conv_algorithm(before_); }
  DefaultConvAlgorithm(const DefaultConvAlgorithm&) = delete;
  DefaultConvAlgorithm& operator=(const DefaultConvAlgorithm&) = delete;

 private:
  ConvAlgorithm before_ = default_conv_algorithm();
};

cv::Mat random_image(int rows, int cols, int type, uint64_t seed) {
  cv::Mat image(rows, cols, type);
  cv::RNG rng(seed);
  rng.fill(image, cv::RNG::UNIFORM, 0, CV_MAT_DEPTH(type) == CV_32F ? 1.0 : CV_MAT_DEPTH(type) == CV_16U ? 65536 : 256);
  return image;
}

TEST(UpsamplerModel, MatchesPyTorchOnTheCommittedWeights) {
  // tests/data/upsampler: samples/upsampler/make_fixtures.py, a crop of the bundled photo through model.py.
  const Tensor input = load_npy(STRIDER_TEST_DATA "/upsampler/input.npy");
  for (const std::string name : {"x2", "x2_real", "x4"}) {
    SCOPED_TRACE(name);
    const Upsampler model = load_upsampler(weights(name));
    const Tensor expected = load_npy(STRIDER_TEST_DATA "/upsampler/output_" + name + ".npy");
    const Tensor output = model(input);
    ASSERT_EQ(output.shape(), expected.shape());
    EXPECT_EQ(expected.size(2), model.scale() * input.size(2));
    const double difference = max_abs_diff(output, expected);
    std::ostringstream text;
    text << std::scientific << difference;
    RecordProperty("max_abs_diff_" + name, text.str());
    EXPECT_LE(difference, 1e-4);
  }
}

TEST(UpsamplerModel, RejectsFilesThatAreNotItsWeights) {
  EXPECT_TRUE(testing::rejects([] { load_upsampler(STRIDER_TEST_DATA "/upsampler/input.npy"); }, {"input.npy"}));
  const std::filesystem::path other = std::filesystem::temp_directory_path() / "strider_not_an_upsampler.safetensors";
  StateDict wrong_base;  // a 3x3 base: neither scale
  wrong_base.emplace("base.weight", Tensor::zeros({3, 1, 3, 3}));
  save_safetensors(other, wrong_base);
  EXPECT_TRUE(testing::rejects([&] { load_upsampler(other); }, {"not upsampler weights", "[3, 1, 16, 16] for ×4"}));
  std::filesystem::remove(other);
  EXPECT_TRUE(testing::rejects([] { Upsampler(3); }, {"scale must be 2 or 4", "3"}));
}

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
  const DefaultConvAlgorithm exact(ConvAlgorithm::direct);
  for (const auto& [scale, type] : std::vector<std::pair<int, int>>{{2, CV_32FC3}, {2, CV_8UC1}, {4, CV_8UC3}}) {
    const Upsampler net(scale);  // PyTorch's default initialisation: the weights do not matter here
    const TileModel model = as_tile_model(net);
    const cv::Mat image = random_image(101, 150, type, 2);  // odd height: the repeated last row
    const cv::Mat whole = upsample_tiled(image, image.depth(), model, {.tile = 1000});
    for (const int tile : {40, 63}) {
      SCOPED_TRACE(::testing::Message() << "scale " << scale << " type " << type << " tile " << tile);
      int64_t calls = 0, reported = 0;
      const cv::Mat tiled = upsample_tiled(image, image.depth(), model, {.tile = tile},
                                              [&](int64_t, int64_t total) { ++calls, reported = total; });
      ASSERT_EQ(tiled.size(), cv::Size(150 * scale, 101 * scale));
      EXPECT_EQ(cv::norm(whole, tiled, cv::NORM_INF), 0.0);
      EXPECT_EQ(calls, tile_count(101, 150, {.tile = tile}));
      EXPECT_EQ(reported, calls);
    }
  }
}

TEST(UpsamplerTiling, TiledIsWithinRoundingOfUntiledOnWinograd) {
  // The default path runs the 3x3 layers on Winograd (the stride-1 ones F(4x4, 3x3), `down` the row
  // Winograd): other bits than the direct kernel's, and other bits per tile size, but the same values
  // within rounding (trained weights, so that the activations have a photo model's scale). Measured on
  // AVX2: 1.6-1.8e-6 on [0, 1].
  const DefaultConvAlgorithm measured(ConvAlgorithm::automatic);
  const Upsampler net = load_upsampler(weights("x2"));
  const TileModel model = as_tile_model(net);
  const cv::Mat image = random_image(101, 150, CV_32FC3, 3);
  const cv::Mat whole = upsample_tiled(image, CV_32F, model, {.tile = 1000});
  cv::Mat direct;
  {
    const DefaultConvAlgorithm exact(ConvAlgorithm::direct);
    direct = upsample_tiled(image, CV_32F, model, {.tile = 1000});
  }
  const double winograd_error = cv::norm(whole, direct, cv::NORM_INF);
  EXPECT_GT(winograd_error, 0.0);
  EXPECT_LT(winograd_error, 1e-5);
  for (const int tile : {40, 63}) {
    SCOPED_TRACE(tile);
    EXPECT_LT(cv::norm(whole, upsample_tiled(image, CV_32F, model, {.tile = tile}), cv::NORM_INF), 1e-5);
  }
}

TEST(UpsamplerTiling, KeepsAlphaAndDepthAtBothScales) {
  const Upsampler net;
  const TileModel model = as_tile_model(net);
  const cv::Mat image = random_image(21, 30, CV_16UC4, 6);
  for (const int scale : {2, 4}) {
    const cv::Mat result = upsample_image(image, scale, model, {.tile = 16});
    ASSERT_EQ(result.size(), cv::Size(30 * scale, 21 * scale));
    ASSERT_EQ(result.type(), CV_16UC4);
    cv::Mat alpha, expected;
    cv::extractChannel(image, alpha, 3);
    cv::resize(alpha, expected, result.size(), 0, 0, cv::INTER_CUBIC);
    cv::extractChannel(result, alpha, 3);
    EXPECT_EQ(cv::norm(alpha, expected, cv::NORM_INF), 0.0);
  }
  EXPECT_TRUE(testing::rejects([&] { upsample_image(image, 3, model, {}); }, {"--scale", "3"}));
}

TEST(UpsamplerTiling, ReceptiveRadiusHolds) {
  // Changing one input pixel changes no output farther than s · (radius + 1) pixels away: what the tiling's
  // overlap relies on.
  const DefaultConvAlgorithm exact(ConvAlgorithm::direct);
  for (const int s : {2, 4}) {
    const Upsampler net(s);
    const TileModel model = as_tile_model(net);
    const Tensor x = Tensor::uniform({1, 3, 48, 48}, 0.0f, 1.0f, 4);
    const Tensor before = model.forward(x);
    const int64_t reach = s * (model.receptive_radius + 1);
    for (const int64_t at : {24, 25}) {  // both phases of the stride-2 encoder
      Tensor changed = x.clone();
      changed.at(0, 1, at, at) += 1.0f;
      const Tensor after = model.forward(changed);
      for (int64_t i = 0; i < 48 * s; ++i)
        for (int64_t j = 0; j < 48 * s; ++j)
          if (std::abs(i - s * at) > reach || std::abs(j - s * at) > reach) {
            ASSERT_EQ(before.at(0, 0, i, j), after.at(0, 0, i, j))
                << "×" << s << " pixel " << at << ": output " << i << ", " << j;
          }
    }
  }
}

TEST(ImageUpsampler, MatchesTheTilerReportsProgressAndCancels) {
  const DefaultConvAlgorithm exact(ConvAlgorithm::direct);  // the same bits at any tile size
  const ImageUpsampler upsampler(weights("x2"));
  const Upsampler net = load_upsampler(weights("x2"));
  const cv::Mat image = random_image(37, 50, CV_8UC3, 7);
  std::vector<int64_t> reports;
  const cv::Mat result = upsampler.upsample(
      image, {.scale = 4, .tile = 16, .progress = [&](int64_t done, int64_t) { reports.push_back(done); }});
  EXPECT_EQ(cv::norm(result, upsample_image(image, 4, as_tile_model(net), {.tile = 16}), cv::NORM_INF), 0.0);
  const int64_t total = tile_count(37, 50, {.tile = 16}) + tile_count(74, 100, {.tile = 16});
  ASSERT_EQ(static_cast<int64_t>(reports.size()), total);
  EXPECT_EQ(reports.back(), total);

  std::stop_source stop;
  int64_t tiles = 0;
  const auto cancel_after_two = [&](int64_t done, int64_t) {
    tiles = done;
    if (done == 2) stop.request_stop();
  };
  EXPECT_THROW(upsampler.upsample(image, {.tile = 16, .progress = cancel_after_two, .stop = stop.get_token()}),
               UpsampleCancelled);
  EXPECT_EQ(tiles, 2);
  EXPECT_THROW(upsampler.upsample(image, {.stop = stop.get_token()}), UpsampleCancelled);  // before any tile
}

TEST(ImageUpsampler, RunsTheX4ModelForScale4) {
  const DefaultConvAlgorithm exact(ConvAlgorithm::direct);
  const ImageUpsampler both(weights("x2"), weights("x4")), x4_only(weights("x4"));
  const Upsampler x2 = load_upsampler(weights("x2")), x4 = load_upsampler(weights("x4"));
  const cv::Mat image = random_image(23, 30, CV_8UC3, 10);
  const cv::Mat big = both.upsample(image, {.scale = 4, .tile = 16});
  EXPECT_EQ(cv::norm(big, upsample_image(image, 4, as_tile_model(x4), {.tile = 16}), cv::NORM_INF), 0.0);
  EXPECT_EQ(cv::norm(big, x4_only.upsample(image, {.scale = 4}), cv::NORM_INF), 0.0);
  const cv::Mat x2_tiled = upsample_image(image, 2, as_tile_model(x2), {.tile = ImageUpsampleOptions{}.tile});
  EXPECT_EQ(cv::norm(both.upsample(image), x2_tiled, cv::NORM_INF), 0.0);
  EXPECT_TRUE(testing::rejects([&] { x4_only.upsample(image); }, {"×4 model", "--scale must be 4", "2"}));
  EXPECT_TRUE(testing::rejects([&] { ImageUpsampler(weights("x4"), weights("x4")); }, {"×4 model already"}));
  EXPECT_TRUE(testing::rejects([&] { ImageUpsampler(weights("x2"), weights("x2")); }, {"weights_x4", "×2 model"}));
}

TEST(ImageUpsampler, OneInstanceServesSeveralThreads) {
  const ImageUpsampler upsampler(weights("x2"));
  const cv::Mat image = random_image(30, 44, CV_8UC3, 9);
  const cv::Mat serial = upsampler.upsample(image, {.tile = 16});
  std::vector<cv::Mat> results(4);
  std::vector<std::thread> threads;
  for (cv::Mat& result : results)
    threads.emplace_back([&] { result = upsampler.upsample(image, {.tile = 16}); });
  for (std::thread& thread : threads) thread.join();
  for (const cv::Mat& result : results) EXPECT_EQ(cv::norm(result, serial, cv::NORM_INF), 0.0);
}

TEST(ImageUpsampler, KeepsEveryKindOfImage) {
  const ImageUpsampler upsampler(weights("x2"));
  for (const int type : {CV_8UC1, CV_8UC2, CV_8UC3, CV_8UC4, CV_16UC1, CV_16UC2, CV_16UC3, CV_16UC4}) {
    SCOPED_TRACE(type);
    const cv::Mat result = upsampler.upsample(random_image(9, 12, type, 8));
    EXPECT_EQ(result.type(), type);
    EXPECT_EQ(result.size(), cv::Size(24, 18));
  }
  EXPECT_TRUE(testing::rejects([&] { upsampler.upsample(random_image(9, 12, CV_32FC3, 8)); }, {"depth"}));
  EXPECT_TRUE(testing::rejects([&] { upsampler.upsample(cv::Mat()); }, {"empty"}));
  EXPECT_TRUE(testing::rejects([&] { upsampler.upsample(random_image(9, 12, CV_8UC3, 8), {.tile = 8}); }, {"tile", "8"}));
}

TEST(ImageUpsampler, FindsItsDataThroughStriderDataDir) {
  ::setenv("STRIDER_DATA_DIR", STRIDER_UPSAMPLER_WEIGHTS_DIR, 1);
  EXPECT_EQ(ImageUpsampler::bundled_weights(), weights("x2"));
  EXPECT_EQ(ImageUpsampler::bundled_weights("default", 4), weights("x4"));
  EXPECT_EQ(ImageUpsampler::bundled_weights("real"), weights("x2_real"));
  EXPECT_TRUE(testing::rejects([] { ImageUpsampler::bundled_weights("sharp"); }, {"'default' or 'real'", "'sharp'"}));
  EXPECT_TRUE(testing::rejects([] { ImageUpsampler::bundled_weights("real", 4); }, {"'real'", "no ×4", "twice"}));
  ::setenv("STRIDER_DATA_DIR", "/nonexistent", 1);
  EXPECT_TRUE(testing::rejects([] { ImageUpsampler(); }, {".safetensors' in STRIDER_DATA_DIR='/nonexistent'"}));
  ::unsetenv("STRIDER_DATA_DIR");
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
