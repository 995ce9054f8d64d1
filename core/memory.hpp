#pragma once
// Where tensors' memory comes from. Blocks of 32 MiB or more (a 4K image, a 64-channel 256² concat) are
// kept after their tensor dies, a few at a time, and given to the next tensor of the same size: glibc
// would unmap them, and mapping one again costs a page fault per 2 MiB plus the kernel zeroing every page,
// as long as a copy of the block. An allocation of 32 MiB or more the cache cannot serve first gives
// every cached block back to the system: blocks of another size are never held beside a new one.
#include <cstddef>
#include <cstdint>

namespace strider {

// Bytes held by the cache (blocks of dead tensors, waiting for a tensor of their size). At most 256 MiB.
int64_t cached_memory_bytes();
// Gives every cached block back to the system, like torch.cuda.empty_cache: for an application that
// stops using Strider for a while. Thread-safe.
void release_cached_memory();

namespace detail {

// 64-byte aligned memory for `bytes` (a multiple of 64), or null; give it back with free_tensor_memory
// and the same size.
void* allocate_tensor_memory(std::size_t bytes);
void free_tensor_memory(void* memory, std::size_t bytes) noexcept;

}  // namespace detail

}  // namespace strider
