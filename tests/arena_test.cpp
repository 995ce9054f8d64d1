// OutputSlot (a Tensor of the slot's size takes its memory, once, on the slot's thread only; slots
// nest) and Pool (objects come back for the next caller).
#include <thread>

#include "core/arena.hpp"
#include "test_util.hpp"

namespace strider {
namespace {

TEST(Arena, ATensorOfTheSlotsSizeTakesItsMemoryOnce) {
  Tensor arena = make_arena(arena_floats(6) * 2);
  float* block = arena.data() + arena_floats(6);
  const OutputSlot slot(block, 6);
  const Tensor other_size({1, 5});
  EXPECT_TRUE(other_size.owns_data());
  Tensor taken = Tensor::zeros({2, 3});
  EXPECT_FALSE(taken.owns_data());
  EXPECT_EQ(taken.data(), block);
  const Tensor second({3, 2});
  EXPECT_TRUE(second.owns_data());  // taken already
}

TEST(Arena, SlotsNestAndStayOnTheirThread) {
  Tensor arena = make_arena(2 * arena_floats(4));
  float* outer_block = arena.data();
  float* inner_block = arena.data() + arena_floats(4);
  const OutputSlot outer(outer_block, 4);
  {
    const OutputSlot inner(inner_block, 4);
    bool elsewhere_owns = false;
    std::thread([&] { elsewhere_owns = Tensor({4}).owns_data(); }).join();
    EXPECT_TRUE(elsewhere_owns);
    EXPECT_EQ(Tensor({4}).data(), inner_block);
    EXPECT_TRUE(Tensor({4}).owns_data());  // the inner slot is taken and hides the outer one
  }
  EXPECT_EQ(Tensor({4}).data(), outer_block);
  const OutputSlot none(nullptr, 0);
  EXPECT_TRUE(Tensor({4}).owns_data());
}

TEST(Arena, ArenasAreZeroedAndPadded) {
  EXPECT_EQ(arena_floats(1), 32);  // 1 value + 16 of slack, rounded to 16 floats (64 bytes)
  EXPECT_EQ(arena_floats(16), 32);
  EXPECT_EQ(arena_floats(17), 48);
  const Tensor arena = make_arena(48);
  for (float v : arena.values()) ASSERT_EQ(v, 0.0f);
}

TEST(Arena, PoolHandsBackWhatWasReturned) {
  Pool<Tensor> pool;
  const float* first = nullptr;
  {
    auto lease = pool.take();
    EXPECT_FALSE(lease->defined());
    *lease = Tensor({8});
    first = lease->data();
    auto other = pool.take();  // the first is in use: a new one
    EXPECT_FALSE(other->defined());
  }
  // Both went back, the first last: it comes out first (the most recently used memory).
  auto again = pool.take();
  ASSERT_TRUE(again->defined());
  EXPECT_EQ(again->data(), first);
}

}  // namespace
}  // namespace strider
