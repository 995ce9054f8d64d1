#include "image_header.hpp"

#include <climits>
#include <cstdlib>

#include "core/check.hpp"

namespace strider::vision {
namespace {
using namespace std::string_view_literals;

// The readers check the bounds before these reads.
uint64_t big_endian(std::span<const uint8_t> bytes, std::size_t at, int count) {
  uint64_t value = 0;
  for (int i = 0; i < count; ++i) value = value << 8 | bytes[at + i];
  return value;
}
uint64_t little_endian(std::span<const uint8_t> bytes, std::size_t at, int count) {
  uint64_t value = 0;
  for (int i = count - 1; i >= 0; --i) value = value << 8 | bytes[at + i];
  return value;
}

bool has_at(std::span<const uint8_t> bytes, std::size_t at, std::string_view text) {
  return bytes.size() >= at + text.size() &&
         std::string_view(reinterpret_cast<const char*>(bytes.data()) + at, text.size()) == text;
}

void check_length(std::span<const uint8_t> bytes, std::size_t length, std::string_view format,
                  const std::string& name) {
  check(bytes.size() >= length, "cannot read '", name, "': the ", format, " ends inside its header (truncated)");
}

ImageHeader sized(std::string_view format, const std::string& name, int64_t width, int64_t height) {
  check(width > 0 && height > 0 && width <= INT_MAX && height <= INT_MAX, "cannot read '", name, "': its ", format,
        " header gives the invalid size ", width, "x", height);
  return {format, {static_cast<int>(width), static_cast<int>(height)}};
}

// PNG: the signature, then the IHDR chunk: length, "IHDR", width and height as 32-bit big-endian.
ImageHeader png_header(std::span<const uint8_t> bytes, const std::string& name) {
  check(has_at(bytes, 12, "IHDR") && bytes.size() >= 24, "cannot read '", name, "': a PNG without its IHDR header");
  return sized("PNG", name, static_cast<int64_t>(big_endian(bytes, 16, 4)),
               static_cast<int64_t>(big_endian(bytes, 20, 4)));
}

// JPEG: marker segments (FF xx, then a 16-bit length) up to the first start-of-scan; the frame header
// (SOF0-SOF15 but DHT C4, JPG C8 and DAC CC) holds the size. Entropy-coded data escapes FF as FF 00, so
// the FF D9 end-of-image marker after the scan header is there exactly when the file is complete.
ImageHeader jpeg_header(std::span<const uint8_t> bytes, const std::string& name) {
  std::optional<ImageHeader> frame;
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
      frame = sized("JPEG", name, static_cast<int64_t>(big_endian(bytes, at + 6, 2)),
                    static_cast<int64_t>(big_endian(bytes, at + 4, 2)));
    }
    if (marker == 0xDA) {
      check(frame.has_value(), "cannot read '", name, "': a JPEG scan before its frame header");
      frame->complete = false;
      for (std::size_t i = at + 1 + length; i + 1 < bytes.size() && !frame->complete; ++i)
        frame->complete = bytes[i] == 0xFF && bytes[i + 1] == 0xD9;
      return *frame;
    }
    at += 1 + length;
  }
}

// BMP: after the 14-byte file header, the info header's length, then width and height: signed 32-bit
// little-endian (a negative height stores the rows top-down), or unsigned 16-bit in the 12-byte OS/2 header.
// OpenCV's BmpDecoder reads no other info header.
ImageHeader bmp_header(std::span<const uint8_t> bytes, const std::string& name) {
  check_length(bytes, 26, "BMP", name);
  const uint64_t info = little_endian(bytes, 14, 4);
  if (info == 12) return sized("BMP", name, little_endian(bytes, 18, 2), little_endian(bytes, 20, 2));
  check(info >= 36 && info <= INT_MAX, "cannot read '", name, "': a BMP info header of ", info,
        " bytes (OpenCV reads one of 12 bytes, or of 36 bytes and more)");
  const auto width = static_cast<int32_t>(little_endian(bytes, 18, 4));
  const auto height = static_cast<int32_t>(little_endian(bytes, 22, 4));
  return sized("BMP", name, width, std::abs(int64_t{height}));
}

// TIFF: "II" (little-endian) or "MM" (big-endian), 42, the first directory's offset; in that directory (the
// one libtiff opens), ImageWidth (tag 256) and ImageLength (257), each one SHORT or LONG value.
ImageHeader tiff_header(std::span<const uint8_t> bytes, const std::string& name) {
  const bool little = bytes[0] == 'I';
  const auto read = [&](uint64_t at, int count) {
    check_length(bytes, at + count, "TIFF", name);
    return little ? little_endian(bytes, at, count) : big_endian(bytes, at, count);
  };
  const uint64_t directory = read(4, 4), entries = read(directory, 2);
  std::optional<int64_t> width, height;
  for (uint64_t i = 0; i < entries; ++i) {
    const uint64_t at = directory + 2 + 12 * i, tag = read(at, 2);
    if (tag != 256 && tag != 257) continue;
    const char* field_name = tag == 256 ? "ImageWidth" : "ImageLength";
    const uint64_t type = read(at + 2, 2), count = read(at + 4, 4);
    check(count == 1 && (type == 3 || type == 4), "cannot read '", name, "': its TIFF ", field_name,
          " is not one SHORT or LONG (type ", type, ", count ", count, ")");
    std::optional<int64_t>& field = tag == 256 ? width : height;
    check(!field, "cannot read '", name, "': its TIFF directory has two ", field_name, " entries");
    field = read(at + 8, type == 3 ? 2 : 4);  // the value, left-justified in the entry's last 4 bytes
  }
  check(width && height, "cannot read '", name, "': its TIFF directory has no ", width ? "ImageLength" : "ImageWidth");
  return sized("TIFF", name, *width, *height);
}

