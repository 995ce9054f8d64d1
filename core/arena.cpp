#include "arena.hpp"

#include <algorithm>

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

ArenaPool::Lease::~Lease() {
  if (!arena_) return;  // moved from
  std::lock_guard lock(pool_->mutex_);
  pool_->free_.push_back(std::move(arena_));
}

ArenaPool::Lease ArenaPool::acquire() {
  {
    std::lock_guard lock(mutex_);
    if (!free_.empty()) {
      auto arena = std::move(free_.back());
      free_.pop_back();
      return Lease(*this, std::move(arena));
    }
  }
  // Zeroed once: the slack after each block is read by SIMD tails and must be initialised. No
  // caller's slot may hand the arena its own memory.
  const OutputSlot none(nullptr, 0);
  return Lease(*this, std::make_unique<Tensor>(Tensor::zeros(Shape{std::max<int64_t>(floats_, 1)})));
}

}  // namespace strider
