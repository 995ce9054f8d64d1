// libFuzzer target: parse_onnx on arbitrary bytes, then, for a model that loads, a run on inputs of the
// sizes the file declares (open dimensions taken as 3) — plan building, shape folding, every operator's
// checks at run time. Both must return or throw std::invalid_argument: never crash, overflow, read out of
// bounds or allocate without bound. A valid file may legitimately ask for a huge tensor, so the target
// lowers the tensor limit (set_max_tensor_bytes) to 64 MiB: such a file then fails with the limit's
// std::invalid_argument, and any allocation that escapes the limit shows as libFuzzer's out-of-memory.
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string_view>
#include <vector>

#include "onnx/onnx_model.hpp"

using namespace strider;

namespace {

constexpr int64_t max_input_numel = 4096;  // inputs stay tiny: the fuzzer's time goes to the graph's logic

// The inputs the file declares, filled with values in [-1, 1]; empty when one is not float32 of rank 1-4
// or would be larger than max_input_numel.
std::vector<Tensor> declared_inputs(const OnnxModel& model) {
  std::vector<Tensor> inputs;
  for (const TensorInfo& info : model.inputs()) {
    if ((info.type != "float32" && !info.type.empty()) || info.dims.empty() || info.dims.size() > 4) return {};
    std::vector<int64_t> dims;
    int64_t numel = 1;
    for (const int64_t d : info.dims) {
      dims.push_back(d < 0 ? 3 : d);
      if (dims.back() > max_input_numel) return {};
      numel *= dims.back();
      if (numel > max_input_numel) return {};
    }
    inputs.push_back(Tensor::uniform(Shape(dims), -1.0f, 1.0f, inputs.size()));
  }
  return inputs;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  static const bool limited = (set_max_tensor_bytes(int64_t{64} << 20), true);
  (void)limited;
  try {
    const OnnxModel model = parse_onnx(std::string_view(reinterpret_cast<const char*>(data), size));
    const std::vector<Tensor> inputs = declared_inputs(model);
    if (inputs.empty() || inputs.size() != model.input_count()) return 0;
    std::vector<const Tensor*> pointers;
    for (const Tensor& input : inputs) pointers.push_back(&input);
    const std::vector<Tensor> outputs = model.run(pointers);
    volatile std::size_t sink = outputs.size();
    (void)sink;
  } catch (const std::invalid_argument&) {
  }
  return 0;
}
