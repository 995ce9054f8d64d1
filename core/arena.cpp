#include "arena.hpp"

#include <algorithm>

#include "memory.hpp"

namespace strider {

namespace {
thread_local OutputSlot* innermost = nullptr;
}  // namespace

OutputSlot::OutputSlot(float* memory, int64_t numel) : memory_(memory), numel_(numel), outer_(innermost) {
  innermost = this;
}

OutputSlot::~OutputSlot() { innermost = outer_; }

float* OutputSlot::take(int64_t numel) {
  OutputSlot* slot = innermost;
  if (slot == nullptr || slot->memory_ == nullptr || slot->numel_ != numel) return nullptr;
  float* memory = slot->memory_;
  slot->memory_ = nullptr;
  return memory;
}

int64_t arena_floats(int64_t numel) {
  constexpr auto line = static_cast<int64_t>(Tensor::alignment / sizeof(float));
  const int64_t floats = numel + static_cast<int64_t>(Tensor::slack_bytes / sizeof(float));
  return (floats + line - 1) / line * line;
}

Tensor make_arena(int64_t floats) {
  const OutputSlot none(nullptr, 0);
  const detail::LastingAllocations lasting;
  return Tensor::zeros(Shape{std::max<int64_t>(floats, 1)});
}

void reserve_arena(Tensor& arena, int64_t floats) {
  if (arena.numel() < floats) arena = make_arena(floats);
}

}  // namespace strider
