#include "numpy_tensor.hpp"

#include <string>
#include <utility>
#include <vector>

#include "core/check.hpp"

namespace strider::python {

namespace {

PyObject* input_type_error = nullptr;  // the class; lives as long as the module (never unloaded)

bool is_plain_float32(const py::array& array) {
  const int flags = py::detail::array_proxy(array.ptr())->flags;
  return array.dtype().equal(py::dtype::of<float>()) && (flags & py::array::c_style) &&
         (flags & py::detail::npy_api::NPY_ARRAY_ALIGNED_);
}

}  // namespace

void register_input_type_error(py::module_& m) {
  const py::tuple bases = py::make_tuple(py::handle(PyExc_TypeError), py::handle(PyExc_ValueError));
  input_type_error = PyErr_NewException("strider.InputTypeError", bases.ptr(), nullptr);
  if (input_type_error == nullptr) throw py::error_already_set();
  m.attr("InputTypeError") = py::handle(input_type_error);
}

void throw_input_type_error(const std::string& message) {
  PyErr_SetString(input_type_error, message.c_str());
  throw py::error_already_set();
}

TensorArg to_tensor(py::handle object, std::string_view what) {
  if (object.is_none()) throw_input_type_error(std::string(what) + " must be a numpy array, but got None");
  const py::module_ numpy = py::module_::import("numpy");
  py::array array = numpy.attr("asarray")(object);
  const char kind = array.dtype().kind();
  if (kind != 'f' && kind != 'i' && kind != 'u' && kind != 'b')
    throw_input_type_error(std::string(what) + " must be an array of real numbers, but got dtype " +
                           py::str(array.dtype()).cast<std::string>());
  check(array.ndim() >= 1 && array.ndim() <= Shape::max_rank, what, " must have rank 1 to 4, but got rank ",
        array.ndim(), " (shape ", py::str(py::tuple(array.attr("shape"))).cast<std::string>(), ")");
  // "CA": C-contiguous and aligned (ascontiguousarray alone keeps an unaligned contiguous array).
  if (!is_plain_float32(array)) array = numpy.attr("require")(array, "float32", "CA");
  const std::vector<int64_t> dims(array.shape(), array.shape() + array.ndim());
  Tensor tensor = Tensor::wrap(static_cast<float*>(const_cast<void*>(array.data())), Shape(dims));
  return {std::move(array), std::move(tensor)};
}

py::array to_numpy(Tensor tensor) {
  // A view (an operator returning its input's memory) is copied: the array must own what it points to.
  auto* owned = new Tensor(tensor.owns_data() ? std::move(tensor) : tensor.clone());
  const py::capsule base(owned, [](void* p) { delete static_cast<Tensor*>(p); });
  const std::vector<py::ssize_t> shape(owned->shape().begin(), owned->shape().end());
  return py::array_t<float>(shape, owned->data(), base);
}

}  // namespace strider::python
