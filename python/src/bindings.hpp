#pragma once
// The parts of the _strider extension module, each in its own file.
#include <pybind11/pybind11.h>

namespace strider::python {

void bind_core(pybind11::module_& m);       // threads, SIMD level, strider.arithmetic
void bind_nn(pybind11::module_& m);         // strider._strider.nn: leaf modules, safetensors
void bind_onnx(pybind11::module_& m);       // OnnxModel
void bind_upsample(pybind11::module_& m);   // the trained upsampler on cv2 images

}  // namespace strider::python
