#include "image_file.hpp"

#include <climits>
#include <optional>

#include <opencv2/imgcodecs.hpp>

#include "core/check.hpp"
#include "core/files.hpp"
#include "image_header.hpp"

namespace strider::vision {
namespace fs = std::filesystem;
namespace {

void check_pixels(cv::Size size, const std::string& name, const ReadOptions& options) {
  const int64_t pixels = static_cast<int64_t>(size.width) * size.height;
  check(pixels <= options.max_pixels, "cannot read '", name, "': it is ", size.width, "x", size.height, " = ",
        pixels, " pixels, above the limit of ", options.max_pixels,
        " (ReadOptions::max_pixels; upsample --max-pixels)");
}

}  // namespace

cv::Mat decode_image(std::span<const uint8_t> bytes, const std::string& name, const ReadOptions& options) {
  check(!bytes.empty(), "cannot read '", name, "': the file is empty");
  check(bytes.size() <= INT_MAX, "cannot read '", name, "': ", bytes.size(), " bytes is more than OpenCV decodes");
  const std::optional<ImageHeader> header = read_header(bytes, name);
  check(header.has_value(), "cannot read '", name, "': not an image in a format read here (", readable_formats, ")");
  check_pixels(header->size, name, options);
  check(header->complete, "cannot read '", name, "': the JPEG is truncated (no end-of-image marker after its data)");
  cv::Mat image;
  try {
    // imdecode only reads the buffer; cv::Mat has no read-only header.
    image = cv::imdecode(cv::Mat(1, static_cast<int>(bytes.size()), CV_8U, const_cast<uint8_t*>(bytes.data())),
                         options.imread_flags);
  } catch (const cv::Exception& e) {
    fail("cannot read '", name, "': OpenCV's decoder refused it (", e.err, ")");
  }
  check(!image.empty(), "cannot read '", name, "': OpenCV's decoder returned no image from this ", header->format,
        " (damaged?)");
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
