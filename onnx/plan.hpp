#pragma once
// How a model runs: the float operations of the graph, in order, over numbered tensor slots, for one
// input shape. Everything that depends only on that shape (the nodes torch emits to compute shapes,
// Resize sizes, Reshape targets) is folded into constants while the plan is built, and BatchNormalization
// and activations are fused into the convolution before them. Each step's output has a block in an arena
// laid out by liveness (blocks of tensors alive at the same time never overlap), so a run allocates only
// the graph outputs. A built plan is immutable and may run on any number of threads at once (each run
// leases an arena of its own). Internal to strider_onnx.
#include <deque>
#include <memory>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "../core/arena.hpp"
#include "../core/arithmetic.hpp"
#include "../core/tensor.hpp"
#include "model.hpp"

namespace strider::onnx {

struct Step {
  std::string label;               // the node, for errors and for printing the plan
  std::vector<std::string> fused;  // the nodes it absorbed (a BatchNormalization, an activation...)
  std::vector<int> inputs;         // slots read
  int output = -1;                 // slot written
  std::function<Tensor(std::span<const Tensor* const>)> run;
  std::vector<int> release;        // slots no later step reads: freed after this step
  Shape shape;                     // of the output
  int64_t offset = -1;             // of the output's block in the arena, in floats; -1: a graph output
  double flops = 0;                // multiply-adds x 2 of a convolution; 0 for memory-bound steps
  double bytes = 0;                // read and written
  int in_place = -1;               // a slot read whose block the output may take if no later step reads it
};

struct Plan {
  std::vector<Shape> input_shapes;  // the shapes it was built for
  std::vector<int> input_slots;
  std::vector<Step> steps;
  std::vector<int> output_slots;
  int slot_count = 0;
  // Graph inputs a node reads as constants (a Conv's weight or Resize's scales given as an input), with
  // the values the plan was built for: it runs only inputs that hold the same.
  std::vector<std::pair<std::size_t, Tensor>> frozen_inputs;
  int64_t arena_floats = 0;           // what the layout needs
  std::unique_ptr<Pool<Tensor>> arenas = std::make_unique<Pool<Tensor>>();
  int64_t activation_floats = 0;      // all step outputs but the graph outputs, laid end to end
};

// Builds the plan for these inputs and runs it on them at the same time (what a node produces decides
// the shapes later nodes see). Returns the outputs, one per graph output.
std::vector<Tensor> build_plan(const Model& model, std::span<const Tensor* const> inputs, Plan& plan);
// Runs a plan built for inputs of the same shapes. outputs: one per graph output; an owning tensor of the
// output's shape is written in place (no allocation), any other is replaced by a new tensor. With
// step_ms, each step's time in milliseconds (one per step).
void run_plan(const Plan& plan, std::span<const Tensor* const> inputs, std::span<Tensor> outputs,
              std::vector<double>* step_ms = nullptr);

// A node's operands that may be constants (weights, a learned token) or computed: constants are
// captured as tensors, the others are its step's arguments, in order.
struct Operands {
  std::vector<std::shared_ptr<const Tensor>> constant;  // per operand: null when computed or absent
  std::vector<int> argument;                            // per operand: its argument index, or -1
  std::vector<std::string> slots;                       // the computed operands' names, for emit()

  const Tensor* get(std::span<const Tensor* const> x, std::size_t k) const {
    if (constant[k]) return constant[k].get();
    return argument[k] >= 0 ? x[static_cast<std::size_t>(argument[k])] : nullptr;
  }
};

// What node handlers see while the plan is built: each value is a constant or a slot holding the tensor
// that the current inputs give.
class Builder {
 public:
  using Fn = std::function<Tensor(std::span<const Tensor* const>)>;

  Builder(const Model& model, Plan& plan);

