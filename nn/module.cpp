#include "module.hpp"

#include <algorithm>
#include <ostream>
#include <set>
#include <sstream>

namespace strider::nn {

// A state_dict entry found while walking the tree: its dotted name and the module that owns it.
struct Module::Slot {
  std::string key;
  const Module* owner;
  StateEntry entry;
};

void Module::check_child_name(const std::string& name) const {
  check(!name.empty() && name.find('.') == std::string::npos, type_name(),
        ": a child's name must be non-empty and contain no '.', but got '", name, "'");
  for (const auto& [existing, child] : children_)
    check(existing != name, type_name(), ": a child named '", name, "' is already registered");
}

void Module::set_state(const std::string& name, Tensor) {
  fail(type_name(), ": set_state of an unknown entry '", name, "'");
}

void Module::replace_child(std::size_t index, std::unique_ptr<Module> module) {
  check(index < children_.size(), type_name(), ": child index ", index, " is out of range for ", children_.size(),
        " children");
  children_[index].second = std::move(module);
}

const Module& Module::child(std::size_t index) const {
  check(index < children_.size(), type_name(), ": child index ", index, " is out of range for ", children_.size(),
        " children");
  return *children_[index].second;
}

std::vector<std::pair<std::string, const Module*>> Module::named_children() const {
  std::vector<std::pair<std::string, const Module*>> out;
  for (const auto& [name, child] : children_) out.emplace_back(name, child.get());
  return out;
}

std::vector<std::pair<std::string, Module*>> Module::named_children() {
  std::vector<std::pair<std::string, Module*>> out;
  for (auto& [name, child] : children_) out.emplace_back(name, child.get());
  return out;
}

// PyTorch's order: a module's own entries first, then each child's, depth first.
void Module::collect(const std::string& prefix, std::vector<Slot>& slots, std::vector<std::string>& ignored) const {
  for (StateEntry& e : own_state()) slots.push_back({prefix + e.name, this, std::move(e)});
  for (const std::string& name : ignored_state()) ignored.push_back(prefix + name);
  for (auto& [name, child] : children_) child->collect(prefix + name + ".", slots, ignored);
}

std::vector<std::pair<std::string, const Tensor*>> Module::named_parameters() const {
  std::vector<Slot> slots;
  std::vector<std::string> ignored;
  collect("", slots, ignored);
  std::vector<std::pair<std::string, const Tensor*>> out;
  for (const Slot& s : slots)
    if (!s.entry.buffer) out.emplace_back(s.key, s.entry.value);
  return out;
}

StateDict Module::state_dict() const {
  std::vector<Slot> slots;
  std::vector<std::string> ignored;
  collect("", slots, ignored);
  StateDict out;
  for (const Slot& s : slots) out.emplace(s.key, s.entry.value->view(s.entry.value->shape()));
  return out;
}

LoadResult Module::load_state_dict(const StateDict& state, bool strict) { return load(state, nullptr, strict); }

LoadResult Module::load_state_dict(const Safetensors& file, bool strict) {
  return load(file.tensors, &file.unsupported, strict);
}

namespace {

std::string quoted_list(const std::vector<std::string>& keys) {
  std::string out;
  for (const std::string& k : keys) out += (out.empty() ? "\"" : ", \"") + k + "\"";
  return out;
}

std::string shape_str(const std::vector<int64_t>& dims) {
  std::string out = "[";
  for (std::size_t i = 0; i < dims.size(); ++i) out += (i ? ", " : "") + std::to_string(dims[i]);
  return out + "]";
}

}  // namespace

LoadResult Module::load(const StateDict& state, const std::map<std::string, UnsupportedTensor>* unsupported,
                        bool strict) {
  std::vector<Slot> slots;
  std::vector<std::string> ignored;
  collect("", slots, ignored);
  const std::set<std::string> ignored_keys(ignored.begin(), ignored.end());

  LoadResult result;
  std::vector<std::string> errors;  // shape and dtype problems: reported even when not strict
  std::set<std::string> used;
  for (const Slot& s : slots) {
    used.insert(s.key);
    const Shape& expected = s.entry.value->shape();
    if (const auto it = state.find(s.key); it != state.end()) {
      if (it->second.shape() != expected)
        errors.push_back("size mismatch for " + s.key + ": copying a param with shape " + it->second.shape().str() +
                         " from checkpoint, the shape in current model is " + expected.str() + ".");
    } else if (unsupported && unsupported->count(s.key)) {
      const UnsupportedTensor& bad = unsupported->at(s.key);
      errors.push_back("unsupported tensor for " + s.key + ": " + bad.dtype + " " + shape_str(bad.shape) + ", " +
                       bad.reason + ".");
    } else {
      result.missing_keys.push_back(s.key);
    }
  }
  const auto unexpected = [&](const std::string& key) {
    if (!used.count(key) && !ignored_keys.count(key)) result.unexpected_keys.push_back(key);
  };
  for (const auto& [key, tensor] : state) unexpected(key);
  if (unsupported)
    for (const auto& [key, entry] : *unsupported) unexpected(key);
  std::sort(result.unexpected_keys.begin(), result.unexpected_keys.end());

  // PyTorch's order: missing, unexpected, then the per-key problems.
  std::vector<std::string> head;
  if (strict && !result.missing_keys.empty())
    head.push_back("Missing key(s) in state_dict: " + quoted_list(result.missing_keys) + ".");
  if (strict && !result.unexpected_keys.empty())
    head.push_back("Unexpected key(s) in state_dict: " + quoted_list(result.unexpected_keys) + ".");
  errors.insert(errors.begin(), head.begin(), head.end());
  if (!errors.empty()) {
    std::string message = "Error(s) in loading state_dict for " + type_name() + ":";
    for (const std::string& e : errors) message += "\n\t" + e;
    fail(message);
  }
  // The owners are this module's descendants, reached from non-const `this`: not const objects.
  for (const Slot& s : slots)
    if (const auto it = state.find(s.key); it != state.end())
      const_cast<Module*>(s.owner)->set_state(s.entry.name, it->second.clone());
  return result;
}

namespace {

// PyTorch's _addindent: every line but the first indented by two spaces.
std::string indent(const std::string& text) {
  std::string out;
  for (char c : text) {
    out += c;
    if (c == '\n') out += "  ";
  }
  return out;
}

}  // namespace

std::string Module::repr() const {
  std::vector<std::string> lines;
  const std::string extra = extra_repr();
  if (!extra.empty()) lines.push_back(extra);
  for (const auto& [name, child] : children_) lines.push_back("(" + name + "): " + indent(child->repr()));
  std::string out = type_name() + "(";
  if (lines.size() == 1 && children_.empty()) {
    out += lines[0];
  } else if (!lines.empty()) {
    for (const std::string& line : lines) out += "\n  " + line;
    out += "\n";
  }
  return out + ")";
}

std::ostream& operator<<(std::ostream& os, const Module& module) { return os << module.repr(); }

Tensor Sequential::forward(const Tensor& input) const {
  if (size() == 0) return input.clone();
  auto workspace = workspaces_->take();
  std::array<Tensor, 2>& buffers = workspace->buffers;  // named references: clang 14 cannot capture bindings
  std::vector<int64_t>& numels = workspace->numels;
  numels.resize(size(), -1);
  const auto inside = [](const Tensor& t, const Tensor& memory) {
    return memory.defined() && t.data() >= memory.data() && t.data() < memory.data() + memory.numel();
  };
  Tensor x;
  for (std::size_t i = 0; i < size(); ++i) {
    const bool last = i + 1 == size();
    Tensor& buffer = buffers[i % 2];
    float* memory = nullptr;
    if (!last && numels[i] >= 0) {
      reserve_arena(buffer, arena_floats(numels[i]));
      memory = buffer.data();
    }
    x = run_in_slot(memory, numels[i], [&] {
      Tensor y = child(i)(i == 0 ? input : x);
      // A view of another tensor's memory (a child returning its input reshaped) would be overwritten
      // two children later, or freed with x: copy it. The last output leaves, so not from the buffers
      // either (it may be a view of an enclosing Sequential's slot).
      if (!y.owns_data() && (last ? inside(y, x) || inside(y, buffers[0]) || inside(y, buffers[1])
                                  : y.data() != buffer.data()))
        y = y.clone();
      return y;
    });
    numels[i] = x.numel();
  }
  return x;
}

}  // namespace strider::nn
