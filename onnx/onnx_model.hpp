#pragma once
// ONNX models as written by torch.onnx.export (opsets 11-17; 7-18 accepted, older files upgraded by ONNX's
// version converter), run with Strider's operators.
//
//   OnnxModel model = load_onnx("unet.onnx");
//   Tensor y = model.run(x);   // x: the input the model was exported with, [N, C, H, W]
//
// Loading parses the protobuf, converts initializers to float32 / int64, checks the attributes of every
// node as far as they can be checked without an input shape, and rejects a model with unsupported
// operators, listing all of them. The first run() for an input shape builds a plan: the nodes that only
// compute shapes (Shape, Gather, Slice, Cast, Unsqueeze, Concat, ConstantOfShape, Reshape targets...) are
// folded into constants, BatchNormalization and Relu / LeakyRelu after a convolution are fused into it,
// the remaining nodes become Strider operators with their weights packed, and every activation gets a
// block of an arena laid out by liveness. Later runs with that shape replay the plan, writing their
// activations into an arena kept from call to call (one per concurrent call: RunProfile::arena_bytes
// each); the model keeps the plans, and arenas, of the last 8 input shapes. A graph input used where a
// constant is needed (the weights of a model exported with export_params=False) is baked into the plan:
// a plan is replayed only for inputs holding the same values.
//
// Thread safety: a model may be shared between threads. run(), profile() and every other const member
// may be called from any number of threads at once (a plan is built once, under a lock, and each call
// has its own activation memory). set_thread_pool() must not overlap them.
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
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "../core/tensor.hpp"

namespace strider {

class ThreadPool;

namespace onnx {
struct Model;
struct Plan;
}  // namespace onnx

// A graph input or output as the file declares it.
struct TensorInfo {
  std::string name;
  std::vector<int64_t> dims;  // -1 marks a dimension the file leaves open; empty when the rank is unknown
  std::string type;           // element type: "float32", "int64", ...; "" when the file does not say
};

// One line of OnnxModel::profile: a step of the plan (a node and the nodes fused into it).
struct NodeProfile {
  std::string node;                // "Conv node 'conv1'"
  std::vector<std::string> fused;  // the nodes it absorbed: "Relu node 'relu1'"
  double median_ms = 0;            // over the profiled runs
  double share = 0;                // of the sum of all steps' medians, 0-1
  double flops = 0;                // per run: 2 x multiply-adds of a convolution, else 0
  double bytes = 0;                // per run: read and written
  double gflops() const { return median_ms > 0 ? flops / median_ms * 1e-6 : 0; }
  double gbytes_per_second() const { return median_ms > 0 ? bytes / median_ms * 1e-6 : 0; }
};

struct RunProfile {
  std::vector<NodeProfile> nodes;  // slowest first
  double median_ms = 0;            // of whole runs
  int runs = 0;
  int64_t arena_bytes = 0;         // the activations' arena: the peak of the activations alive together
  int64_t activation_bytes = 0;    // every activation of a run (graph outputs aside), as if none were reused
};

class OnnxModel {
 public:
  explicit OnnxModel(onnx::Model model);
  OnnxModel(OnnxModel&&) noexcept;
  OnnxModel& operator=(OnnxModel&&) noexcept;
  ~OnnxModel();

  // A model with one input and one output.
  Tensor run(const Tensor& input) const;
  // One tensor per graph input, in the file's order; one result per graph output. An input that a node
  // needs as a constant (weights or Resize scales given as inputs) is frozen into the plan, which is
  // rebuilt when its value changes.
  std::vector<Tensor> run(std::span<const Tensor* const> inputs) const;
  // The same, writing into `outputs` (one per graph output): an owning tensor of the output's shape is
  // written in place, without allocating; any other tensor is replaced by a new one. A loop that passes
  // the same outputs every time allocates nothing after its first call.
  void run(std::span<const Tensor* const> inputs, std::span<Tensor> outputs) const;
  // By name: every graph input once; returns every graph output.
  std::map<std::string, Tensor> run(const std::map<std::string, Tensor>& inputs) const;

  // Runs `runs` times (>= 1, after one warm-up run) and times every step of the plan.
  RunProfile profile(std::span<const Tensor* const> inputs, int runs) const;

  // Runs every later call on these threads instead of oneTBB's default ones (null: the default).
  void set_thread_pool(std::shared_ptr<ThreadPool> pool);
  // Takes the sizes the file declares for its inputs as the export's example, not a rule: torch.onnx.export
  // without dynamic_axes declares the example input's shape, yet a graph that computes its shapes from the
  // input runs at any size. A shape frozen into the graph at export (a constant Reshape target) still fails
  // at its node. Like set_thread_pool(), it must not overlap a run.
  void accept_any_input_size() { any_input_size_ = true; }

  const std::vector<TensorInfo>& inputs() const { return inputs_; }
  const std::vector<TensorInfo>& outputs() const { return outputs_; }
  std::size_t input_count() const { return inputs_.size(); }
  std::size_t output_count() const { return outputs_.size(); }
  // The shape the file declares for input i; -1 marks a dimension it leaves open.
  std::vector<int64_t> input_dims(std::size_t i = 0) const { return inputs_.at(i).dims; }
  int64_t opset() const;
  // The nodes the most recently used plan runs, one line each (a fused BatchNormalization or activation
  // is part of its convolution's line); empty before the first run.
  std::vector<std::string> plan() const;

 private:
  class PlanCache;
  // The plan for these inputs; builds it (running it on them, into `outputs`) when the cache has none.
  std::shared_ptr<const onnx::Plan> plan_for(std::span<const Tensor* const> inputs, std::span<Tensor> outputs,
                                             bool& ran) const;

  std::unique_ptr<const onnx::Model> model_;
  std::vector<TensorInfo> inputs_, outputs_;
  std::unique_ptr<PlanCache> plans_;
  std::shared_ptr<ThreadPool> pool_;
  bool any_input_size_ = false;
};

OnnxModel load_onnx(const std::filesystem::path& path);
// Parses the bytes of an .onnx file; `name` only labels error messages. The entry point for fuzzing.
OnnxModel parse_onnx(std::string_view bytes, std::string_view name = "<memory>");

}  // namespace strider
