#include "plan.hpp"

#include <algorithm>
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
  for (std::size_t i = 0; i < model_.inputs.size() && !consts_.count(*name); ++i) {
    if (model_.inputs[i].name != *name) continue;
    const Tensor& value = *values_[static_cast<std::size_t>(slots_.at(*name))];
    std::vector<float> values(value.values().begin(), value.values().end());
    consts_[*name] = make_floats(std::vector<int64_t>(value.shape().begin(), value.shape().end()), values);
    plan_.frozen_inputs.push_back({i, std::move(values)});
  }
  const auto it = consts_.find(*name);
  check(it != consts_.end(), node.label(), ": input ", input, " ('", *name,
        "') must be a constant or computable from the input shape alone");
  return it->second;
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

void Builder::emit(const Node& node, const std::vector<std::string>& inputs, const std::string& output, Fn fn) {
  Step step{node.label(), {}, plan_.slot_count++, std::move(fn), {}};
  std::vector<const Tensor*> args;
  for (const std::string& name : inputs) {
    step.inputs.push_back(slot_of(node, name));
    args.push_back(values_[static_cast<std::size_t>(step.inputs.back())]);
  }
  owned_.push_back(step.run(args));
  values_.push_back(&owned_.back());
  slots_[output] = step.output;
  plan_.steps.push_back(std::move(step));
}

const Node* Builder::sole_consumer(const std::string& name) const {
  if (std::find(model_.outputs.begin(), model_.outputs.end(), name) != model_.outputs.end()) return nullptr;
  const auto it = consumers_.find(name);
  return it != consumers_.end() && it->second.size() == 1 ? it->second.front() : nullptr;
}

void Builder::absorb(const Node& node) { absorbed_.push_back(&node); }

bool Builder::absorbed(const Node& node) const {
  return std::find(absorbed_.begin(), absorbed_.end(), &node) != absorbed_.end();
}

std::vector<Tensor> Builder::take_outputs() {
  std::vector<Tensor> out;
  for (const std::string& name : model_.outputs) {
    const auto it = slots_.find(name);
    check(it != slots_.end(), "output '", name, "' does not depend on the input (a constant output is not supported)");
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

// Frees each slot after the last step that reads it (never an input or an output).
void plan_releases(Plan& plan) {
  std::vector<int> last(static_cast<std::size_t>(plan.slot_count), -1);
  for (std::size_t i = 0; i < plan.steps.size(); ++i)
    for (int s : plan.steps[i].inputs) last[static_cast<std::size_t>(s)] = static_cast<int>(i);
  for (int s : plan.input_slots) last[static_cast<std::size_t>(s)] = -1;
  for (int s : plan.output_slots) last[static_cast<std::size_t>(s)] = -1;
  for (std::size_t s = 0; s < last.size(); ++s)
    if (last[s] >= 0) plan.steps[static_cast<std::size_t>(last[s])].release.push_back(static_cast<int>(s));
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
  plan_releases(plan);
  return outputs;
}

std::vector<Tensor> run_plan(const Plan& plan, std::span<const Tensor* const> inputs) {
  std::vector<Tensor> owned(static_cast<std::size_t>(plan.slot_count));
  std::vector<const Tensor*> values(static_cast<std::size_t>(plan.slot_count), nullptr);
  for (std::size_t i = 0; i < inputs.size(); ++i) values[static_cast<std::size_t>(plan.input_slots[i])] = inputs[i];
  std::vector<const Tensor*> args;
  for (const Step& step : plan.steps) {
    args.clear();
    for (int s : step.inputs) args.push_back(values[static_cast<std::size_t>(s)]);
    const auto out = static_cast<std::size_t>(step.output);
    owned[out] = step.run(args);
    values[out] = &owned[out];
    for (int s : step.release) owned[static_cast<std::size_t>(s)] = Tensor();
  }
  std::vector<Tensor> outputs;
  for (int s : plan.output_slots) {
    const auto k = static_cast<std::size_t>(s);
    // Two outputs may share a slot, and an output may be an input: only the first owner moves.
    outputs.push_back(owned[k].defined() && std::count(plan.output_slots.begin(), plan.output_slots.end(), s) == 1
                          ? std::move(owned[k])
                          : values[k]->clone());
  }
  return outputs;
}

}  // namespace strider::onnx
