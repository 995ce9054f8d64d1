#pragma once
// The image formats read here, each sized from its header before anything is decoded. OpenCV's decoders
// allocate the whole image from the width and height a header claims, so without this a few hostile bytes
// (a 114-byte BMP claiming 29184 x 29188) make cv::imdecode allocate gigabytes before any limit applies.
// Each reader follows the OpenCV 4.6 decoder its signature selects and refuses a header that decoder could
// size differently; formats not read here are refused rather than decoded unsized.
#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include <opencv2/core.hpp>

namespace strider::vision {

struct ImageHeader {
  std::string_view format;  // "PNG", "JPEG", "BMP", "TIFF", "WebP" or "PNM"
  cv::Size size;            // width and height, both positive
  bool complete = true;     // false for a JPEG with no end-of-image marker after its data (truncated)
};

// The formats read_header knows, for messages, and the file extensions that name them (lower case).
inline constexpr std::string_view readable_formats = "PNG, JPEG, BMP, TIFF, WebP, PNM (P1-P6)";
inline constexpr std::array<std::string_view, 11> readable_extensions = {
    ".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp", ".ppm", ".pgm", ".pbm", ".pnm"};

// The header of a PNG, JPEG, BMP, TIFF, WebP or PNM (P1-P6) image; nullopt when `bytes` start as none of
// these. Throws std::invalid_argument, naming `name`, for a header that is cut short, gives no valid size,
// or that OpenCV's decoder could read another way.
std::optional<ImageHeader> read_header(std::span<const uint8_t> bytes, const std::string& name);

}  // namespace strider::vision
