#include "memory.hpp"

#include <algorithm>
#include <cstdlib>
#include <mutex>
#include <vector>

#ifdef __linux__
#include <sys/mman.h>
#endif

namespace strider {

namespace {

constexpr std::size_t huge_page = std::size_t{2} << 20;
// glibc's largest mmap threshold: blocks this large are mapped afresh on every allocation.
constexpr std::size_t large_block = 16 * huge_page;
constexpr std::size_t max_cached_bytes = std::size_t{256} << 20;
constexpr std::size_t max_cached_blocks = 4;

struct Block {
  void* memory;
  std::size_t bytes;
};

class LargeBlocks {
 public:
  LargeBlocks() { blocks_.reserve(max_cached_blocks); }  // give() then never allocates

  void* take(std::size_t bytes) {
    std::lock_guard lock(mutex_);
    const auto hit = std::find_if(blocks_.begin(), blocks_.end(), [&](const Block& b) { return b.bytes == bytes; });
    if (hit == blocks_.end()) {  // a new size: the cached blocks go first, never held beside it
      release_locked();
      return nullptr;
    }
    void* memory = hit->memory;
    cached_ -= hit->bytes;
    blocks_.erase(hit);
    return memory;
  }

  // Keeps the block unless that would pass the caps; the oldest blocks go first.
  void give(void* memory, std::size_t bytes) {
    std::lock_guard lock(mutex_);
    if (bytes > max_cached_bytes) return std::free(memory);
    while (!blocks_.empty() && (blocks_.size() == max_cached_blocks || cached_ + bytes > max_cached_bytes)) {
      std::free(blocks_.front().memory);
      cached_ -= blocks_.front().bytes;
      blocks_.erase(blocks_.begin());
    }
    blocks_.push_back({memory, bytes});
    cached_ += bytes;
  }

  void release() {
    std::lock_guard lock(mutex_);
    release_locked();
  }

  std::size_t cached() {
    std::lock_guard lock(mutex_);
    return cached_;
  }

 private:
  void release_locked() {
    for (const Block& b : blocks_) std::free(b.memory);
    blocks_.clear();
    cached_ = 0;
  }

  std::mutex mutex_;
  std::vector<Block> blocks_;
  std::size_t cached_ = 0;
};

// Never destroyed: a static tensor may die after it, at exit.
LargeBlocks& large_blocks() {
  static auto* blocks = new LargeBlocks;
  return *blocks;
}

std::size_t round_to_huge_pages(std::size_t bytes) { return (bytes + huge_page - 1) / huge_page * huge_page; }

thread_local bool lasting = false;  // a LastingAllocations is alive on this thread

}  // namespace

int64_t cached_memory_bytes() { return static_cast<int64_t>(large_blocks().cached()); }

void release_cached_memory() { large_blocks().release(); }

namespace detail {

LastingAllocations::LastingAllocations() : outer_(lasting) { lasting = true; }

LastingAllocations::~LastingAllocations() { lasting = outer_; }

// Large blocks go on transparent huge pages where the system offers them on request (Linux's THP
// "madvise" mode): one fault per 2 MiB instead of per 4 KiB (a 32 MiB block: 1.8 ms instead of 15.7 ms
// on this project's VM). Smaller blocks stay 4 KiB: glibc reuses them from its heap without faults, where
// huge pages made a conv then PReLU loop 4x slower. Lasting ones, from 2 MiB, go on huge pages too (and,
// under 32 MiB, back to glibc when freed, never into the cache).
void* allocate_tensor_memory(std::size_t bytes) {
  if (bytes < (lasting ? huge_page : large_block)) return std::aligned_alloc(64, bytes);
  const std::size_t rounded = round_to_huge_pages(bytes);
  if (bytes >= large_block)
    if (void* cached = large_blocks().take(rounded)) return cached;
  void* memory = std::aligned_alloc(huge_page, rounded);
#ifdef MADV_HUGEPAGE
  if (memory != nullptr) madvise(memory, rounded, MADV_HUGEPAGE);  // a hint: if refused, 4 KiB pages
#endif
  return memory;
}

void free_tensor_memory(void* memory, std::size_t bytes) noexcept {
  if (memory == nullptr) return;
  if (bytes < large_block) return std::free(memory);
  large_blocks().give(memory, round_to_huge_pages(bytes));
}

}  // namespace detail

}  // namespace strider
