#include "png_encoder.hpp"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <limits>

#include "core/check.hpp"
#include "core/parallel.hpp"

namespace strider::vision {
namespace {

void put_u32(std::vector<uint8_t>& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<uint8_t>(v >> shift));
}

// A chunk: length, type, data (at most 1 GB here), and the CRC of type and data.
void put_chunk(std::vector<uint8_t>& out, const char (&type)[5], const uint8_t* data, std::size_t size) {
  put_u32(out, static_cast<uint32_t>(size));
  const auto* name = reinterpret_cast<const uint8_t*>(type);
  out.insert(out.end(), name, name + 4);
  out.insert(out.end(), data, data + size);
  uLong crc = crc32(0, name, 4);
  if (size > 0) crc = crc32(crc, data, static_cast<uInt>(size));  // crc32(crc, null, 0) restarts at 0
  put_u32(out, static_cast<uint32_t>(crc));
}

// Row y as PNG stores it: RGB(A) instead of BGR(A), 16-bit samples big-endian.
template <int Channels, class T>
void png_row(const cv::Mat& image, int y, uint8_t* to) {
  // B, G, R (, A) -> R, G, B (, A); grey (+ alpha) as is.
  static constexpr std::array<int, 4> order = Channels >= 3 ? std::array<int, 4>{2, 1, 0, 3} : std::array<int, 4>{0, 1};
  const T* from = image.ptr<T>(y);
  for (int x = 0; x < image.cols; ++x, from += Channels)
    for (int k = 0; k < Channels; ++k) {
      const T v = from[order[k]];
      if constexpr (sizeof(T) == 1) {
        *to++ = v;
      } else {
        *to++ = static_cast<uint8_t>(v >> 8);
        *to++ = static_cast<uint8_t>(v);
      }
    }
}
template <class T>
void png_row(const cv::Mat& image, int y, uint8_t* to) {
  switch (image.channels()) {
    case 1: return png_row<1, T>(image, y, to);
    case 2: return png_row<2, T>(image, y, to);
    case 3: return png_row<3, T>(image, y, to);
    default: return png_row<4, T>(image, y, to);
  }
}
void png_row(const cv::Mat& image, int y, uint8_t* to) {
  if (image.depth() == CV_8U) return png_row<uint8_t>(image, y, to);
  png_row<uint16_t>(image, y, to);
}

uint8_t paeth(uint8_t a, uint8_t b, uint8_t c) {
  const int p = a + b - c, pa = std::abs(p - a), pb = std::abs(p - b), pc = std::abs(p - c);
  return pa <= pb && pa <= pc ? a : (pb <= pc ? b : c);
}

// Rows [first, last) filtered (Paeth: the smallest of PNG's filters on the upsampler's 4K output, 4.3 MB
// against 5.3-6.0 for Sub, Up and Average) and deflated as part of one zlib stream: raw deflate, ending on
// a byte boundary (a sync flush) unless `final`.
struct Strip {
  std::vector<uint8_t> deflated;
  uLong adler = 1;
  std::size_t size = 0;  // of the filtered rows
};
Strip deflate_strip(const cv::Mat& image, int first, int last, std::size_t row_bytes, int pixel_bytes, bool final) {
  Strip strip;
  std::vector<uint8_t> rows((static_cast<std::size_t>(last - first)) * (row_bytes + 1));
  std::vector<uint8_t> previous(row_bytes, 0), current(row_bytes);
  if (first > 0) png_row(image, first - 1, previous.data());
  for (int y = first; y < last; ++y) {
    png_row(image, y, current.data());
    uint8_t* out = rows.data() + static_cast<std::size_t>(y - first) * (row_bytes + 1);
    out[0] = 4;  // Paeth
    for (std::size_t i = 0; i < row_bytes; ++i) {
      const bool left = i >= static_cast<std::size_t>(pixel_bytes);
      const uint8_t a = left ? current[i - pixel_bytes] : 0, c = left ? previous[i - pixel_bytes] : 0;
      out[i + 1] = static_cast<uint8_t>(current[i] - paeth(a, previous[i], c));
    }
    std::swap(previous, current);
  }
  strip.size = rows.size();
  z_stream z{};
  check(deflateInit2(&z, 1, Z_DEFLATED, -15, 8, Z_RLE) == Z_OK, "encode_png: zlib's deflateInit2 failed");
  strip.deflated.resize(deflateBound(&z, static_cast<uLong>(rows.size())) + 16);
  z.next_in = rows.data();
  z.avail_in = static_cast<uInt>(rows.size());
  z.next_out = strip.deflated.data();
  z.avail_out = static_cast<uInt>(strip.deflated.size());
  const int status = deflate(&z, final ? Z_FINISH : Z_SYNC_FLUSH);
  strip.deflated.resize(strip.deflated.size() - z.avail_out);
  strip.deflated.shrink_to_fit();  // the bound is the uncompressed size: all strips' would be the image's
  deflateEnd(&z);
  check(status == (final ? Z_STREAM_END : Z_OK) && z.avail_in == 0, "encode_png: zlib's deflate failed");
  strip.adler = adler32(1, rows.data(), static_cast<uInt>(rows.size()));
  return strip;
}

}  // namespace

