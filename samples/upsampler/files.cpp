#include "files.hpp"

#include <algorithm>
#include <cctype>
#include <csignal>
#include <cstring>
#include <iomanip>
#include <iostream>
#include <map>
#include <set>

#include <unistd.h>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "core/check.hpp"
#include "core/files.hpp"
#include "vision/image_file.hpp"
#include "vision/image_header.hpp"
#include "vision/png_encoder.hpp"

namespace strider::upsampler {
namespace fs = std::filesystem;

namespace {

std::string lower_extension(const fs::path& path) {
  std::string ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return ext;
}

// The temporary file being written, for the signal handler: the name is complete before the flag is set.
volatile std::sig_atomic_t temporary_pending = 0;
char temporary_name[4096];

extern "C" void remove_temporary_and_die(int signal) {
  if (temporary_pending) ::unlink(temporary_name);  // async-signal-safe
  std::signal(signal, SIG_DFL);
  std::raise(signal);
}

// One spelling per file, for the sets of files a folder run claims.
fs::path file_key(const fs::path& path) { return fs::weakly_canonical(path); }

}  // namespace

cv::Mat read_image(const fs::path& path, int64_t max_pixels) {
  cv::Mat image = vision::read_image(path, {.max_pixels = max_pixels});
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
  check(!same_file(path, input), "refusing to write '", path.string(), "': it is the input image");
  check(!fs::is_directory(path), "cannot write '", path.string(), "': it is a folder (an input folder's results ",
        "go to a folder; an image's to a file)");
  const fs::path folder = path.parent_path().empty() ? fs::path(".") : path.parent_path();
  check(fs::is_directory(folder), "cannot write '", path.string(), "': the folder '", folder.string(),
        "' does not exist");
  check(::access(folder.c_str(), W_OK) == 0, "cannot write '", path.string(), "': the folder '", folder.string(),
        "' is not writable");
  const std::string ext = lower_extension(path);
  check(!ext.empty() && cv::haveImageWriter(path.string()), "cannot write '", path.string(),
        "': OpenCV has no encoder for the extension '", ext, "'");
}

void write_image_atomically(const fs::path& path, const cv::Mat& image, const fs::path& input) {
  check_output_path(path, input);
  std::vector<uchar> bytes;
  const std::string ext = lower_extension(path);
  if (ext == ".png") bytes = vision::encode_png(image);
  else check(cv::imencode(ext, image, bytes), "cannot encode '", path.string(), "' as ", ext);
  const fs::path temporary = temporary_path(path);
  check(temporary.native().size() < sizeof(temporary_name), "cannot write '", path.string(), "': path too long");
  std::strcpy(temporary_name, temporary.c_str());
  struct Pending {  // for the signal handler, while the temporary file may exist
    Pending() { temporary_pending = 1; }
    ~Pending() { temporary_pending = 0; }
  } pending;
  write_file_atomically(path, {{reinterpret_cast<const char*>(bytes.data()), bytes.size()}}, "cannot write");
}

void remove_temporary_files_on_signals() {
  for (const int signal : {SIGINT, SIGTERM}) std::signal(signal, remove_temporary_and_die);
}

std::vector<fs::path> list_images(const fs::path& folder) {
  const auto& extensions = vision::readable_extensions;
  std::vector<fs::path> images;
  for (const auto& entry : fs::directory_iterator(folder))
    if (entry.is_regular_file() &&
        std::find(extensions.begin(), extensions.end(), lower_extension(entry.path())) != extensions.end())
      images.push_back(entry.path());
  std::sort(images.begin(), images.end());
  return images;
}

fs::path compare_path(const fs::path& output) {
  fs::path picture = output;
  return picture.replace_filename(output.stem().string() + "_compare.png");
}

std::vector<FolderJob> plan_folder(const std::vector<fs::path>& images, const fs::path& folder, int scale,
                                   bool compare, bool overwrite) {
  const auto outputs_of = [&](const std::vector<fs::path>& inputs) {
    std::map<std::string, int> stems;
    for (const fs::path& input : inputs) ++stems[input.stem().string()];
    std::vector<fs::path> outputs;
    for (const fs::path& input : inputs) {
      std::string name = input.stem().string();
      if (stems[name] > 1) name += '_' + lower_extension(input).substr(1);  // h.jpg, h.png -> h_jpg, h_png
      name += "_x" + std::to_string(scale) + ".png";
      outputs.push_back(folder / name);
    }
    return outputs;
  };
  // Files this run would write are no inputs: NAME_x2.png left in the folder by a previous run.
  std::set<fs::path> written;
  for (const fs::path& output : outputs_of(images)) {
    written.insert(file_key(output));
    if (compare) written.insert(file_key(compare_path(output)));
  }
  std::vector<fs::path> inputs;
  for (const fs::path& image : images)
    if (!written.contains(file_key(image))) inputs.push_back(image);

  const std::vector<fs::path> outputs = outputs_of(inputs);
  std::map<fs::path, fs::path> claimed;  // output -> the input that writes it
  std::vector<FolderJob> jobs;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    FolderJob job{inputs[i], outputs[i], ""};
    const auto [first, fresh] = claimed.emplace(file_key(job.output), job.input);
    if (!fresh) {
      job.refused = "its output '" + job.output.string() + "' is also " + first->second.filename().string() + "'s";
    } else if (!overwrite) {
      for (const fs::path& file : compare ? std::vector{job.output, compare_path(job.output)} : std::vector{job.output})
        if (fs::exists(file)) job.refused = file.string() + " exists and is not overwritten (--overwrite replaces it)";
    }
    jobs.push_back(std::move(job));
  }
  return jobs;
}

ProgressBar::Style ProgressBar::style_for_stderr(bool quiet) {
  return quiet ? Style::quiet : ::isatty(STDERR_FILENO) ? Style::bar : Style::lines;
}

ProgressBar::ProgressBar(std::string label, Style style)
    : label_(std::move(label)), style_(style), start_(std::chrono::steady_clock::now()) {}

void ProgressBar::update(int64_t done, int64_t total) {
  const int64_t percent = total > 0 ? 100 * done / total : 100;
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  if (style_ == Style::bar) {
    constexpr int width = 30;
    const int filled = static_cast<int>(width * percent / 100);
    std::cerr << '\r' << label_ << " [" << std::string(filled, '#') << std::string(width - filled, '.') << "] "
              << std::setw(3) << percent << "%  " << done << '/' << total << " tiles  " << std::fixed
              << std::setprecision(1) << seconds << " s" << (done == total ? "\n" : "") << std::flush;
  } else if (style_ == Style::lines && percent / 10 != last_tenth_) {
    last_tenth_ = percent / 10;
    std::cerr << label_ << ": " << percent << "% (" << done << '/' << total << " tiles, " << std::fixed
              << std::setprecision(1) << seconds << " s)\n";
  }
}

}  // namespace strider::upsampler
