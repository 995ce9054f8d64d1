#pragma once
// ONNX models as written by torch.onnx.export (opsets 11-17; 7-18 accepted, older files upgraded by ONNX's
// version converter), run with Strider's operators.
//
//   OnnxModel model = load_onnx("unet.onnx");
//   Tensor y = model.run(x);   // x: the input the model was exported with, [N, C, H, W]
//
// Loading parses the protobuf, converts initializers to float32 / int64 and rejects any node whose
// operator is not supported, naming it. The first run() for an input shape builds a plan: the nodes
// that only compute shapes (Shape, Gather, Slice, Cast, Unsqueeze, Concat, ConstantOfShape, Reshape
// targets...) are folded into constants, BatchNormalization and Relu / LeakyRelu after a convolution are
// fused into it, and the remaining nodes become Strider operators with their weights packed. Later runs
// with the same shape replay the plan; another shape builds a new one.
//
// Operators: Conv, ConvTranspose (group, dilations, pads, auto_pad, output_padding, output_shape),
// MaxPool, AveragePool (ceil_mode, count_include_pad, dilations, any pads and auto_pad), GlobalAveragePool,
// GlobalMaxPool, Pad (constant, reflect, edge), Relu, LeakyRelu, PRelu, Sigmoid, Tanh, Clip, Add, Sub,
// Mul, Div (broadcasting), Gemm, MatMul, Concat, Resize / Upsample (nearest, linear, cubic; every
// coordinate mode but tf_crop_and_resize), BatchNormalization, InstanceNormalization, DepthToSpace,
// SpaceToDepth (and older torch's Reshape + Transpose PixelShuffle), Identity, Dropout, Flatten, Reshape,
// Squeeze, Unsqueeze, Transpose, Slice, Cast, and on constants Shape, Gather, ConstantOfShape,
// Constant, Floor, Ceil. Tensors computed from the input
// have rank 1-4. Errors are std::invalid_argument naming the file or the node and its operator.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "../core/tensor.hpp"

namespace strider {

namespace onnx {
struct Model;
struct Plan;
}  // namespace onnx

class OnnxModel {
 public:
  explicit OnnxModel(onnx::Model model);
  OnnxModel(OnnxModel&&) noexcept;
  OnnxModel& operator=(OnnxModel&&) noexcept;
  ~OnnxModel();

  // A model with one input and one output.
  Tensor run(const Tensor& input);
  // One tensor per graph input, in the file's order; one result per graph output. An input that a node
  // needs as a constant (weights or Resize scales given as inputs) is frozen into the plan, which is
  // rebuilt when its value changes.
  std::vector<Tensor> run(std::span<const Tensor* const> inputs);

  std::size_t input_count() const;
  std::size_t output_count() const;
  // The shape the file declares for input i; -1 marks a dimension it leaves open.
  std::vector<int64_t> input_dims(std::size_t i = 0) const;
  int64_t opset() const;
  // The nodes the current plan runs, one line each (a fused BatchNormalization or activation is part
  // of its convolution's line); empty before the first run.
  std::vector<std::string> plan() const;

 private:
  std::unique_ptr<onnx::Model> model_;
  std::unique_ptr<onnx::Plan> plan_;
};

OnnxModel load_onnx(const std::filesystem::path& path);
// Parses the bytes of an .onnx file; `name` only labels error messages. The entry point for fuzzing.
OnnxModel parse_onnx(std::string_view bytes, std::string_view name = "<memory>");

}  // namespace strider
