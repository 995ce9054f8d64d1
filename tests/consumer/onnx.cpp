#include <strider/onnx/onnx_model.hpp>

#include <iostream>
#include <stdexcept>
#include <string>

// True when the installed loader rejects bytes that are not a model, naming them.
bool onnx_rejects_garbage() {
  try {
    strider::parse_onnx("not a model", "garbage.onnx");
  } catch (const std::invalid_argument& e) {
    std::cout << "onnx: " << e.what() << '\n';
    return std::string(e.what()).find("garbage.onnx") != std::string::npos;
  }
  return false;
}
