#pragma once
// Reused activation memory. The ONNX plan and nn::Sequential know, before a layer runs, where its output
// should live (a block of an arena they keep from call to call); the operators only know how to return a
// new Tensor. An OutputSlot joins the two: while one is alive on a thread, the first Tensor of exactly its
// size constructed on that thread (Tensor(Shape), and so empty, zeros, clone...) takes the slot's memory,
// as a view, instead of allocating. A fresh
// allocation costs a page fault per 4 KiB the first time it is written, which on this project's machines
// costs more than a memory-bound layer itself.
//
// Safe by construction: the block belongs to the layer's output for the whole layer, and no live tensor
// overlaps it, so whichever tensor of the layer takes it (the output, or a scratch tensor of the same
// size) may write it. Run the layer inside tbb::this_task_arena::isolate so that this thread, while it
// waits for its own tasks, never picks up another caller's task (that task would see the slot).
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include <tbb/task_arena.h>

#include "tensor.hpp"

namespace strider {

class OutputSlot {
 public:
  // `memory` holds numel floats plus Tensor::slack_bytes and is 64-byte aligned. Slots nest: the inner
  // one hides the outer one until it is destroyed.
  OutputSlot(float* memory, int64_t numel);
  ~OutputSlot();
  OutputSlot(const OutputSlot&) = delete;
  OutputSlot& operator=(const OutputSlot&) = delete;

  // For Tensor's constructor: the memory of the innermost untaken slot of `numel` elements on this
  // thread, or null.
  static float* take(int64_t numel);

 private:
  float* memory_;
  int64_t numel_;
  OutputSlot* outer_;
};

// Floats a tensor of numel elements occupies in an arena: its values and the slack, rounded to 64 bytes.
int64_t arena_floats(int64_t numel);
// A zeroed buffer of `floats` floats for an arena (the slack after each block is read by SIMD tails and
// must be initialised); never placed in a caller's OutputSlot.
Tensor make_arena(int64_t floats);
// Replaces `arena` by a make_arena(floats) when it holds fewer floats.
void reserve_arena(Tensor& arena, int64_t floats);

// f(), with an OutputSlot at `memory` for numel floats while it runs (none when memory is null), inside
// tbb::this_task_arena::isolate: while this thread waits for f's tasks it runs no other caller's task,
// which would see the slot. Returns f's tensor.
template <class F>
Tensor run_in_slot(float* memory, int64_t numel, F&& f) {
  Tensor out;
  tbb::this_task_arena::isolate([&] {
    std::optional<OutputSlot> slot;
    if (memory != nullptr) slot.emplace(memory, numel);
    out = f();
  });
  return out;
}

// Objects kept between calls, one per concurrent call: take() hands out a free one (a default-constructed
// one when none is free) and the Lease gives it back, so that after the first calls nothing is allocated
// and calls on several threads never share one. Thread-safe.
template <class T>
class Pool {
 public:
  class Lease {
   public:
    Lease(Pool& pool, std::unique_ptr<T> object) : pool_(&pool), object_(std::move(object)) {}
    Lease(Lease&&) = default;
    Lease& operator=(Lease&&) = delete;
    ~Lease() {
      if (!object_) return;  // moved from
      std::lock_guard lock(pool_->mutex_);
      pool_->free_.push_back(std::move(object_));
    }
    T& operator*() { return *object_; }
    T* operator->() { return object_.get(); }

   private:
    Pool* pool_;
    std::unique_ptr<T> object_;
  };

  Lease take() {
    std::lock_guard lock(mutex_);
    if (free_.empty()) return Lease(*this, std::make_unique<T>());
    auto object = std::move(free_.back());
    free_.pop_back();
    return Lease(*this, std::move(object));
  }

 private:
  std::mutex mutex_;
  std::vector<std::unique_ptr<T>> free_;
};

}  // namespace strider
