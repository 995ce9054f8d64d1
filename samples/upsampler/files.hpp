#pragma once
// Files for the upsample program: reading within a pixel limit, planning a folder's outputs so that no
// result is lost or read back, writing atomically (a killed run leaves no partial file), progress on
// stderr.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "vision/image_file.hpp"

namespace strider::upsampler {

// A PNG, JPEG, BMP, TIFF, WebP or PNM image of at most `max_pixels` pixels (vision::read_image): grey /
// BGR / BGRA, 8 or 16 bits (other depths are rejected); grey + alpha becomes BGRA, which every encoder writes.
cv::Mat read_image(const std::filesystem::path& path, int64_t max_pixels = vision::ReadOptions{}.max_pixels);

// Throws unless `path` names another file than `input`, in an existing writable folder, with an
// extension OpenCV can encode: checked before any work is done.
void check_output_path(const std::filesystem::path& path, const std::filesystem::path& input);

// Encodes by the extension of `path`, writes a temporary file beside it, fsyncs it and renames it over
// `path`, so that `path` is never left half-written. The temporary file is removed when anything fails,
// and on SIGINT / SIGTERM once remove_temporary_files_on_signals() has run. Refuses to write over
// `input` (check_output_path).
void write_image_atomically(const std::filesystem::path& path, const cv::Mat& image,
                            const std::filesystem::path& input);
void remove_temporary_files_on_signals();

// The files of `folder` whose extension OpenCV's image codecs handle, sorted by name.
std::vector<std::filesystem::path> list_images(const std::filesystem::path& folder);

// What a folder run does with each image, decided before any work.
struct FolderJob {
  std::filesystem::path input, output;
  std::string refused;  // why the job is not run: its output exists (without overwrite), or ""
};
// `images` (from list_images) into `folder`: NAME_x2.png, or NAME_EXT_x2.png when several images share a
// name (h.jpg and h.png). An image that is some job's output (the folder is also the input folder, and
// a previous run left NAME_x2.png there) is no input; an existing output is refused unless `overwrite`.
std::vector<FolderJob> plan_folder(const std::vector<std::filesystem::path>& images,
                                   const std::filesystem::path& folder, int scale, bool compare, bool overwrite);

// The comparison picture of `output`: OUTPUT_compare.png beside it.
std::filesystem::path compare_path(const std::filesystem::path& output);

// Progress on stderr: a bar redrawn in place on a terminal, "label [#######.......]  45%  12/27 tiles
// 3.1 s"; plain lines at every tenth otherwise (logs); nothing when quiet.
class ProgressBar {
 public:
  enum class Style { bar, lines, quiet };
  // bar when stderr is a terminal, lines otherwise; quiet when asked.
  static Style style_for_stderr(bool quiet);

  ProgressBar(std::string label, Style style);
  void update(int64_t done, int64_t total);

 private:
  std::string label_;
  Style style_;
  int64_t last_tenth_ = -1;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace strider::upsampler
