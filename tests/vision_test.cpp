// strider_vision: cv::Mat <-> Tensor conversions against values worked out by hand, the zero-copy wraps,
// image files read within bounds (truncated files, the pixel limit; each format's header is tested in
// image_header_test.cpp), and PNG files written on every thread, read back by libpng (through OpenCV)
// pixel for pixel.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "core/parallel.hpp"
#include "test_util.hpp"
#include "vision/image_file.hpp"
#include "vision/image_tensor.hpp"
#include "vision/png_encoder.hpp"

namespace strider::vision {
namespace {

std::vector<uint8_t> encode(const std::string& ext, const cv::Mat& image) {
  std::vector<uint8_t> bytes;
  EXPECT_TRUE(cv::imencode(ext, image, bytes));
  return bytes;
}

TEST(Vision, ToTensorOrdersScalesAndNormalises) {
  cv::Mat bgra(2, 3, CV_8UC4);
  for (int y = 0; y < 2; ++y)
    for (int x = 0; x < 3; ++x) bgra.at<cv::Vec4b>(y, x) = cv::Vec4b(10 * x, 100 + y, 200, 255);
  const Tensor chw = to_tensor(bgra);
  ASSERT_EQ(chw.shape(), Shape({1, 4, 2, 3}));
  EXPECT_FLOAT_EQ(chw.at(0, 0, 1, 2), 200 / 255.0f);  // R (BGR's third) first
  EXPECT_FLOAT_EQ(chw.at(0, 2, 1, 2), 20 / 255.0f);   // B third
  EXPECT_FLOAT_EQ(chw.at(0, 3, 0, 0), 1.0f);          // alpha stays last
  const Tensor hwc = to_tensor(bgra, {.layout = Layout::hwc, .rgb = false, .scale = 1, .mean = {1, 2, 3, 4}, .std = {2, 2, 2, 2}});
  ASSERT_EQ(hwc.shape(), Shape({1, 2, 3, 4}));
  EXPECT_FLOAT_EQ(hwc.at(0, 1, 2, 0), (20 - 1) / 2.0f);
  EXPECT_FLOAT_EQ(hwc.at(0, 1, 2, 1), (101 - 2) / 2.0f);
  // A ROI reads through the image's step.
  const cv::Mat roi = bgra(cv::Rect(1, 0, 2, 2));
  EXPECT_FLOAT_EQ(to_tensor(roi).at(0, 2, 0, 0), 10 / 255.0f);
  EXPECT_TRUE(testing::rejects([&] { to_tensor(bgra, {.mean = {0, 0, 0}}); }, {"mean", "3 values", "4 channels"}));
  EXPECT_TRUE(testing::rejects([&] { to_tensor(cv::Mat(2, 2, CV_64FC1)); }, {"to_tensor", "depth 6"}));
}

TEST(Vision, ToImageInvertsEveryDepthAndLayout) {
  for (const int type : {CV_8UC1, CV_8UC3, CV_16UC3, CV_16UC4, CV_32FC3}) {
    for (const Layout layout : {Layout::chw, Layout::hwc}) {
      SCOPED_TRACE(::testing::Message() << "type " << type << " layout " << static_cast<int>(layout));
      cv::Mat image(5, 7, type);
      cv::randu(image, 0, CV_MAT_DEPTH(type) == CV_32F ? 1.0 : CV_MAT_DEPTH(type) == CV_16U ? 65536 : 256);
      const PixelFormat format{.layout = layout, .mean = std::vector<float>(image.channels(), 0.4f),
                               .std = std::vector<float>(image.channels(), 0.2f)};
      const cv::Mat back = to_image(to_tensor(image, format), image.depth(), format);
      EXPECT_LE(cv::norm(image, back, cv::NORM_INF), CV_MAT_DEPTH(type) == CV_32F ? 1e-6 : 0.0);
    }
  }
  // Saturated and rounded to the depth.
  const Tensor t = Tensor::from_values({1, 1, 1, 3}, {-0.5f, 0.5f, 2.0f});
  const cv::Mat grey = to_image(t, CV_8U);
  EXPECT_EQ(grey.at<uint8_t>(0, 0), 0);
  EXPECT_EQ(grey.at<uint8_t>(0, 1), 128);
  EXPECT_EQ(grey.at<uint8_t>(0, 2), 255);
  EXPECT_TRUE(testing::rejects([] { to_image(Tensor({1, 5, 2, 2}), CV_8U); }, {"to_image", "[1, 5, 2, 2]"}));
}

TEST(Vision, WrapsShareMemory) {
  cv::Mat image(4, 6, CV_32FC2, cv::Scalar(1, 2));
  Tensor view = wrap_image(image);
  ASSERT_EQ(view.shape(), Shape({1, 4, 6, 2}));
  EXPECT_EQ(view.data(), image.ptr<float>());
  cv::Mat back = wrap_tensor(view);
  EXPECT_EQ(back.data, image.data);
  cv::Mat roi = image(cv::Rect(1, 1, 3, 2));
  EXPECT_TRUE(testing::rejects([&] { wrap_image(roi); }, {"not row-major"}));  // writable: must be contiguous
  const cv::Mat& const_roi = roi;
  const ConstTensor packed = wrap_image(const_roi);
  EXPECT_TRUE(packed.owns_data());
  EXPECT_EQ(packed.tensor().at(0, 1, 2, 1), 2.0f);
  EXPECT_TRUE(testing::rejects([] { wrap_image(cv::Mat(2, 2, CV_8UC1)); }, {"wrap_image", "CV_32F"}));
}

TEST(Vision, ReadsSizesFromHeadersAndRejectsHostileFiles) {
  const cv::Mat image(30, 40, CV_8UC3, cv::Scalar(1, 2, 3));
  const std::vector<uint8_t> png = encode(".png", image), jpeg = encode(".jpg", image);
  EXPECT_EQ(decode_image(jpeg, "a.jpg").size(), cv::Size(40, 30));
  EXPECT_TRUE(testing::rejects([&] { decode_image(png, "a.png", {.max_pixels = 1199}); },
                               {"a.png", "40x30 = 1200 pixels", "limit of 1199"}));
  // Cut anywhere, a JPEG is refused; a PNG's header claiming 100000 x 100000 is refused before decoding.
  for (const std::size_t size : {std::size_t{3}, std::size_t{100}, jpeg.size() / 2, jpeg.size() - 2}) {
    const std::vector<uint8_t> cut(jpeg.begin(), jpeg.begin() + static_cast<std::ptrdiff_t>(size));
    EXPECT_TRUE(testing::rejects([&] { decode_image(cut, "cut.jpg"); }, {"cut.jpg", "truncated"})) << size;
  }
  std::vector<uint8_t> huge = png;
  for (const int at : {16, 20}) {  // width, height: 100000 = 0x000186A0
    huge[at] = 0, huge[at + 1] = 1, huge[at + 2] = 0x86, huge[at + 3] = 0xA0;
  }
  EXPECT_TRUE(testing::rejects([&] { decode_image(huge, "huge.png"); }, {"100000x100000", "limit"}));
  EXPECT_TRUE(testing::rejects([] { decode_image(std::vector<uint8_t>{1, 2, 3}, "x.png"); }, {"x.png", "not an image"}));
  const std::vector<uint8_t> cut_png(png.begin(), png.end() - 20);  // into the image data
  EXPECT_TRUE(testing::rejects([&] { decode_image(cut_png, "cut.png"); },
                               {"cut.png", "OpenCV's decoder returned no image from this PNG"}));
  EXPECT_TRUE(testing::rejects([] { read_image("/nonexistent.png"); }, {"no such file"}));
  EXPECT_TRUE(testing::rejects([] { read_image("/dev/zero"); }, {"cannot read '/dev/zero': not a regular file"}));
}

TEST(Vision, EncodesPngThatLibpngReadsBack) {
  cv::RNG rng(7);
  // Sizes from one pixel to several 1 MB strips (the last one short), rows of odd lengths; smooth content
  // with noise, so that every Paeth predictor (left, up, upper left) gets picked somewhere.
  const cv::Size sizes[] = {{1, 1}, {3, 2}, {1, 700}, {617, 311}, {1500, 400}};
  for (const int depth : {CV_8U, CV_16U})
    for (int channels = 1; channels <= 4; ++channels)
      for (const cv::Size size : sizes) {
        cv::Mat image(size, CV_MAKETYPE(depth, channels));
        rng.fill(image, cv::RNG::UNIFORM, 0, depth == CV_8U ? 8 : 2000);
        cv::Mat ramp(size, image.type());
        for (int y = 0; y < size.height; ++y)
          for (int x = 0; x < size.width * channels; ++x) {
            const int v = (x * 7 + y * 3) % (depth == CV_8U ? 248 : 63000);
            if (depth == CV_8U) ramp.ptr<uint8_t>(y)[x] = static_cast<uint8_t>(v);
            else ramp.ptr<uint16_t>(y)[x] = static_cast<uint16_t>(v);
          }
        image += ramp;
        const std::vector<uint8_t> png = encode_png(image);
        cv::Mat back = cv::imdecode(png, cv::IMREAD_UNCHANGED);
        ASSERT_FALSE(back.empty()) << size << " " << channels << " channels, depth " << depth;
        if (channels == 2 && back.channels() == 4) {  // OpenCV reads grey + alpha as BGRA
          cv::Mat planes[4], grey[2];
          cv::split(back, planes);
          cv::split(image, grey);
          EXPECT_EQ(cv::norm(planes[0], grey[0], cv::NORM_INF), 0);
          EXPECT_EQ(cv::norm(planes[3], grey[1], cv::NORM_INF), 0);
          continue;
        }
        ASSERT_EQ(back.type(), image.type()) << size << " " << channels << " channels";
        EXPECT_EQ(cv::norm(back, image, cv::NORM_INF), 0) << size << " " << channels << " channels, " << depth;
      }
  // The same bytes on any thread count, and smaller than cv::imencode's for a photo-like image.
  cv::Mat photo(900, 1200, CV_8UC3);
  cv::randn(photo, 128, 20);
  cv::GaussianBlur(photo, photo, cv::Size(9, 9), 3);
  const int threads = get_num_threads();
  set_num_threads(1);
  const std::vector<uint8_t> one = encode_png(photo);
  set_num_threads(threads);
  EXPECT_EQ(encode_png(photo), one);
  EXPECT_LT(one.size(), encode(".png", photo).size());
  EXPECT_TRUE(testing::rejects([] { encode_png(cv::Mat(2, 2, CV_32FC3)); }, {"encode_png", "8- or 16-bit", "depth 5"}));
  EXPECT_TRUE(testing::rejects([] { encode_png(cv::Mat()); }, {"encode_png", "0x0"}));
}

}  // namespace
}  // namespace strider::vision
