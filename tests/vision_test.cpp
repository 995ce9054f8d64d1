// strider_vision: cv::Mat <-> Tensor conversions against values worked out by hand, the zero-copy wraps,
// image files read within bounds (truncated files, the pixel limit), PNG files written on every thread,
// read back by libpng (through OpenCV) pixel for pixel, and vision::read_header against OpenCV: for every
// format it reads, the size it gives is the size OpenCV decodes; hostile headers (huge sizes, the
// fuzzer's BMP, ambiguous TIFF directories, unknown WebP chunks, malformed PNM numbers) are refused before
// OpenCV allocates anything; the other formats OpenCV decodes are refused by decode_image.
#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "core/parallel.hpp"
#include "test_util.hpp"
#include "vision/image_file.hpp"
#include "vision/image_header.hpp"
#include "vision/image_tensor.hpp"
#include "vision/png_encoder.hpp"

namespace strider::vision {
namespace {

std::vector<uint8_t> encode(const std::string& ext, const cv::Mat& image, const std::vector<int>& params = {}) {
  std::vector<uint8_t> bytes;
  EXPECT_TRUE(cv::imencode(ext, image, bytes, params)) << ext;
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

std::vector<uint8_t> bytes_of(const std::string& text) { return {text.begin(), text.end()}; }

void put_le(std::vector<uint8_t>& bytes, std::size_t at, uint64_t value, int count) {
  for (int i = 0; i < count; ++i) bytes[at + i] = static_cast<uint8_t>(value >> (8 * i));
}

TEST(ImageHeader, GivesTheSizeOpenCVDecodesForEveryFormatItReads) {
  const cv::Mat bgr(30, 41, CV_8UC3, cv::Scalar(1, 2, 3)), grey(30, 41, CV_8UC1, cv::Scalar(9));
  const cv::Mat bgra(30, 41, CV_8UC4, cv::Scalar(1, 2, 3, 4));
  struct Case {
    std::string ext;
    cv::Mat image;
    std::string_view format;
    std::vector<int> params;
  };
  const int lossy = cv::IMWRITE_WEBP_QUALITY;  // below 100: VP8; by default, lossless VP8L
  for (const Case& c : {Case{".png", bgr, "PNG", {}}, Case{".png", bgra, "PNG", {}}, Case{".jpg", bgr, "JPEG", {}},
                        Case{".bmp", bgr, "BMP", {}}, Case{".bmp", grey, "BMP", {}}, Case{".tiff", bgr, "TIFF", {}},
                        Case{".tiff", bgra, "TIFF", {}}, Case{".webp", bgr, "WebP", {}},
                        Case{".webp", bgra, "WebP", {}}, Case{".webp", bgr, "WebP", {lossy, 80}},
                        Case{".ppm", bgr, "PNM", {}}, Case{".pgm", grey, "PNM", {}}, Case{".pbm", grey, "PNM", {}}}) {
    const std::vector<uint8_t> bytes = encode(c.ext, c.image, c.params);
    const std::optional<ImageHeader> header = read_header(bytes, "a" + c.ext);
    ASSERT_TRUE(header) << c.ext;
    EXPECT_EQ(header->format, c.format);
    EXPECT_EQ(header->size, cv::Size(41, 30)) << c.ext;
    EXPECT_EQ(decode_image(bytes, "a").size(), cv::Size(41, 30)) << c.ext;
    EXPECT_TRUE(testing::rejects([&] { decode_image(bytes, "a", {.max_pixels = 41 * 30 - 1}); },
                                 {"41x30 = 1230 pixels", "limit of 1229"}))
        << c.ext;
  }
  // Text-format PNM with comments where OpenCV reads them; a BMP stored top-down (negative height).
  const std::vector<uint8_t> pnm = bytes_of("P2\n# by hand\n3 #\n 2\n255\n1 2 3 4 5 6\n");
  EXPECT_EQ(read_header(pnm, "a.pgm")->size, cv::Size(3, 2));
  EXPECT_EQ(decode_image(pnm, "a.pgm").size(), cv::Size(3, 2));
  std::vector<uint8_t> bmp = encode(".bmp", bgr);
  put_le(bmp, 22, static_cast<uint32_t>(-30), 4);
  EXPECT_EQ(read_header(bmp, "a.bmp")->size, cv::Size(41, 30));
  EXPECT_EQ(decode_image(bmp, "a.bmp").size(), cv::Size(41, 30));
  // An OS/2 BMP (a 12-byte info header, 16-bit sizes), 3 x 2, 24-bit, rows padded to 12 bytes.
  std::vector<uint8_t> os2(26 + 2 * 12, 0x80);
  const std::vector<std::array<uint64_t, 3>> fields = {
      {0, 'B' | 'M' << 8, 2}, {2, os2.size(), 4}, {6, 0, 4}, {10, 26, 4}, {14, 12, 4}, {18, 3, 2}, {20, 2, 2},
      {22, 1, 2}, {24, 24, 2}};
  for (const auto& [at, value, count] : fields) put_le(os2, at, value, static_cast<int>(count));
  EXPECT_EQ(read_header(os2, "os2.bmp")->size, cv::Size(3, 2));
  EXPECT_EQ(decode_image(os2, "os2.bmp").size(), cv::Size(3, 2));
}

TEST(ImageHeader, RefusesHugeClaimsBeforeDecoding) {
  // The start of the fuzzer's BMP claiming 29184 x 29188, which OpenCV allocated (2.5 GB) before failing.
  const std::vector<uint8_t> fuzzed = {
      0x42, 0x4d, 0x76, 0x0,  0x0,  0x0,  0x0,  0x0,  0x35, 0x0,  0x0,  0x0,  0x0,  0x0,  0x28, 0x0,  0x0,
      0x0,  0x0,  0x72, 0x0,  0x0,  0x4,  0x72, 0x0,  0x0,  0x1,  0x0,  0x18, 0x0,  0x0,  0x0,  0x0,  0x0,
      0x0,  0x0,  0x0,  0x0,  0x0,  0x0,  0x0,  0x0,  0x0,  0x0,  0x0,  0x0,  0x0,  0xf,  0x0,  0x0,  0x0};
  EXPECT_TRUE(testing::rejects([&] { decode_image(fuzzed, "fuzz.bmp"); },
                               {"fuzz.bmp", "29184x29188 = 851822592 pixels", "limit of 100000000"}));
  const cv::Mat image(8, 8, CV_8UC3, cv::Scalar::all(0));
  std::vector<uint8_t> tiff = encode(".tiff", image), lossless = encode(".webp", image);
  std::vector<uint8_t> lossy = encode(".webp", image, {cv::IMWRITE_WEBP_QUALITY, 80});
  ASSERT_EQ(read_header(tiff, "a.tif")->size, cv::Size(8, 8));
  // Each TIFF entry's value where it sits: find ImageWidth (256) and ImageLength (257) in the directory.
  const uint64_t directory = tiff[4] | tiff[5] << 8 | tiff[6] << 16 | uint64_t{tiff[7]} << 24;
  for (std::size_t at = directory + 2; at + 12 <= tiff.size(); at += 12) {
    const int tag = tiff[at] | tiff[at + 1] << 8;
    if (tag == 256 || tag == 257) put_le(tiff, at + 8, 60000, tiff[at + 2] == 3 ? 2 : 4);
  }
  EXPECT_TRUE(testing::rejects([&] { decode_image(tiff, "big.tif"); }, {"big.tif", "60000x60000", "limit"}));
  // WebP: 14-bit sizes after a lossy frame's start code, or minus one after a lossless stream's 0x2F.
  ASSERT_TRUE(std::equal(lossy.begin() + 12, lossy.begin() + 16, "VP8 "));
  ASSERT_TRUE(std::equal(lossless.begin() + 12, lossless.begin() + 16, "VP8L"));
  put_le(lossy, 26, 16000, 2), put_le(lossy, 28, 16001, 2);
  put_le(lossless, 21, (16383 - 1) | (16002 - 1) << 14, 4);
  EXPECT_TRUE(testing::rejects([&] { decode_image(lossy, "big.webp"); }, {"16000x16001", "limit"}));
  EXPECT_TRUE(testing::rejects([&] { decode_image(lossless, "big.webp"); }, {"16383x16002", "limit"}));
  EXPECT_TRUE(testing::rejects([] { decode_image(bytes_of("P6 100000 100000 255\n"), "big.ppm"); },
                               {"big.ppm", "100000x100000", "limit"}));
}

TEST(ImageHeader, RefusesHeadersOpenCVCouldReadAnotherWay) {
  const auto refuses = [](const std::vector<uint8_t>& bytes, std::initializer_list<std::string> parts) {
    return testing::rejects([&] { read_header(bytes, "x"); }, parts);
  };
  // TIFF: a directory giving ImageWidth twice, or as a RATIONAL; none at all; a directory past the end.
  struct Entry {
    int tag, type;
  };
  const auto tiff = [](std::initializer_list<Entry> entries) {
    std::vector<uint8_t> bytes = bytes_of(std::string("II*\0\x08\0\0\0", 8));
    bytes.resize(10 + 12 * entries.size(), 0);
    put_le(bytes, 8, entries.size(), 2);
    std::size_t at = 10;
    for (const Entry& entry : entries) {
      put_le(bytes, at, entry.tag, 2), put_le(bytes, at + 2, entry.type, 2), put_le(bytes, at + 4, 1, 4);
      put_le(bytes, at + 8, 16, 2);
      at += 12;
    }
    return bytes;
  };
  EXPECT_TRUE(refuses(tiff({{256, 3}, {257, 3}, {256, 4}}), {"two ImageWidth entries"}));
  EXPECT_TRUE(refuses(tiff({{256, 5}, {257, 3}}), {"ImageWidth is not one SHORT or LONG (type 5, count 1)"}));
  EXPECT_EQ(read_header(tiff({{256, 3}, {257, 4}}), "x")->size, cv::Size(16, 16));
  EXPECT_TRUE(refuses(bytes_of(std::string("MM\0*\0\0\0\x08\0\0", 10)), {"no ImageWidth"}));
  EXPECT_TRUE(refuses(bytes_of(std::string("II*\0\xff\0\0\0", 8)), {"TIFF ends inside its header"}));
  // WebP: a first chunk libwebp does not read; a DICOM signature where OpenCV's fallback decoder looks.
  std::vector<uint8_t> webp = encode(".webp", cv::Mat(4, 4, CV_8UC3, cv::Scalar::all(7)));
  std::vector<uint8_t> alph = webp;
  alph[12] = 'A', alph[13] = 'L', alph[14] = 'P', alph[15] = 'H';
  EXPECT_TRUE(refuses(alph, {"first chunk is not VP8X, VP8 or VP8L"}));
  webp.resize(200, 0);
  webp[128] = 'D', webp[129] = 'I', webp[130] = 'C', webp[131] = 'M';
  EXPECT_TRUE(refuses(webp, {"DICOM or DTED signature"}));
  // PNM: OpenCV's reader consumes the byte after a number, so "3#" swallows the '#' and then fails on the
  // comment's text; a number past INT_MAX; a header cut short.
  EXPECT_TRUE(refuses(bytes_of("P5 3# c\n2 255\n"), {"byte 99 at offset 6 in its PNM header (expected a digit"}));
  EXPECT_TRUE(refuses(bytes_of("P5 3000000000 2 255\n"), {"above 2147483647"}));
  EXPECT_TRUE(refuses(bytes_of("P5 3 2"), {"PNM ends inside its header (truncated)"}));
  // BMP: an info header OpenCV does not read; a zero width.
  std::vector<uint8_t> bmp = encode(".bmp", cv::Mat(2, 2, CV_8UC3, cv::Scalar::all(7)));
  std::vector<uint8_t> short_info = bmp, no_width = bmp;
  put_le(short_info, 14, 20, 4), put_le(no_width, 18, 0, 4);
  EXPECT_TRUE(refuses(short_info, {"BMP info header of 20 bytes (OpenCV reads one of 12 bytes, or of 36"}));
  EXPECT_TRUE(refuses(no_width, {"BMP header gives the invalid size 0x2"}));
}

TEST(ImageHeader, DecodeImageRefusesTheFormatsItCannotSize) {
  const cv::Mat image(64, 48, CV_8UC3, cv::Scalar(1, 2, 3));
  for (const std::string ext : {".ras", ".jp2", ".pfm", ".pam", ".hdr"}) {
    cv::Mat converted;
    image.convertTo(converted, ext == ".pfm" || ext == ".hdr" ? CV_32F : CV_8U);
    const std::vector<uint8_t> bytes = encode(ext, converted);
    ASSERT_FALSE(cv::imdecode(bytes, cv::IMREAD_UNCHANGED).empty()) << ext << ": OpenCV decodes it";
    EXPECT_EQ(read_header(bytes, "a" + ext), std::nullopt) << ext;
    EXPECT_TRUE(testing::rejects([&] { decode_image(bytes, "a" + ext); },
                                 {"a" + ext, "not an image in a format read here (PNG, JPEG, BMP, TIFF, WebP"}))
        << ext;
  }
}

}  // namespace
}  // namespace strider::vision
