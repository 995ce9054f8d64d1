#include "files.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <fstream>
#include <iomanip>
#include <iostream>

#include <unistd.h>

#include <opencv2/imgcodecs.hpp>

#include "core/check.hpp"

namespace strider::upsampler {
namespace fs = std::filesystem;

namespace {

std::string lower_extension(const fs::path& path) {
  std::string ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return ext;
}

}  // namespace

cv::Mat read_image(const fs::path& path) {
  check(fs::is_regular_file(path), "cannot read '", path.string(), "': no such file");
  cv::Mat image = cv::imread(path.string(), cv::IMREAD_UNCHANGED);
  check(!image.empty(), "cannot read '", path.string(), "': not an image format OpenCV decodes");
  check(image.depth() == CV_8U || image.depth() == CV_16U, "cannot upsample '", path.string(),
        "': expected 8- or 16-bit pixels, but it has OpenCV depth ", image.depth());
  if (image.channels() == 2) {  // grey + alpha (some TIFFs): as BGRA, alpha kept
    cv::Mat planes[2];
    cv::split(image, planes);
    const cv::Mat bgra[4] = {planes[0], planes[0], planes[0], planes[1]};
    cv::merge(bgra, 4, image);
  }
  return image;
}

void check_output_path(const fs::path& path, const fs::path& input) {
  check(!(fs::exists(path) && fs::equivalent(path, input)) && fs::weakly_canonical(path) != fs::weakly_canonical(input),
        "refusing to write '", path.string(), "': it is the input image");
  const std::string ext = lower_extension(path);
  check(!ext.empty() && cv::haveImageWriter(path.string()), "cannot write '", path.string(),
        "': OpenCV has no encoder for the extension '", ext, "'");
}

void write_image_atomically(const fs::path& path, const cv::Mat& image, const fs::path& input) {
  check_output_path(path, input);
  std::vector<uchar> bytes;
  const std::string ext = lower_extension(path);
  check(cv::imencode(ext, image, bytes), "cannot encode '", path.string(), "' as ", ext);
  // The temporary file sits in the same directory, so the rename cannot cross file systems.
  fs::path temporary = path;
  temporary += ".part" + std::to_string(::getpid());
  {
    std::ofstream out(temporary, std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    out.close();
    if (!out) {
      std::error_code ignored;
      fs::remove(temporary, ignored);
      fail("cannot write '", temporary.string(), "'");
    }
  }
  fs::rename(temporary, path);
}

std::vector<fs::path> list_images(const fs::path& folder) {
  static const std::array<std::string, 12> extensions = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff",
                                                          ".webp", ".ppm", ".pgm", ".pnm", ".jp2", ".exr"};
  std::vector<fs::path> images;
  for (const auto& entry : fs::directory_iterator(folder))
    if (entry.is_regular_file() &&
        std::find(extensions.begin(), extensions.end(), lower_extension(entry.path())) != extensions.end())
      images.push_back(entry.path());
  std::sort(images.begin(), images.end());
  return images;
}

ProgressBar::ProgressBar(std::string label) : label_(std::move(label)), start_(std::chrono::steady_clock::now()) {}

void ProgressBar::update(int64_t done, int64_t total) {
  constexpr int width = 30;
  const int filled = total > 0 ? static_cast<int>(width * done / total) : width;
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  std::cerr << '\r' << label_ << " [" << std::string(filled, '#') << std::string(width - filled, '.') << "] "
            << std::setw(3) << (total > 0 ? 100 * done / total : 100) << "%  " << done << '/' << total << " tiles  "
            << std::fixed << std::setprecision(1) << seconds << " s" << (done == total ? "\n" : "") << std::flush;
}

}  // namespace strider::upsampler
