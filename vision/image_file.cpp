#include "image_file.hpp"

#include <climits>

#include <opencv2/imgcodecs.hpp>

#include "core/check.hpp"
#include "core/files.hpp"

namespace strider::vision {
namespace fs = std::filesystem;
namespace {

int64_t big_endian(std::span<const uint8_t> bytes, std::size_t at, int count) {
  int64_t value = 0;
  for (int i = 0; i < count; ++i) value = value << 8 | bytes[at + i];
  return value;
}

bool starts_with(std::span<const uint8_t> bytes, std::initializer_list<uint8_t> prefix) {
  return bytes.size() >= prefix.size() && std::equal(prefix.begin(), prefix.end(), bytes.begin());
}

// PNG: the signature, then the IHDR chunk: length, "IHDR", width and height as 32-bit big-endian.
cv::Size png_size(std::span<const uint8_t> bytes, const std::string& name) {
  check(bytes.size() >= 24 && big_endian(bytes, 12, 4) == 0x49484452, "cannot read '", name,
        "': a PNG without its IHDR header");
  const int64_t width = big_endian(bytes, 16, 4), height = big_endian(bytes, 20, 4);
  check(width > 0 && height > 0 && width <= INT_MAX && height <= INT_MAX, "cannot read '", name,
        "': its PNG header gives the invalid size ", width, "x", height);
  return {static_cast<int>(width), static_cast<int>(height)};
}

struct JpegLayout {
  cv::Size size;
  bool ends = false;  // an end-of-image marker follows the first scan
};

// JPEG: marker segments (FF xx, then a 16-bit length) up to the first start-of-scan; the frame header
// (SOF0-SOF15 but DHT C4, JPG C8 and DAC CC) holds the size. Entropy-coded data escapes FF as FF 00, so
// the FF D9 end-of-image marker after the scan header is there exactly when the file is complete.
JpegLayout jpeg_layout(std::span<const uint8_t> bytes, const std::string& name) {
  JpegLayout layout;
  bool have_frame = false;
  std::size_t at = 2;  // after FF D8
  while (true) {
    while (at < bytes.size() && bytes[at] == 0xFF) ++at;  // the marker's FF, and any fill bytes
    check(at + 2 < bytes.size(), "cannot read '", name, "': the JPEG ends inside its headers (truncated)");
    const uint8_t marker = bytes[at];
    if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) {  // no length
      ++at;
      continue;
    }
    check(marker != 0xD9, "cannot read '", name, "': the JPEG ends before any image data");
    const auto length = static_cast<std::size_t>(big_endian(bytes, at + 1, 2));
    check(length >= 2 && at + 1 + length <= bytes.size(), "cannot read '", name, "': a JPEG segment (marker FF ",
          std::hex, int(marker), std::dec, ") runs past the end of the file (truncated)");
    if (marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC) {
      check(length >= 7, "cannot read '", name, "': a JPEG frame header of ", length, " bytes");
      layout.size = {static_cast<int>(big_endian(bytes, at + 6, 2)), static_cast<int>(big_endian(bytes, at + 4, 2))};
      have_frame = true;
    }
    if (marker == 0xDA) {
      check(have_frame, "cannot read '", name, "': a JPEG scan before its frame header");
      for (std::size_t i = at + 1 + length; i + 1 < bytes.size() && !layout.ends; ++i)
        layout.ends = bytes[i] == 0xFF && bytes[i + 1] == 0xD9;
      return layout;
    }
    at += 1 + length;
  }
}

bool is_png(std::span<const uint8_t> bytes) { return starts_with(bytes, {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A}); }
bool is_jpeg(std::span<const uint8_t> bytes) { return starts_with(bytes, {0xFF, 0xD8, 0xFF}); }

void check_pixels(cv::Size size, const std::string& name, const ReadOptions& options) {
  const int64_t pixels = static_cast<int64_t>(size.width) * size.height;
  check(pixels <= options.max_pixels, "cannot read '", name, "': it is ", size.width, "x", size.height, " = ",
        pixels, " pixels, above the limit of ", options.max_pixels, " (ReadOptions::max_pixels; upsample --max-pixels)");
}

}  // namespace

std::optional<cv::Size> header_size(std::span<const uint8_t> bytes, const std::string& name) {
  if (is_png(bytes)) return png_size(bytes, name);
  if (is_jpeg(bytes)) return jpeg_layout(bytes, name).size;
  return std::nullopt;
}

cv::Mat decode_image(std::span<const uint8_t> bytes, const std::string& name, const ReadOptions& options) {
  check(!bytes.empty(), "cannot read '", name, "': the file is empty");
  check(bytes.size() <= INT_MAX, "cannot read '", name, "': ", bytes.size(), " bytes is more than OpenCV decodes");
  if (is_jpeg(bytes)) {
    const JpegLayout layout = jpeg_layout(bytes, name);
    check_pixels(layout.size, name, options);
    check(layout.ends, "cannot read '", name, "': the JPEG is truncated (no end-of-image marker after its data)");
  } else if (is_png(bytes)) {
    check_pixels(png_size(bytes, name), name, options);
  }
  cv::Mat image;
  try {
    // imdecode only reads the buffer; cv::Mat has no read-only header.
    image = cv::imdecode(cv::Mat(1, static_cast<int>(bytes.size()), CV_8U, const_cast<uint8_t*>(bytes.data())),
                         options.imread_flags);
  } catch (const cv::Exception& e) {
    fail("cannot read '", name, "': OpenCV's decoder refused it (", e.err, ")");
  }
  check(!image.empty(), "cannot read '", name, "': not an image OpenCV decodes, or a damaged one");
  check_pixels(image.size(), name, options);  // the formats whose header is not read above
  return image;
}

cv::Mat read_image(const fs::path& path, const ReadOptions& options) {
  const std::uintmax_t size = regular_file_size(path, "cannot read");
  const std::uintmax_t limit = 16 * static_cast<std::uintmax_t>(options.max_pixels) + (1 << 20);
  check(size <= limit, "cannot read '", path.string(), "': ", size, " bytes is more than any image of at most ",
        options.max_pixels, " pixels needs (ReadOptions::max_pixels; upsample --max-pixels)");
  const std::string bytes = read_file(path, size, "cannot read");
  return decode_image({reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()}, path.string(), options);
}

}  // namespace strider::vision
