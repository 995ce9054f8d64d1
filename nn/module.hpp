#pragma once
// Modules shaped like torch.nn: a C++ model mirrors its Python class line by line, so that its
// state_dict keys ("encoder.0.weight") are PyTorch's and weights exported from PyTorch load by name.
//
//   struct Block : nn::Module {                                      // class Block(nn.Module):
//     nn::Conv2d& conv = register_module("conv", nn::Conv2d(3, 8, 3, {.padding = 1}));  //   self.conv = ...
//     nn::ReLU& act = register_module("act", nn::ReLU());            //   self.act = nn.ReLU()
//     Tensor forward(const Tensor& x) const override { return act(conv(x)); }
//     std::string type_name() const override { return "Block"; }
//   };
//   Block block;
//   block.load_state_dict(load_safetensors("block.safetensors").tensors);
//
// Children are owned by their parent (register_module moves them to the heap and returns a reference
// that stays valid when the parent is moved). Modules are move-only, like Tensor. forward is const: a
// module holds weights, never per-call state, so one instance may run on several threads.
#include <array>
#include <cstddef>
#include <iosfwd>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "../core/arena.hpp"
#include "../core/check.hpp"
#include "../core/safetensors.hpp"
#include "../core/tensor.hpp"

namespace strider::nn {

// What load_state_dict(strict = false) skipped, as PyTorch's return value.
struct LoadResult {
  std::vector<std::string> missing_keys;
  std::vector<std::string> unexpected_keys;
};

class Module {
 public:
  Module() = default;
  Module(Module&&) = default;
  Module& operator=(Module&&) = default;
  virtual ~Module() = default;

  // One of this module's own state_dict entries (children's are theirs).
  struct StateEntry {
    std::string name;       // local: "weight", "running_mean"
    const Tensor* value;    // current value; a loaded tensor must have its shape
    bool buffer = false;    // running statistics: in state_dict(), not in named_parameters()
  };

  virtual Tensor forward(const Tensor& input) const = 0;
  Tensor operator()(const Tensor& input) const { return forward(input); }

  // The class name PyTorch prints ("Conv2d", "Sequential", "UNet") and its extra_repr (the arguments
  // inside the parentheses; empty for none).
  virtual std::string type_name() const = 0;
  virtual std::string extra_repr() const { return {}; }
  // PyTorch's repr: nested, children as "(name): ..." indented by two spaces.
  std::string repr() const;

  std::vector<std::pair<std::string, const Module*>> named_children() const;
  std::vector<std::pair<std::string, Module*>> named_children();
  // Parameters (not buffers) of this module and its descendants, dotted names, in state_dict order.
  std::vector<std::pair<std::string, const Tensor*>> named_parameters() const;
  // Parameters and buffers as non-owning views (they share this module's storage: keep it alive).
  StateDict state_dict() const;

  // Copies tensors in by PyTorch key. strict: any missing or unexpected key is an error. Always an error:
  // a shape differing from the module's, or a key the module needs stored in an unsupported dtype. All
  // problems are reported together in one std::invalid_argument, in PyTorch's wording; nothing is
  // loaded then. Keys a module ignores (BatchNorm2d's num_batches_tracked) are accepted in any dtype.
  LoadResult load_state_dict(const StateDict& state, bool strict = true);
  // The tensors of a safetensors file, with its unsupported entries taking part in the checks.
  LoadResult load_state_dict(const Safetensors& file, bool strict = true);

 protected:
  virtual std::vector<StateEntry> own_state() const { return {}; }
  // Replaces one own_state() entry; load_state_dict has checked the shape.
  virtual void set_state(const std::string& name, Tensor value);
  // Keys load_state_dict accepts and ignores.
  virtual std::vector<std::string> ignored_state() const { return {}; }

  // Takes ownership of a child and names it, as assigning `self.name = module` does in PyTorch.
  template <class M>
  M& register_module(std::string name, M module) {
    static_assert(std::is_base_of_v<Module, M>, "register_module takes a Module");
    check_child_name(name);
    auto owned = std::make_unique<M>(std::move(module));
    M& ref = *owned;
    children_.emplace_back(std::move(name), std::move(owned));
    return ref;
  }
  // Replaces the child at `index` (registration order), keeping its name.
  void replace_child(std::size_t index, std::unique_ptr<Module> module);
  std::size_t child_count() const { return children_.size(); }
  const Module& child(std::size_t index) const;

 private:
  struct Slot;
  void collect(const std::string& prefix, std::vector<Slot>& slots, std::vector<std::string>& ignored) const;
  LoadResult load(const StateDict& state, const std::map<std::string, UnsupportedTensor>* unsupported,
                  bool strict);
  void check_child_name(const std::string& name) const;

  std::vector<std::pair<std::string, std::unique_ptr<Module>>> children_;
};
std::ostream& operator<<(std::ostream& os, const Module& module);

// torch.nn.Sequential: children named "0", "1", ..., each fed the previous one's output.
//   nn::Sequential body(nn::Conv2d(3, 8, 3), nn::ReLU(), nn::MaxPool2d(2));
// A single Sequential argument is moved, not nested (C++ picks the move constructor): nest one with
// push_back. The children's outputs, but the last, go to two buffers kept between calls (core/arena.hpp),
// so that a call allocates only its result; like every module it may run on several threads at once.
class Sequential : public Module {
 public:
  Sequential() = default;
  template <class... M>
  explicit Sequential(M... modules) {
    (push_back(std::move(modules)), ...);
  }

  template <class M>
  M& push_back(M module) {
    return register_module(std::to_string(child_count()), std::move(module));
  }
  // seq[i] = module in PyTorch.
  template <class M>
  void replace(std::size_t index, M module) {
    replace_child(index, std::make_unique<M>(std::move(module)));
  }
  std::size_t size() const { return child_count(); }
  const Module& operator[](std::size_t index) const { return child(index); }
  // The child at `index` as its concrete type (a checked cast).
  template <class M>
  const M& at(std::size_t index) const {
    const auto* typed = dynamic_cast<const M*>(&child(index));
    check(typed != nullptr, "Sequential: child ", index, " is a ", child(index).type_name(),
          ", not the requested type");
    return *typed;
  }

  Tensor forward(const Tensor& input) const override;
  std::string type_name() const override { return "Sequential"; }

 private:
  // Child i writes buffers[i % 2] while reading the other; numels[i] is the size of its output last time
  // (the slot is only offered for that size: a new input shape allocates once, then reuses).
  struct Workspace {
    std::array<Tensor, 2> buffers;
    std::vector<int64_t> numels;
  };
  std::unique_ptr<Pool<Workspace>> workspaces_ = std::make_unique<Pool<Workspace>>();
};

}  // namespace strider::nn
