#include "onnx_model.hpp"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <iterator>
#include <limits>
#include <mutex>
#include <string>

#include <tbb/task_arena.h>

#include "../core/check.hpp"
#include "../core/files.hpp"
#include "../core/parallel.hpp"
#include "model.hpp"
#include "plan.hpp"

namespace strider {

// The plans of the last few input shapes. Each entry is built once, under its own lock (callers with
// other shapes go on meanwhile); an entry in use stays alive after its eviction.
class OnnxModel::PlanCache {
 public:
  static constexpr std::size_t capacity = 8;
  struct Entry {
    std::vector<Shape> shapes;
    std::mutex build;
    std::shared_ptr<const onnx::Plan> plan;  // null until built
    uint64_t used = 0;
  };

  std::shared_ptr<Entry> entry(std::vector<Shape> shapes) {
    std::lock_guard lock(mutex_);
    auto it = std::find_if(entries_.begin(), entries_.end(), [&](const auto& e) { return e->shapes == shapes; });
    if (it == entries_.end()) {
      if (entries_.size() == capacity)
        entries_.erase(std::min_element(entries_.begin(), entries_.end(),
                                        [](const auto& a, const auto& b) { return a->used < b->used; }));
      entries_.push_back(std::make_shared<Entry>());
      entries_.back()->shapes = std::move(shapes);
      it = std::prev(entries_.end());
    }
    (*it)->used = ++clock_;
    return *it;
  }
  void set_last(std::shared_ptr<const onnx::Plan> plan) {
    std::lock_guard lock(mutex_);
    last_ = std::move(plan);
  }
  std::shared_ptr<const onnx::Plan> last() const {
    std::lock_guard lock(mutex_);
    return last_;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<std::shared_ptr<Entry>> entries_;
  uint64_t clock_ = 0;
  std::shared_ptr<const onnx::Plan> last_;
};

namespace {

TensorInfo info_of(const onnx::ValueInfo& v) { return {v.name, v.dims, v.type}; }

std::string declared(const std::vector<int64_t>& dims) {
  std::string out;
  for (int64_t d : dims) out += (out.empty() ? "" : ", ") + (d < 0 ? "?" : std::to_string(d));
  return "[" + out + "]";
}

// Whether the inputs hold the values the plan froze (bitwise).
bool holds_frozen(const onnx::Plan& plan, std::span<const Tensor* const> inputs) {
  return std::all_of(plan.frozen_inputs.begin(), plan.frozen_inputs.end(), [&](const auto& frozen) {
    const Tensor& x = *inputs[frozen.first];
    return x.shape() == frozen.second.shape() &&
           std::memcmp(x.data(), frozen.second.data(), sizeof(float) * static_cast<std::size_t>(x.numel())) == 0;
  });
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

}  // namespace

OnnxModel::OnnxModel(onnx::Model model)
    : model_(std::make_unique<const onnx::Model>(std::move(model))), plans_(std::make_unique<PlanCache>()) {
  onnx::validate(*model_);
  std::transform(model_->inputs.begin(), model_->inputs.end(), std::back_inserter(inputs_), info_of);
  std::transform(model_->outputs.begin(), model_->outputs.end(), std::back_inserter(outputs_), info_of);
}

OnnxModel::OnnxModel(OnnxModel&&) noexcept = default;
OnnxModel& OnnxModel::operator=(OnnxModel&&) noexcept = default;
OnnxModel::~OnnxModel() = default;

Tensor OnnxModel::run(const Tensor& input) const {
  check(inputs_.size() == 1 && outputs_.size() == 1, "run(input): the model has ", inputs_.size(), " inputs and ",
        outputs_.size(), " outputs; use run(inputs)");
  const Tensor* inputs[] = {&input};
  return std::move(run(inputs).front());
}

std::vector<Tensor> OnnxModel::run(std::span<const Tensor* const> inputs) const {
  std::vector<Tensor> outputs(outputs_.size());
  run(inputs, outputs);
  return outputs;
}

std::map<std::string, Tensor> OnnxModel::run(const std::map<std::string, Tensor>& inputs) const {
  std::vector<const Tensor*> ordered;
  for (const TensorInfo& info : inputs_) {
    const auto it = inputs.find(info.name);
    check(it != inputs.end(), "run: input '", info.name, "' is missing");
    ordered.push_back(&it->second);
  }
  for (const auto& given : inputs) {
    const std::string& name = given.first;  // not a structured binding: clang 14 cannot capture those
    check(std::any_of(inputs_.begin(), inputs_.end(), [&](const TensorInfo& i) { return i.name == name; }),
          "run: the model has no input named '", name, "'");
  }
  std::vector<Tensor> results = run(ordered);
  std::map<std::string, Tensor> out;
  for (std::size_t k = 0; k < outputs_.size(); ++k) out.emplace(outputs_[k].name, std::move(results[k]));
  return out;
}

std::shared_ptr<const onnx::Plan> OnnxModel::plan_for(std::span<const Tensor* const> inputs,
                                                       std::span<Tensor> outputs, bool& ran) const {
  check(inputs.size() == inputs_.size(), "the model has ", inputs_.size(), " inputs, but got ", inputs.size());
  check(outputs.size() == outputs_.size(), "the model has ", outputs_.size(), " outputs, but got ", outputs.size(),
        " output tensors");
  std::vector<Shape> shapes;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const TensorInfo& info = inputs_[i];
    const Shape& shape = inputs[i]->shape();
    // Any real-valued input arrives as float32: an int64 one (axes, a shape given as an input) as floats
    // holding its integers, a float64 one rounded.
    check(info.type != "string" && info.type.rfind("complex", 0) != 0 && info.type.rfind("type ", 0) != 0,
          "input '", info.name, "' is ", info.type, ": Strider feeds real-valued tensors, as float32");
    bool matches = info.dims.empty() || info.dims.size() == static_cast<std::size_t>(shape.rank());
    for (std::size_t k = 0; matches && !any_input_size_ && k < info.dims.size(); ++k)
      matches = info.dims[k] < 0 || info.dims[k] == shape[static_cast<int>(k)];
    check(matches, "input '", info.name, "' has shape ", shape, ", but the model declares ", declared(info.dims));
    shapes.push_back(shape);
  }
  const auto entry = plans_->entry(std::move(shapes));
  std::lock_guard build(entry->build);
  ran = !entry->plan || !holds_frozen(*entry->plan, inputs);
  if (ran) {
    auto plan = std::make_shared<onnx::Plan>();
    std::vector<Tensor> results;
    // Isolated: while this thread waits for the build's tasks it must not pick up a task of the
    // caller's that calls run() with the same shape: it would wait for the lock this thread holds.
    tbb::this_task_arena::isolate([&] { results = onnx::build_plan(*model_, inputs, *plan); });
    for (std::size_t k = 0; k < outputs.size(); ++k) {
      if (outputs[k].owns_data() && outputs[k].shape() == results[k].shape())
        std::copy(results[k].values().begin(), results[k].values().end(), outputs[k].data());
      else outputs[k] = std::move(results[k]);
    }
    entry->plan = std::move(plan);
  }
  plans_->set_last(entry->plan);
  return entry->plan;
}

void OnnxModel::run(std::span<const Tensor* const> inputs, std::span<Tensor> outputs) const {
  const auto go = [&] {
    bool ran = false;
    const auto plan = plan_for(inputs, outputs, ran);
    if (!ran) onnx::run_plan(*plan, inputs, outputs);
  };
  if (pool_) pool_->run(go);
  else go();
}

RunProfile OnnxModel::profile(std::span<const Tensor* const> inputs, int runs) const {
  check(runs >= 1, "profile: runs must be at least 1, but got ", runs);
  std::vector<Tensor> outputs(outputs_.size());
  run(inputs, outputs);  // builds the plan, warms the arena and the outputs
  bool ran = false;
  const auto plan = plan_for(inputs, outputs, ran);
  std::vector<std::vector<double>> step_ms(plan->steps.size());
  std::vector<double> total_ms, ms;
  for (int r = 0; r < runs; ++r) {
    const auto start = std::chrono::steady_clock::now();
    if (pool_) pool_->run([&] { onnx::run_plan(*plan, inputs, outputs, &ms); });
    else onnx::run_plan(*plan, inputs, outputs, &ms);
    total_ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
    for (std::size_t i = 0; i < ms.size(); ++i) step_ms[i].push_back(ms[i]);
  }
  RunProfile p;
  p.runs = runs;
  p.median_ms = median(total_ms);
  p.arena_bytes = plan->arena_floats * static_cast<int64_t>(sizeof(float));
  p.activation_bytes = plan->activation_floats * static_cast<int64_t>(sizeof(float));
  double sum = 0;
  for (std::size_t i = 0; i < plan->steps.size(); ++i) {
    const onnx::Step& s = plan->steps[i];
    p.nodes.push_back({s.label, s.fused, median(step_ms[i]), 0, s.flops, s.bytes});
    sum += p.nodes.back().median_ms;
  }
  for (NodeProfile& n : p.nodes) n.share = sum > 0 ? n.median_ms / sum : 0;
  std::stable_sort(p.nodes.begin(), p.nodes.end(),
                   [](const NodeProfile& a, const NodeProfile& b) { return a.median_ms > b.median_ms; });
  return p;
}

void OnnxModel::set_thread_pool(std::shared_ptr<ThreadPool> pool) { pool_ = std::move(pool); }

int64_t OnnxModel::opset() const { return model_->opset; }

std::vector<std::string> OnnxModel::plan() const {
  std::vector<std::string> lines;
  if (const auto last = plans_->last())
    for (const onnx::Step& step : last->steps) lines.push_back(step.label);
  return lines;
}

OnnxModel parse_onnx(std::string_view bytes, std::string_view name) {
  return OnnxModel(onnx::parse_model(bytes, name));
}

OnnxModel load_onnx(const std::filesystem::path& path) {
  constexpr std::string_view context = "load_onnx: cannot open";
  const std::uintmax_t size = regular_file_size(path, context);
  // Checked before reading: parse_onnx rejects it too, after the whole file is in memory.
  check(size < static_cast<std::uintmax_t>(std::numeric_limits<int>::max()), path.string(),
        ": larger than protobuf's 2 GB limit");
  return parse_onnx(read_file(path, size, context), path.string());
}

}  // namespace strider