// WebP: "RIFF", a length, "WEBP", then the first chunk: VP8X (the extended format's canvas size, 24-bit,
// minus one), "VP8 " (lossy: the key frame's start code 9D 01 2A, then 14-bit sizes) or VP8L (lossless:
// 0x2F, then 14-bit sizes minus one). libwebp, which OpenCV asks first, reads no other layout.
ImageHeader webp_header(std::span<const uint8_t> bytes, const std::string& name) {
  check_length(bytes, 30, "WebP", name);
  // OpenCV falls back to its DICOM and GDAL decoders when libwebp refuses a header this reader accepts; those
  // decoders look for their signatures at bytes 128 and 140, and size images their own way.
  check(!has_at(bytes, 128, "DICM") && !has_at(bytes, 140, "DTED"), "cannot read '", name,
        "': a WebP header that also carries a DICOM or DTED signature");
  if (has_at(bytes, 12, "VP8X"))
    return sized("WebP", name, 1 + little_endian(bytes, 24, 3), 1 + little_endian(bytes, 27, 3));
  if (has_at(bytes, 12, "VP8 ")) {
    check(has_at(bytes, 23, "\x9D\x01\x2A"), "cannot read '", name, "': a WebP whose VP8 frame has no start code");
    return sized("WebP", name, little_endian(bytes, 26, 2) & 0x3FFF, little_endian(bytes, 28, 2) & 0x3FFF);
  }
  check(has_at(bytes, 12, "VP8L") && bytes[20] == 0x2F, "cannot read '", name,
        "': a WebP whose first chunk is not VP8X, VP8 or VP8L");
  const uint64_t bits = little_endian(bytes, 21, 4);
  return sized("WebP", name, 1 + (bits & 0x3FFF), 1 + (bits >> 14 & 0x3FFF));
}

bool is_space(uint8_t c) { return c == ' ' || (c >= '\t' && c <= '\r'); }  // isspace in the C locale
bool is_digit(uint8_t c) { return c >= '0' && c <= '9'; }

// PNM P1-P6: "P" and the kind's digit, then width and height in decimal, among whitespace and '#' comments
// (to the end of the line). Read byte by byte as OpenCV's PxMDecoder reads them, to agree on the numbers: a
// number ends at, and consumes, the first byte that is no digit; any byte but whitespace, '#' or a digit
// before a number is an error.
ImageHeader pnm_header(std::span<const uint8_t> bytes, const std::string& name) {
  std::size_t at = 2;
  const auto next = [&] {
    check_length(bytes, at + 1, "PNM", name);
    return bytes[at++];
  };
  const auto number = [&] {
    uint8_t c = next();
    while (!is_digit(c)) {
      if (c == '#') {
        while (c != '\n' && c != '\r') c = next();
      } else {
        check(is_space(c), "cannot read '", name, "': byte ", int(c), " at offset ", at - 1,
              " in its PNM header (expected a digit, whitespace or '#')");
      }
      c = next();
    }
    int64_t value = 0;
    for (; is_digit(c); c = next()) {
      value = value * 10 + (c - '0');
      check(value <= INT_MAX, "cannot read '", name, "': its PNM header gives a size above ", INT_MAX);
    }
    return value;
  };
  const int64_t width = number();
  return sized("PNM", name, width, number());
}

}  // namespace

std::optional<ImageHeader> read_header(std::span<const uint8_t> bytes, const std::string& name) {
  if (has_at(bytes, 0, "\x89PNG\r\n\x1A\n")) return png_header(bytes, name);
  if (has_at(bytes, 0, "\xFF\xD8\xFF")) return jpeg_header(bytes, name);
  if (has_at(bytes, 0, "BM")) return bmp_header(bytes, name);
  if (has_at(bytes, 0, "II*\0"sv) || has_at(bytes, 0, "MM\0*"sv)) return tiff_header(bytes, name);
  if (has_at(bytes, 0, "RIFF") && has_at(bytes, 8, "WEBP")) return webp_header(bytes, name);
  if (bytes.size() >= 3 && bytes[0] == 'P' && bytes[1] >= '1' && bytes[1] <= '6' && is_space(bytes[2]))
    return pnm_header(bytes, name);
  return std::nullopt;
}

}  // namespace strider::vision
