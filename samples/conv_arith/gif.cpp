#include "gif.hpp"

#include <gif_lib.h>

#include <algorithm>
#include <memory>
#include <unordered_map>

#include <opencv2/imgproc.hpp>

#include "core/check.hpp"

namespace strider::conv_arith {

namespace {

uint32_t pack(const cv::Vec3b& bgr) { return uint32_t(bgr[2]) << 16 | uint32_t(bgr[1]) << 8 | bgr[0]; }

struct Palette {
  std::vector<GifColorType> colours;
  std::unordered_map<uint32_t, GifPixelType> index;  // every colour of the frames -> its entry
};

Palette make_palette(const std::vector<cv::Mat>& frames) {
  std::unordered_map<uint32_t, int64_t> counts;
  for (const cv::Mat& f : frames)
    for (auto it = f.begin<cv::Vec3b>(); it != f.end<cv::Vec3b>(); ++it) ++counts[pack(*it)];
  std::vector<std::pair<int64_t, uint32_t>> by_count;
  for (const auto& [colour, n] : counts) by_count.push_back({-n, colour});
  std::sort(by_count.begin(), by_count.end());

  Palette p;
  const std::size_t size = std::min<std::size_t>(by_count.size(), 256);
  for (std::size_t i = 0; i < size; ++i) {
    const uint32_t c = by_count[i].second;
    p.colours.push_back({GifByteType(c >> 16), GifByteType(c >> 8 & 0xff), GifByteType(c & 0xff)});
    p.index[c] = GifPixelType(i);
  }
  for (std::size_t i = size; i < by_count.size(); ++i) {
    const uint32_t c = by_count[i].second;
    const auto distance = [c](const GifColorType& e) {
      const int dr = int(c >> 16) - e.Red, dg = int(c >> 8 & 0xff) - e.Green, db = int(c & 0xff) - e.Blue;
      return dr * dr + dg * dg + db * db;
    };
    const auto nearest = std::min_element(p.colours.begin(), p.colours.end(),
                                          [&](const auto& a, const auto& b) { return distance(a) < distance(b); });
    p.index[c] = GifPixelType(nearest - p.colours.begin());
  }
  // giflib wants a power-of-two colour table.
  while (p.colours.size() < 2 || (p.colours.size() & (p.colours.size() - 1)) != 0) p.colours.push_back({0, 0, 0});
  return p;
}

}  // namespace

void write_gif(std::ostream& file, const std::string& name, const std::vector<cv::Mat>& frames, int delay_cs) {
  check(!frames.empty(), "write_gif: no frames for '", name, "'");
  const int width = frames.front().cols, height = frames.front().rows;
  const Palette palette = make_palette(frames);

  const OutputFunc write = [](GifFileType* g, const GifByteType* bytes, int n) {
    return static_cast<std::ostream*>(g->UserData)->write(reinterpret_cast<const char*>(bytes), n) ? n : 0;
  };
  int error = 0;
  const auto fail_with = [&](int code) { fail("cannot write GIF '", name, "': ", GifErrorString(code)); };
  GifFileType* opened = EGifOpen(&file, write, &error);
  if (opened == nullptr) fail_with(error);
  const auto close = [](GifFileType* g) {
    int ignored = 0;
    EGifCloseFile(g, &ignored);
  };
  std::unique_ptr<GifFileType, decltype(close)> gif(opened, close);
  const auto put = [&](int status) {
    if (status != GIF_OK) fail_with(gif->Error);
  };

  EGifSetGifVersion(gif.get(), true);
  const std::unique_ptr<ColorMapObject, decltype(&GifFreeMapObject)> map(
      GifMakeMapObject(int(palette.colours.size()), palette.colours.data()), &GifFreeMapObject);
  put(EGifPutScreenDesc(gif.get(), width, height, 8, 0, map.get()));
  // The NETSCAPE2.0 application extension: loop forever.
  put(EGifPutExtensionLeader(gif.get(), APPLICATION_EXT_FUNC_CODE));
  put(EGifPutExtensionBlock(gif.get(), 11, "NETSCAPE2.0"));
  const GifByteType loop[3] = {1, 0, 0};
  put(EGifPutExtensionBlock(gif.get(), 3, loop));
  put(EGifPutExtensionTrailer(gif.get()));

  std::vector<GifPixelType> row(static_cast<std::size_t>(width));
  for (std::size_t f = 0; f < frames.size(); ++f) {
    const cv::Mat& frame = frames[f];
    check(frame.type() == CV_8UC3 && frame.cols == width && frame.rows == height,
          "write_gif: frame ", f, " is not ", width, "x", height, " BGR");
    GraphicsControlBlock control{DISPOSE_DO_NOT, false, f + 1 == frames.size() ? 3 * delay_cs : delay_cs,
                                 NO_TRANSPARENT_COLOR};
    GifByteType extension[4];
    EGifGCBToExtension(&control, extension);
    put(EGifPutExtension(gif.get(), GRAPHICS_EXT_FUNC_CODE, 4, extension));
    // Frames stay on screen (DISPOSE_DO_NOT), so each one after the first stores only the rectangle
    // where it differs from the previous one: the moving window, the output cell, the caption.
    cv::Rect r(0, 0, width, height);
    if (f > 0) {
      const cv::Mat differs = frame != frames[f - 1];
      const cv::Rect bytes = cv::boundingRect(differs.reshape(1, height));  // column x·3 + channel
      const int left = bytes.x / 3, right = (bytes.x + bytes.width + 2) / 3;
      r = bytes.empty() ? cv::Rect(0, 0, 1, 1) : cv::Rect(left, bytes.y, right - left, bytes.height);
    }
    put(EGifPutImageDesc(gif.get(), r.x, r.y, r.width, r.height, false, nullptr));
    for (int y = r.y; y < r.y + r.height; ++y) {
      const cv::Vec3b* pixels = frame.ptr<cv::Vec3b>(y);
      for (int x = 0; x < r.width; ++x) row[std::size_t(x)] = palette.index.at(pack(pixels[r.x + x]));
      put(EGifPutLine(gif.get(), row.data(), r.width));
    }
  }
  // Closing writes the trailer; its failure must not pass silently.
  GifFileType* finished = gif.release();
  if (EGifCloseFile(finished, &error) != GIF_OK) fail_with(error);
  check(file.flush().good(), "cannot write GIF '", name, "'");
}

}  // namespace strider::conv_arith
