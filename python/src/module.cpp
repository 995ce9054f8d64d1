// _strider: the compiled half of the `strider` package (strider/__init__.py is the public face).
// std::invalid_argument, Strider's error for bad input, reaches Python as ValueError with the same
// message (pybind11's standard translation).
#include "bindings.hpp"
#include "numpy_tensor.hpp"

PYBIND11_MODULE(_strider, m) {
  m.doc() = "Strider's C++ core; import `strider`, not this module";
  strider::python::register_input_type_error(m);
  strider::python::bind_core(m);
  strider::python::bind_nn(m);
  strider::python::bind_onnx(m);
  strider::python::bind_upsample(m);
}