  bool is_const(const std::string& name) const;
  // Rejects an input computed from a graph input; a graph input itself is frozen into the plan.
  const Const& constant(const Node& node, std::size_t input) const;
  const Tensor& tensor(const Node& node, std::size_t input) const;   // rejects a constant input
  const Const& scalar(const Node& node, std::size_t input) const;   // a constant of one value
  // Inputs 0 .. count - 1, of which the first `required` must be present.
  Operands operands(const Node& node, std::size_t count, std::size_t required) const;
  void set_const(const std::string& name, Const value);
  void alias(const std::string& name, const std::string& existing);
  // Adds a step reading the slots of `inputs` (names of non-constant values), runs it, and binds its
  // result to `output`. in_place: the index in `inputs` of an operand of the output's shape that fn reads
  // at each output's offset before writing it there (a convolution's residual), so that the output may
  // take its memory when no later step reads it; -1 for none.
  void emit(const Node& node, const std::vector<std::string>& inputs, const std::string& output, Fn fn,
            int in_place = -1);

  // The node that alone reads `name`, if exactly one node does and `name` is no graph output; fusions
  // then absorb that node (its output becomes an alias).
  const Node* sole_consumer(const std::string& name) const;
  void absorb(const Node& node);
  bool absorbed(const Node& node) const;

  const Model& model() const { return model_; }
  std::vector<Tensor> take_outputs();
  void bind_input(const std::string& name, const Tensor& value);

 private:
  int slot_of(const Node& node, const std::string& name) const;
  void free_dead(const Node& node, const std::vector<int>& read);

  const Model& model_;
  Plan& plan_;
  mutable std::map<std::string, Const> consts_;  // constant() adds the graph inputs it freezes
  std::map<std::string, int> slots_;
  std::deque<Tensor> owned_;                // step results, per slot (a deque: pointers to them stay valid)
  std::vector<const Tensor*> values_;       // per slot: owned_ or a caller's input
  std::map<std::string, std::vector<const Node*>> consumers_;
  std::vector<const Node*> absorbed_;
  std::vector<std::string> fused_;  // absorbed since the last emit: the next step's
};

// One handler per op_type. Each registers its ops into the table (ops_*.cpp).
using Handler = std::function<void(Builder&, const Node&)>;
using HandlerTable = std::map<std::string, Handler>;
void register_shape_ops(HandlerTable& table);
void register_layer_ops(HandlerTable& table);
void register_tensor_ops(HandlerTable& table);
void register_resize_ops(HandlerTable& table);
void register_dense_ops(HandlerTable& table);
const HandlerTable& handlers();
// Rejects, at load, unsupported operators (all of them in one message) and the attributes that are
// wrong whatever the input shape (validate.cpp).
void validate(const Model& model);

// The constant path (ops_shape.cpp): whether every present input of `node` is a constant, and the
// node's outputs computed from them (for the ops that torch uses to compute shapes).
bool all_const(const Builder& builder, const Node& node);
void fold(Builder& builder, const Node& node);

// Shape rules shared by the constant and the tensor paths (ops_shape.cpp). `in` are a node's constant
// inputs (null where absent or not constant).
struct AxisRange;
std::vector<AxisRange> slice_ranges(const Node& n, const std::vector<int64_t>& dims,
                                    const std::vector<const Const*>& in, int64_t opset);
std::vector<int64_t> reshape_target(const Node& n, const std::vector<int64_t>& from, const std::vector<int64_t>& target);
std::vector<int64_t> unsqueezed_dims(const Node& n, const std::vector<int64_t>& from, std::vector<int64_t> axes);
std::vector<int64_t> squeezed_dims(const Node& n, const std::vector<int64_t>& from, const std::vector<int64_t>& axes);
// Padding (ops_tensor.cpp): per axis, the source index of each padded position (-1: the constant).
std::vector<int64_t> pad_sources(const Node& n, int64_t size, int64_t before, int64_t after, PaddingMode mode);
Tensor apply_pad(const Tensor& x, const std::vector<std::vector<int64_t>>& sources, float value);
std::vector<int64_t> squeeze_axes(const Node& n, const std::vector<const Const*>& in, int64_t opset);

}  // namespace strider::onnx
