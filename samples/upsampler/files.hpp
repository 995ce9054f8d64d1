#pragma once
// Reading what OpenCV reads, writing atomically, and a progress bar on stderr.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

namespace strider::upsampler {

// Any image OpenCV decodes, unchanged: grey / BGR / BGRA, 8 or 16 bits (other depths are rejected).
cv::Mat read_image(const std::filesystem::path& path);

// Throws unless `path` names another file than `input` and has an extension OpenCV can encode: checked
// before any work is done.
void check_output_path(const std::filesystem::path& path, const std::filesystem::path& input);

// Encodes by the extension of `path`, writes a temporary file beside it and renames it over `path`, so
// that `path` is never left half-written. Refuses to write over `input` (check_output_path).
void write_image_atomically(const std::filesystem::path& path, const cv::Mat& image,
                            const std::filesystem::path& input);

// The files of `folder` whose extension OpenCV's image codecs handle, sorted by name.
std::vector<std::filesystem::path> list_images(const std::filesystem::path& folder);

// A one-line bar on stderr, redrawn in place: "label [#######.......]  45%  12/27 tiles  3.1 s".
class ProgressBar {
 public:
  explicit ProgressBar(std::string label);
  void update(int64_t done, int64_t total);

 private:
  std::string label_;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace strider::upsampler
