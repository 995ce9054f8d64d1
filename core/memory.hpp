#pragma once
// Where tensors' memory comes from. Blocks of 32 MiB or more (a 4K image, a 64-channel 256² concat) are
// kept after their tensor dies, a few at a time, and given to the next tensor of the same size: glibc
// would unmap them, and mapping one again costs a page fault per 2 MiB plus the kernel zeroing every page,
// as long as a copy of the block. An allocation of 32 MiB or more the cache cannot serve first gives
// every cached block back to the system: blocks of another size are never held beside a new one.
#include <cstddef>
#include <cstdint>
#include <new>
#include <vector>

namespace strider {

// Bytes held by the cache (blocks of dead tensors, waiting for a tensor of their size). At most 256 MiB.
int64_t cached_memory_bytes();
// Gives every cached block back to the system, like torch.cuda.empty_cache: for an application that
// stops using Strider for a while. Thread-safe.
void release_cached_memory();

namespace detail {

// The last-level cache of the machines Strider is tuned on (Zen 4 and Zen 5: 32 MiB). An element-wise op
// whose operands and output exceed it cannot keep them there, and ordinary stores would first read each
// destination line from memory: ops/binary.cpp and ops/join.cpp write such outputs with non-temporal
// stores, each past a size measured.
constexpr int64_t last_level_cache_bytes = int64_t{32} << 20;

// While one is alive on a thread, the tensors it allocates are kept across many calls (an activation
// arena): from 2 MiB on, not 32, they go on huge pages, page-faulted once per 2 MiB (the upsampler's ×4
// at 960x540 faulted its arenas' 4 KiB pages for 10 % of its run).
class LastingAllocations {
 public:
  LastingAllocations();
  ~LastingAllocations();
  LastingAllocations(const LastingAllocations&) = delete;
  LastingAllocations& operator=(const LastingAllocations&) = delete;

 private:
  bool outer_;
};

// 64-byte aligned memory for `bytes` (a multiple of 64), or null; give it back with free_tensor_memory
// and the same size.
void* allocate_tensor_memory(std::size_t bytes);
void free_tensor_memory(void* memory, std::size_t bytes) noexcept;

// Storage on a 64-byte line, for buffers the kernels load whole vectors from: glibc's large blocks start
// 16 bytes past a line, where every other 8-float load straddled two lines.
template <class T>
struct LineAllocator {
  using value_type = T;
  LineAllocator() = default;
  template <class U>
  LineAllocator(const LineAllocator<U>&) noexcept {}
  T* allocate(std::size_t n) { return static_cast<T*>(::operator new(n * sizeof(T), std::align_val_t{64})); }
  // Unsized: clang declares sized deallocation only with -fsized-deallocation.
  void deallocate(T* p, std::size_t) noexcept { ::operator delete(p, std::align_val_t{64}); }
  friend bool operator==(const LineAllocator&, const LineAllocator&) { return true; }
};
template <class T>
using LineVector = std::vector<T, LineAllocator<T>>;

}  // namespace detail

}  // namespace strider
