#pragma once
// numpy arrays <-> Strider tensors, copying only when the layouts differ.
//
// In: a C-contiguous, aligned, native float32 array of rank 1-4 is wrapped as a Tensor view of its own
// memory (no copy); any other array of real numbers (float64, int, a transposed or negative-stride view)
// is first converted to a new C-contiguous float32 array. The rank is checked before converting, so a
// rank-5 broadcast view is rejected without allocating it.
// Out: the result Tensor moves into a capsule that the new numpy array holds as its base: the array
// owns Strider's buffer (no copy).
#include <string>
#include <string_view>

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include "core/tensor.hpp"

namespace strider::python {

namespace py = pybind11;

// InputTypeError: an argument of the wrong kind (None, a non-numeric dtype). A TypeError, as Python
// would say, and a ValueError too, so that `except ValueError` catches every bad input as the API says.
void register_input_type_error(py::module_& m);
[[noreturn]] void throw_input_type_error(const std::string& message);

// Holds the float32 array the Tensor views: keep it alive as long as the Tensor is used.
struct TensorArg {
  py::array array;
  Tensor tensor;
};

// `what` names the argument in errors ("Conv2d: input"). None or a non-numeric object raises
// InputTypeError; a rank outside 1-4 raises ValueError.
TensorArg to_tensor(py::handle object, std::string_view what);

// Takes the tensor over as the buffer of a new C-contiguous float32 array.
py::array to_numpy(Tensor tensor);

}  // namespace strider::python
