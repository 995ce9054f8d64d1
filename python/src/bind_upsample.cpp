// strider.upsampler(): ImageUpsampler (upsampler/) on images as cv2.imread returns them (H×W or H×W×C,
// uint8 / uint16, BGR, alpha kept), and the `upsample` program's file handling (samples/upsampler/files.hpp)
// for strider.batch: the same pixels and the same files as the program.
#include <climits>
#include <memory>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include <opencv2/core.hpp>
#include <pybind11/stl.h>

#include "bindings.hpp"
#include "core/check.hpp"
#include "files.hpp"
#include "numpy_tensor.hpp"
#include "upsampler/image_upsampler.hpp"
#include "vision/image_file.hpp"

namespace strider::python {

namespace {

class Upsampler {
 public:
  Upsampler(const std::string& weights, const std::string& weights_x4) : upsampler_(weights, weights_x4) {}

  py::array upsample(py::handle image, int scale, int tile) const {
    check_scale(scale);
    if (image.is_none()) throw_input_type_error("upsample: image must be a numpy array, but got None");
    py::array array = py::module_::import("numpy").attr("asarray")(image);
    const bool u8 = array.dtype().equal(py::dtype::of<uint8_t>()), u16 = array.dtype().equal(py::dtype::of<uint16_t>());
    if (!u8 && !u16)
      throw_input_type_error("upsample: image must be uint8 or uint16 as cv2.imread returns it, but got dtype " +
                             py::str(array.dtype()).cast<std::string>());
    check(array.ndim() == 2 || array.ndim() == 3, "upsample: image must be H×W or H×W×C, but got rank ", array.ndim());
    const int64_t h = array.shape(0), w = array.shape(1), c = array.ndim() == 3 ? array.shape(2) : 1;
    check(c == 1 || c == 3 || c == 4, "upsample: expected 1, 3 or 4 channels, but got ", c);
    // OpenCV sizes are ints: the output must fit (checked before converting a broadcast view).
    check(h >= 1 && w >= 1 && h <= INT_MAX / scale && w <= INT_MAX / scale, "upsample: image of ", h, "×", w,
          " cannot be upsampled ×", scale, ": each side must be between 1 and ", INT_MAX / scale);
    array = py::module_::import("numpy").attr("require")(array, py::none(), "CA");  // no copy when it already is
    const cv::Mat input(static_cast<int>(h), static_cast<int>(w), CV_MAKETYPE(u8 ? CV_8U : CV_16U, static_cast<int>(c)),
                        const_cast<void*>(array.data()));
    auto result = std::make_unique<cv::Mat>();
    {
      py::gil_scoped_release nogil;
      *result = upsampler_.upsample(input, {.scale = scale, .tile = tile});
    }
    std::vector<py::ssize_t> shape{result->rows, result->cols}, strides{static_cast<py::ssize_t>(result->step[0]),
                                                                       static_cast<py::ssize_t>(result->step[1])};
    if (array.ndim() == 3) {
      shape.push_back(c);
      strides.push_back(static_cast<py::ssize_t>(result->elemSize1()));
    }
    void* data = result->data;
    const py::capsule base(result.release(), [](void* p) { delete static_cast<cv::Mat*>(p); });
    return py::array(array.dtype(), shape, strides, data, base);
  }

  // What the `upsample` program does for one file: read, upsample, write atomically (a temporary file
  // beside `output`, renamed over it). Returns the input's (width, height).
  std::pair<int, int> upsample_file(const std::string& input, const std::string& output, int scale, int tile) const {
    check_scale(scale);
    py::gil_scoped_release nogil;
    upsampler::check_output_path(output, input);
    const cv::Mat image = upsampler::read_image(input, vision::ReadOptions{}.max_pixels);
    upsampler::write_image_atomically(output, upsampler_.upsample(image, {.scale = scale, .tile = tile}), input);
    return {image.cols, image.rows};
  }

 private:
  // Before any work: the output size check needs the scale (ImageUpsampler checks the rest).
  static void check_scale(int scale) { check(scale == 2 || scale == 4, "upsample: scale must be 2 or 4, but got ", scale); }

  ImageUpsampler upsampler_;
};

}  // namespace

void bind_upsample(py::module_& m) {
  py::class_<Upsampler>(m, "Upsampler")
      .def(py::init<const std::string&, const std::string&>(), py::arg("weights"), py::arg("weights_x4") = "")
      .def("upsample", &Upsampler::upsample, py::arg("image"), py::arg("scale") = 2,
           py::arg("tile") = ImageUpsampleOptions{}.tile)
      .def("upsample_file", &Upsampler::upsample_file, py::arg("input"), py::arg("output"), py::arg("scale") = 2,
           py::arg("tile") = ImageUpsampleOptions{}.tile);
  m.attr("DEFAULT_TILE") = ImageUpsampleOptions{}.tile;
  // The `upsample` program's plan for a folder: (input, output, why it is refused or "") per image.
  m.def("plan_folder", [](const std::string& input_dir, const std::string& output_dir, int scale) {
    std::vector<std::tuple<std::string, std::string, std::string>> jobs;
    for (const auto& job : upsampler::plan_folder(upsampler::list_images(input_dir), output_dir, scale, false, false))
      jobs.emplace_back(job.input.string(), job.output.string(), job.refused);
    return jobs;
  });
}

}  // namespace strider::python
