#include "plan.hpp"

#include <algorithm>
#include <chrono>
#include <stdexcept>

#include "../core/check.hpp"

namespace strider::onnx {

Builder::Builder(const Model& model, Plan& plan) : model_(model), plan_(plan), consts_(model.initializers) {
  for (const Node& node : model.nodes)
    for (const std::string& in : node.inputs)
      if (!in.empty()) consumers_[in].push_back(&node);
}

bool Builder::is_const(const std::string& name) const { return consts_.count(name) != 0; }

const Const& Builder::constant(const Node& node, std::size_t input) const {
  const auto name = node.input(input);
  check(name.has_value(), node.label(), ": input ", input, " is required");
  if (const auto it = consts_.find(*name); it != consts_.end()) return it->second;
  // A graph input where a constant is needed (the weight of a model exported with export_params=False):
  // the plan bakes its current value in, and is only reused for inputs holding the same values.
  const auto slot = slots_.find(*name);
  const auto k = slot == slots_.end() ? plan_.input_slots.end()
                                      : std::find(plan_.input_slots.begin(), plan_.input_slots.end(), slot->second);
  check(k != plan_.input_slots.end(), node.label(), ": input ", input, " ('", *name,
        "') must be a constant, a graph input, or computable from the input shape alone");
  const Tensor& value = *values_[static_cast<std::size_t>(slot->second)];
  plan_.frozen_inputs.emplace_back(k - plan_.input_slots.begin(), value.clone());
  const Shape& shape = value.shape();
  return consts_[*name] = make_floats({shape.begin(), shape.end()}, {value.values().begin(), value.values().end()});
}

const Const& Builder::scalar(const Node& node, std::size_t input) const {
  const Const& c = constant(node, input);
  check(c.numel() == 1, node.label(), ": input ", input, " ('", *node.input(input), "') must be a scalar, but got ",
        c.describe());
  return c;
}

int Builder::slot_of(const Node& node, const std::string& name) const {
  const auto it = slots_.find(name);
  check(it != slots_.end(), node.label(), ": input '", name, "' must be a tensor computed from the model input");
  return it->second;
}

const Tensor& Builder::tensor(const Node& node, std::size_t input) const {
  const auto name = node.input(input);
  check(name.has_value(), node.label(), ": input ", input, " is required");
  return *values_[static_cast<std::size_t>(slot_of(node, *name))];
}

Operands Builder::operands(const Node& node, std::size_t count, std::size_t required) const {
  Operands o{std::vector<std::shared_ptr<const Tensor>>(count), std::vector<int>(count, -1), {}};
  for (std::size_t k = 0; k < count; ++k) {
    check(k >= required || node.input(k), node.label(), ": input ", k, " is required");
    if (!node.input(k)) continue;
    if (is_const(node.inputs[k])) {
      o.constant[k] = std::make_shared<const Tensor>(constant(node, k).to_tensor(node.label()));
    } else {
      o.argument[k] = static_cast<int>(o.slots.size());
      o.slots.push_back(node.inputs[k]);
    }
  }
  return o;
}

void Builder::set_const(const std::string& name, Const value) { consts_[name] = std::move(value); }

void Builder::alias(const std::string& name, const std::string& existing) {
  if (const auto c = consts_.find(existing); c != consts_.end()) consts_[name] = c->second;
  else slots_[name] = slots_.at(existing);
}

void Builder::bind_input(const std::string& name, const Tensor& value) {
  const int slot = plan_.slot_count++;
  slots_[name] = slot;
  owned_.emplace_back();
  values_.push_back(&value);
  plan_.input_slots.push_back(slot);
  plan_.input_shapes.push_back(value.shape());
}

namespace {

// The arithmetic of a convolution (2 x multiply-adds, bias and epilogue aside), for the profiler's
// GFLOP/s; 0 for every other step, which the profiler rates in GB/s.
double conv_flops(const Builder& b, const Node& node, const Tensor& in, const Tensor& out) {
  if ((node.op != "Conv" && node.op != "ConvTranspose") || !node.input(1) || !b.is_const(*node.input(1))) return 0;
  const Const& w = b.constant(node, 1);
  double taps = 1;
  for (std::size_t k = 1; k < w.dims.size(); ++k) taps *= static_cast<double>(w.dims[k]);
  // Conv: every output reads Cin/groups x kernel inputs; ConvTranspose: every input feeds Cout/groups x kernel.
  return 2 * taps * static_cast<double>(node.op == "Conv" ? out.numel() : in.numel());
}

}  // namespace

void Builder::emit(const Node& node, const std::vector<std::string>& inputs, const std::string& output, Fn fn,
                   int in_place) {
  Step step{node.label(), std::move(fused_), {}, plan_.slot_count++, std::move(fn), {}, {}, -1, 0, 0};
  fused_.clear();
  std::vector<const Tensor*> args;
  for (const std::string& name : inputs) {
    step.inputs.push_back(slot_of(node, name));
    args.push_back(values_[static_cast<std::size_t>(step.inputs.back())]);
  }
  Tensor result = step.run(args);
  // A view of another slot's memory would outlive that slot's block (run_plan does the same).
  if (!result.owns_data()) result = result.clone();
  step.shape = result.shape();
  if (in_place >= 0) {
    const auto k = static_cast<std::size_t>(in_place);
    // Not when another operand reads the same slot (x + conv(x): the convolution's input).
    if (std::count(step.inputs.begin(), step.inputs.end(), step.inputs[k]) == 1 && args[k]->shape() == step.shape)
      step.in_place = step.inputs[k];
  }
  step.bytes = 4.0 * static_cast<double>(result.numel());
  for (const Tensor* arg : args) step.bytes += 4.0 * static_cast<double>(arg->numel());
  step.flops = args.empty() ? 0 : conv_flops(*this, node, *args.front(), result);
  owned_.push_back(std::move(result));
  values_.push_back(&owned_.back());
  slots_[output] = step.output;
  free_dead(node, step.inputs);
  plan_.steps.push_back(std::move(step));
}

// The building run keeps a step's result only while a later node reads it under some name: its
// memory peak is that of the live activations, as a plan's run.
void Builder::free_dead(const Node& node, const std::vector<int>& read) {
  const auto index = [&](const Node* n) { return n - model_.nodes.data(); };
  for (int slot : read) {
    bool alive = false;
    for (const auto& [value, s] : slots_) {
      if (s != slot) continue;
      const std::string& name = value;  // captured below: clang 14 cannot capture a structured binding
      const auto it = consumers_.find(name);
      alive = alive || (it != consumers_.end() && index(it->second.back()) > index(&node)) ||
              std::any_of(model_.outputs.begin(), model_.outputs.end(), [&](const ValueInfo& o) { return o.name == name; });
    }
    if (!alive) owned_[static_cast<std::size_t>(slot)] = Tensor();
  }
}

const Node* Builder::sole_consumer(const std::string& name) const {
  for (const ValueInfo& out : model_.outputs)
    if (out.name == name) return nullptr;
  const auto it = consumers_.find(name);
  return it != consumers_.end() && it->second.size() == 1 ? it->second.front() : nullptr;
}

void Builder::absorb(const Node& node) {
  absorbed_.push_back(&node);
  fused_.push_back(node.label());
}

bool Builder::absorbed(const Node& node) const {
  return std::find(absorbed_.begin(), absorbed_.end(), &node) != absorbed_.end();
}

std::vector<Tensor> Builder::take_outputs() {
  std::vector<Tensor> out;
  for (const ValueInfo& info : model_.outputs) {
    const auto it = slots_.find(info.name);
    check(it != slots_.end(), "output '", info.name,
          "' does not depend on the input (a constant output is not supported)");
    const auto s = static_cast<std::size_t>(it->second);
    plan_.output_slots.push_back(it->second);
    out.push_back(owned_[s].defined() ? owned_[s].clone() : values_[s]->clone());
  }
  return out;
}

const HandlerTable& handlers() {
  static const HandlerTable table = [] {
    HandlerTable t;
    register_shape_ops(t);
    register_layer_ops(t);
    register_tensor_ops(t);
    register_resize_ops(t);
    register_dense_ops(t);
    return t;
  }();
  return table;
}

namespace {

// Frees each slot after the last step that reads it (never an input or an output), and gives every step
// output that is not a graph output a block in the arena. Blocks are placed largest first, each at the
// lowest offset where it overlaps no placed block whose tensor is alive at the same time (the greedy
// "by size" layout of TFLite's arena planner): the arena is about the largest set of live activations.
void plan_memory(Plan& plan) {
  const auto slots = static_cast<std::size_t>(plan.slot_count);
  std::vector<int> last(slots, -1);
  for (std::size_t i = 0; i < plan.steps.size(); ++i)
    for (int s : plan.steps[i].inputs) last[static_cast<std::size_t>(s)] = static_cast<int>(i);
  std::vector<bool> output(slots, false);
  for (int s : plan.input_slots) last[static_cast<std::size_t>(s)] = -1;
  for (int s : plan.output_slots) last[static_cast<std::size_t>(s)] = -1, output[static_cast<std::size_t>(s)] = true;
  for (std::size_t s = 0; s < last.size(); ++s)
    if (last[s] >= 0) plan.steps[static_cast<std::size_t>(last[s])].release.push_back(static_cast<int>(s));

  struct Block {
    int first, last;  // steps between which its tensors are alive
    int64_t floats, offset;
    std::vector<Step*> steps;  // whose outputs it holds, one after the other
  };
  std::vector<Block> blocks;
  std::vector<int> block_of(slots, -1);
  for (std::size_t i = 0; i < plan.steps.size(); ++i) {
    Step& step = plan.steps[i];
    const auto s = static_cast<std::size_t>(step.output);
    if (output[s]) continue;
    const int first = static_cast<int>(i), alive_to = std::max(first, last[s]);
    plan.activation_floats += arena_floats(step.shape.numel());
    // An output written over an operand (Step::in_place) that no later step reads takes its block, which
    // then holds both tensors, one after the other.
    const int reused = step.in_place >= 0 && last[static_cast<std::size_t>(step.in_place)] == first
                           ? block_of[static_cast<std::size_t>(step.in_place)]
                           : -1;
    if (reused >= 0) {
      Block& b = blocks[static_cast<std::size_t>(reused)];
      b.last = alive_to;
      b.steps.push_back(&step);
      block_of[s] = reused;
      continue;
    }
    block_of[s] = static_cast<int>(blocks.size());
    blocks.push_back({first, alive_to, arena_floats(step.shape.numel()), 0, {&step}});
  }
  std::stable_sort(blocks.begin(), blocks.end(), [](const Block& a, const Block& b) { return a.floats > b.floats; });
  int64_t size = 0;
  for (std::size_t k = 0; k < blocks.size(); ++k) {
    Block& b = blocks[k];
    std::vector<const Block*> alive;  // placed blocks alive with b, by offset
    for (std::size_t j = 0; j < k; ++j)
      if (blocks[j].first <= b.last && b.first <= blocks[j].last) alive.push_back(&blocks[j]);
    std::sort(alive.begin(), alive.end(), [](const Block* x, const Block* y) { return x->offset < y->offset; });
    for (const Block* a : alive) {
      if (a->offset >= b.offset + b.floats) break;  // b fits in the gap before a
      b.offset = std::max(b.offset, a->offset + a->floats);
    }
    for (Step* step : b.steps) step->offset = b.offset;
    size = std::max(size, b.offset + b.floats);
  }
  plan.arena_floats = size;
}

}  // namespace

std::vector<Tensor> build_plan(const Model& model, std::span<const Tensor* const> inputs, Plan& plan) {
  plan = Plan{};
  Builder builder(model, plan);
  check(inputs.size() == model.inputs.size(), "the model has ", model.inputs.size(), " inputs, but got ",
        inputs.size());
  for (std::size_t i = 0; i < inputs.size(); ++i) builder.bind_input(model.inputs[i].name, *inputs[i]);
  for (const Node& node : model.nodes) {
    if (builder.absorbed(node)) continue;
    const auto handler = handlers().find(node.op);
    check(handler != handlers().end(), node.label(), ": operator ", node.op, " is not supported");
    try {
      handler->second(builder, node);
    } catch (const std::invalid_argument& e) {
      const std::string what = e.what();
      if (what.rfind(node.label(), 0) == 0) throw;
      fail(node.label(), ": ", what);  // an operator's own message: say which node raised it
    } catch (const std::out_of_range&) {
      // A handler read an input, output or attribute index the node does not have (an Add with one input).
      fail(node.label(), ": has ", node.inputs.size(), " inputs and ", node.outputs.size(),
           " outputs, fewer than ", node.op, " requires");
    }
  }
  std::vector<Tensor> outputs = builder.take_outputs();
  plan_memory(plan);
  return outputs;
}

void run_plan(const Plan& plan, std::span<const Tensor* const> inputs, std::span<Tensor> outputs,
              std::vector<double>* step_ms) {
  check(outputs.size() == plan.output_slots.size(), "the model has ", plan.output_slots.size(),
        " outputs, but got ", outputs.size(), " output tensors");
  Pool<Tensor>::Lease arena = plan.arenas->take();
  if (!arena->defined()) *arena = make_arena(plan.arena_floats);
  std::vector<Tensor> owned(static_cast<std::size_t>(plan.slot_count));
  std::vector<const Tensor*> values(static_cast<std::size_t>(plan.slot_count), nullptr);
  for (std::size_t i = 0; i < inputs.size(); ++i) values[static_cast<std::size_t>(plan.input_slots[i])] = inputs[i];
  // A graph output goes straight into the caller's tensor when it owns memory of the right shape (a view
  // lacks the slack that later steps reading it may over-read).
  std::vector<float*> destination(static_cast<std::size_t>(plan.slot_count), nullptr);
  for (std::size_t k = 0; k < outputs.size(); ++k) {
    const Step* step = nullptr;
    for (const Step& s : plan.steps) step = s.output == plan.output_slots[k] ? &s : step;
    if (step != nullptr && outputs[k].owns_data() && outputs[k].shape() == step->shape)
      destination[static_cast<std::size_t>(step->output)] = outputs[k].data();
  }
  if (step_ms) step_ms->assign(plan.steps.size(), 0.0);
  std::vector<const Tensor*> args;
  for (std::size_t i = 0; i < plan.steps.size(); ++i) {
    const Step& step = plan.steps[i];
    args.clear();
    for (int s : step.inputs) args.push_back(values[static_cast<std::size_t>(s)]);
    const auto out = static_cast<std::size_t>(step.output);
    float* block = step.offset >= 0 ? arena->data() + step.offset : destination[out];
    const auto start = std::chrono::steady_clock::now();
    owned[out] = run_in_slot(block, step.shape.numel(), [&] {
      Tensor y = step.run(args);
      return !y.owns_data() && y.data() != block ? y.clone() : std::move(y);
    });
    if (step_ms) (*step_ms)[i] = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    values[out] = &owned[out];
    for (int s : step.release) owned[static_cast<std::size_t>(s)] = Tensor();
  }
  for (std::size_t k = 0; k < outputs.size(); ++k) {
    const auto s = static_cast<std::size_t>(plan.output_slots[k]);
    const Tensor& value = *values[s];
    if (outputs[k].owns_data() && outputs[k].shape() == value.shape()) {
      if (outputs[k].data() != value.data()) std::copy(value.values().begin(), value.values().end(), outputs[k].data());
    } else if (owned[s].owns_data() && std::count(plan.output_slots.begin(), plan.output_slots.end(), s) == 1) {
      outputs[k] = std::move(owned[s]);  // two outputs may share a slot: only the first owner moves
    } else {
      outputs[k] = value.clone();
    }
  }
}

}  // namespace strider::onnx
