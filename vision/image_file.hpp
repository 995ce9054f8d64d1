#pragma once
// Image files read within bounds: the dimensions in a PNG or JPEG header are checked against a pixel
// limit before anything is decoded, so a small file claiming a huge image fails at once with a clear
// message instead of allocating gigabytes; a truncated JPEG is rejected rather than padded with grey.
#include <cstdint>
#include <filesystem>
#include <optional>
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

// Width and height from a PNG or JPEG header, without decoding; nullopt for other formats. Throws
// std::invalid_argument for a PNG / JPEG whose header is cut short or malformed.
std::optional<cv::Size> header_size(std::span<const uint8_t> bytes, const std::string& name);

// Decodes `bytes` as cv::imread(..., options.imread_flags) does: by default grey, grey + alpha, BGR or
// BGRA, of the file's depth. `name` labels the messages. Throws std::invalid_argument when the bytes are no image OpenCV
// decodes, when the image has more than `max_pixels` pixels (from the header when it is a PNG or JPEG,
// else after decoding) and when a JPEG ends before its end-of-image marker.
cv::Mat decode_image(std::span<const uint8_t> bytes, const std::string& name, const ReadOptions& options = {});
// Reads the file and decodes it (decode_image); the file must be at most 16 bytes per allowed pixel.
cv::Mat read_image(const std::filesystem::path& path, const ReadOptions& options = {});

}  // namespace strider::vision
