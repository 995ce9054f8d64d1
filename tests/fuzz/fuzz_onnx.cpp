// libFuzzer target: parse_onnx (protobuf parsing, initializer conversion, graph checks, operator
// validation) on arbitrary bytes must return a model or throw std::invalid_argument — never crash,
// overflow or read out of bounds. Running the parsed models is not fuzzed: a valid file may ask for a
// legitimately huge tensor, which the fuzzer would report as out-of-memory.
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string_view>

#include "onnx/onnx_model.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  try {
    const strider::OnnxModel model = strider::parse_onnx(std::string_view(reinterpret_cast<const char*>(data), size));
    volatile std::size_t sink = model.input_count() + model.output_count();
    (void)sink;
  } catch (const std::invalid_argument&) {
  }
  return 0;
}
