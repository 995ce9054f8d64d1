#pragma once
// Image files read within bounds: PNG, JPEG, BMP, TIFF, WebP and PNM, whose header dimensions are checked
// against a pixel limit before anything is decoded (image_header.hpp), so a small file claiming a huge image
// fails at once with a clear message instead of allocating gigabytes; a truncated JPEG is rejected rather
// than padded with grey.
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>

#include <opencv2/core.hpp>

namespace strider::vision {

struct ReadOptions {
  // Largest width × height accepted. 100 megapixels: a 16-bit RGBA image of that size decodes to 800 MB.
  int64_t max_pixels = 100'000'000;
  // cv::imread's flags: -1 is cv::IMREAD_UNCHANGED (the file's channels and depth, no EXIF rotation);
  // cv::IMREAD_COLOR gives 8-bit BGR, rotated as EXIF says.
  int imread_flags = -1;
};

// Decodes `bytes` as cv::imread(..., options.imread_flags) does: by default grey, grey + alpha, BGR or
// BGRA, of the file's depth. `name` labels the messages. Throws std::invalid_argument when the bytes are
// not a PNG, JPEG, BMP, TIFF, WebP or PNM (P1-P6) image, when its header is malformed or gives more than
// `max_pixels` pixels (checked before decoding), when a JPEG ends before its end-of-image marker and when
// OpenCV's decoder fails.
cv::Mat decode_image(std::span<const uint8_t> bytes, const std::string& name, const ReadOptions& options = {});
// Reads the file and decodes it (decode_image); the file must be at most 16 bytes per allowed pixel.
cv::Mat read_image(const std::filesystem::path& path, const ReadOptions& options = {});

}  // namespace strider::vision