std::vector<uint8_t> encode_png(const cv::Mat& image) {
  const int channels = image.channels(), depth = image.depth();
  check(!image.empty() && (depth == CV_8U || depth == CV_16U) && channels >= 1 && channels <= 4,
        "encode_png: the image must be 8- or 16-bit with 1 to 4 channels and not empty, but got ",
        image.cols, "x", image.rows, " with ", channels, " channels of depth ", depth);
  const int sample_bytes = depth == CV_16U ? 2 : 1, pixel_bytes = channels * sample_bytes;
  const std::size_t row_bytes = static_cast<std::size_t>(image.cols) * static_cast<std::size_t>(pixel_bytes);
  // Strips of about 1 MB (at least a row; a strip's bytes stay below zlib's 4 GB uInt).
  check(row_bytes + 1 < std::numeric_limits<uInt>::max() / 2, "encode_png: rows of ", row_bytes,
        " bytes are too long for one zlib call");
  const int strip_rows = static_cast<int>(std::max<std::size_t>(1, (std::size_t{1} << 20) / (row_bytes + 1)));
  const int strips = (image.rows + strip_rows - 1) / strip_rows;
  std::vector<Strip> deflated(static_cast<std::size_t>(strips));
  parallel_for(0, strips, [&](int64_t begin, int64_t end) {
    for (int64_t s = begin; s < end; ++s) {
      const int first = static_cast<int>(s) * strip_rows, last = std::min(image.rows, first + strip_rows);
      deflated[static_cast<std::size_t>(s)] =
          deflate_strip(image, first, last, row_bytes, pixel_bytes, last == image.rows);
    }
  });

  std::size_t total = 64;
  for (const Strip& strip : deflated) total += strip.deflated.size() + 24;
  std::vector<uint8_t> png = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  png.reserve(total);
  std::vector<uint8_t> header;
  put_u32(header, static_cast<uint32_t>(image.cols));
  put_u32(header, static_cast<uint32_t>(image.rows));
  static constexpr std::array<uint8_t, 5> colour_type = {0, 0, 4, 2, 6};  // by channel count
  header.insert(header.end(), {static_cast<uint8_t>(8 * sample_bytes), colour_type[static_cast<std::size_t>(channels)],
                               0, 0, 0});  // deflate, adaptive filters, no interlace
  put_chunk(png, "IHDR", header.data(), header.size());
  // The zlib stream, IDAT chunks per strip: a header (deflate, 32 KB window, fastest), the strips, and the
  // Adler-32 of the whole filtered image.
  uLong adler = 1;
  for (std::size_t s = 0; s < deflated.size(); ++s) {
    std::vector<uint8_t>& data = deflated[s].deflated;
    if (s == 0) data.insert(data.begin(), {0x78, 0x01});
    adler = adler32_combine(adler, deflated[s].adler, static_cast<z_off_t>(deflated[s].size));
    if (s + 1 == deflated.size())
      for (int shift = 24; shift >= 0; shift -= 8) data.push_back(static_cast<uint8_t>(adler >> shift));
    constexpr std::size_t most = std::size_t{1} << 30;  // a chunk's length must stay below 2^31
    for (std::size_t at = 0; at < data.size(); at += most)
      put_chunk(png, "IDAT", data.data() + at, std::min(most, data.size() - at));
  }
  put_chunk(png, "IEND", nullptr, 0);
  return png;
}

}  // namespace strider::vision
