// One test per relation of ARITHMETIC.md, named after the guide's figure it reproduces.
#include <gtest/gtest.h>

#include "core/arithmetic.hpp"
#include "test_util.hpp"

namespace strider {
namespace {

using testing::rejects;

// Relation 1: s = 1, p = 0.
TEST(Arithmetic, Fig2_1_NoPaddingUnitStrides) { EXPECT_EQ(conv_output_size(4, 3), 2); }

// Relation 2: s = 1, arbitrary padding.
TEST(Arithmetic, Fig2_2_ArbitraryPaddingUnitStrides) { EXPECT_EQ(conv_output_size(5, 4, 1, 2), 6); }

// Relation 3: half padding keeps the size.
TEST(Arithmetic, Fig2_3_HalfPadding) {
  EXPECT_EQ(conv_output_size(5, 3, 1, 1), 5);
  for (int64_t k = 1; k <= 9; k += 2) EXPECT_EQ(conv_output_size(11, k, 1, k / 2), 11) << "k=" << k;
}

// Relation 4: full padding grows the size by k - 1.
TEST(Arithmetic, Fig2_4_FullPadding) {
  EXPECT_EQ(conv_output_size(5, 3, 1, 2), 7);
  for (int64_t k = 1; k <= 6; ++k) EXPECT_EQ(conv_output_size(8, k, 1, k - 1), 8 + k - 1) << "k=" << k;
}

// Relation 5: p = 0, stride s.
TEST(Arithmetic, Fig2_5_NoPaddingStrides) { EXPECT_EQ(conv_output_size(5, 3, 2), 2); }

// Relation 6, and the floor: Fig 2.6 and Fig 2.7 reach the same output size from different inputs.
TEST(Arithmetic, Fig2_6_PaddingStrides) { EXPECT_EQ(conv_output_size(5, 3, 2, 1), 3); }
TEST(Arithmetic, Fig2_7_PaddingStridesOdd) {
  EXPECT_EQ(conv_output_size(6, 3, 2, 1), 3);
  EXPECT_EQ(conv_input_size_range(3, 3, 2, 1), (SizeRange{5, 6}));  // both figures' inputs, nothing else
  for (int64_t i = 1; i <= 12; ++i) {
    const SizeRange r = conv_input_size_range(conv_output_size(i, 3, 2, 1), 3, 2, 1);
    EXPECT_TRUE(r.min <= i && i <= r.max) << "i=" << i;
  }
}

// Relation 7: pooling, with PyTorch's ceil_mode rule (PYTORCH_SEMANTICS.md §3 table).
TEST(Arithmetic, Relation7_Pooling) {
  EXPECT_EQ(pool_output_size(5, 3, 2), 2);
  struct Row { int64_t i, k, s, p, floor, ceil; };
  for (const Row r : {Row{5, 2, 2, 0, 2, 3}, Row{6, 3, 3, 1, 2, 3}, Row{7, 2, 3, 1, 3, 3}, Row{1, 2, 2, 1, 1, 1}}) {
    EXPECT_EQ(pool_output_size(r.i, r.k, r.s, r.p, 1, false), r.floor) << "H=" << r.i << " k=" << r.k;
    EXPECT_EQ(pool_output_size(r.i, r.k, r.s, r.p, 1, true), r.ceil) << "H=" << r.i << " k=" << r.k;
  }
  EXPECT_EQ(pool_output_size(2, 3, 3, 0, 1, true), 1);  // a kernel larger than the input, ceil(-1/3) = 0
  EXPECT_EQ(pool_output_size(2, 3, 1, 0, 1, true), 0);  // ... but not with stride 1
}

// Relation 8: the transpose of s = 1, p = 0 is a full-padding convolution.
TEST(Arithmetic, Fig4_1_TransposeNoPaddingUnitStrides) {
  const TransposedConvEquivalent e = transposed_conv_equivalent(2, 3);
  EXPECT_EQ(e.padding, 2);
  EXPECT_EQ(e.stretched_size, 2);
  EXPECT_EQ(e.output_size, 4);
  EXPECT_EQ(conv_transpose_output_size(2, 3), 4);
}

// Relation 9: p' = k - p - 1.
TEST(Arithmetic, Fig4_2_TransposeArbitraryPadding) {
  const TransposedConvEquivalent e = transposed_conv_equivalent(6, 4, 1, 2);
  EXPECT_EQ(e.padding, 1);
  EXPECT_EQ(e.output_size, 5);
}

// Relation 10: half padding is its own transpose.
TEST(Arithmetic, Fig4_3_TransposeHalfPadding) {
  const TransposedConvEquivalent e = transposed_conv_equivalent(5, 3, 1, 1);
  EXPECT_EQ(e.padding, 1);
  EXPECT_EQ(e.output_size, 5);
}

// Relation 11: the transpose of full padding is a no-padding convolution.
TEST(Arithmetic, Fig4_4_TransposeFullPadding) {
  const TransposedConvEquivalent e = transposed_conv_equivalent(7, 3, 1, 2);
  EXPECT_EQ(e.padding, 0);
  EXPECT_EQ(e.output_size, 5);
}

// Relation 12: strides become s - 1 inserted zeros.
TEST(Arithmetic, Fig4_5_TransposeNoPaddingStrides) {
  const TransposedConvEquivalent e = transposed_conv_equivalent(2, 3, 2);
  EXPECT_EQ(e.zeros_inserted, 1);
  EXPECT_EQ(e.stretched_size, 3);
  EXPECT_EQ(e.padding, 2);
  EXPECT_EQ(e.stride, 1);
  EXPECT_EQ(e.output_size, 5);
}

// Relation 13: padding and strides.
TEST(Arithmetic, Fig4_6_TransposePaddingStrides) {
  const TransposedConvEquivalent e = transposed_conv_equivalent(3, 3, 2, 1);
  EXPECT_EQ(e.stretched_size, 5);
  EXPECT_EQ(e.padding, 1);
  EXPECT_EQ(e.output_size, 5);
}

// Relation 14: output_padding a recovers the size the floor lost (Fig 4.7 is the transpose of Fig 2.7).
TEST(Arithmetic, Fig4_7_TransposePaddingStridesOdd) {
  const TransposedConvEquivalent e = transposed_conv_equivalent(3, 3, 2, 1, 1, 1);
  EXPECT_EQ(e.stretched_size, 5);
  EXPECT_EQ(e.output_padding, 1);
  EXPECT_EQ(e.padding, 1);
  EXPECT_EQ(e.output_size, 6);
  EXPECT_EQ(conv_transpose_output_size_range(3, 3, 2, 1), (SizeRange{5, 6}));  // Fig 2.6's and 2.7's inputs
}

// Relation 15: dilation.
TEST(Arithmetic, Fig5_1_Dilation) {
  EXPECT_EQ(dilated_kernel_size(3, 2), 5);
  EXPECT_EQ(conv_output_size(7, 3, 1, 0, 2), 3);
  // The dilated transpose: p' = d(k - 1) - p, and dilation does not widen the output_size range.
  const TransposedConvEquivalent e = transposed_conv_equivalent(3, 3, 1, 0, 2);
  EXPECT_EQ(e.padding, 4);
  EXPECT_EQ(e.output_size, 7);
  EXPECT_EQ(conv_transpose_output_size_range(8, 3, 1, 0, 3), (SizeRange{14, 14}));
}

// Every transposed size inverts the direct one: the transpose of a convolution from i gives i back for
// the right output_padding, over many random parameter choices.
TEST(Arithmetic, TransposeInvertsConvolutionSizes) {
  for (int64_t k = 1; k <= 5; ++k)
    for (int64_t s = 1; s <= 4; ++s)
      for (int64_t d = 1; d <= 3; ++d)
        for (int64_t p = 0; p <= 3; ++p)
          for (int64_t i = 1; i <= 20; ++i) {
            const int64_t o = conv_output_size(i, k, s, p, d);
            if (o < 1) continue;
            const SizeRange back = conv_transpose_output_size_range(o, k, s, p, d);
            EXPECT_TRUE(back.min <= i && i <= back.max) << "i=" << i << " k=" << k << " s=" << s << " p=" << p;
            EXPECT_EQ(conv_transpose_output_size(o, k, s, p, d, i - back.min), i);
            EXPECT_EQ(conv_input_size_range(o, k, s, p, d), (SizeRange{std::max<int64_t>(back.min, 1), back.max}));
          }
}

TEST(Arithmetic, SamePaddingPutsTheOddExtraAtTheEnd) {
  // Measured in PyTorch (PYTORCH_SEMANTICS.md §1).
  EXPECT_EQ(same_padding(2), (Pad{0, 1}));
  EXPECT_EQ(same_padding(4), (Pad{1, 2}));
  EXPECT_EQ(same_padding(2, 3), (Pad{1, 2}));
  EXPECT_EQ(same_padding(4, 3), (Pad{4, 5}));
  EXPECT_EQ(same_padding(3), (Pad{1, 1}));
  for (int64_t k = 1; k <= 6; ++k)
    for (int64_t d = 1; d <= 3; ++d) EXPECT_EQ(conv_output_size(9, k, 1, same_padding(k, d), d), 9);
}

TEST(Arithmetic, FloorAndCeilDivisionRoundTowardsInfinities) {
  EXPECT_EQ(floor_div(-5, 2), -3);
  EXPECT_EQ(floor_div(5, 2), 2);
  EXPECT_EQ(ceil_div(-1, 3), 0);
  EXPECT_EQ(ceil_div(5, 2), 3);
  // Too-small inputs give non-positive sizes (the operators reject them), with floor, not truncation.
  EXPECT_EQ(conv_output_size(2, 7, 2), -2);
}

TEST(Arithmetic, RejectsInvalidParameters) {
  EXPECT_TRUE(rejects([] { conv_output_size(5, 0); }, {"kernel size", "k=0"}));
  EXPECT_TRUE(rejects([] { conv_output_size(5, 3, 0); }, {"stride", "s=0"}));
  EXPECT_TRUE(rejects([] { conv_output_size(5, 3, 1, -1); }, {"padding", "p=-1"}));
  EXPECT_TRUE(rejects([] { dilated_kernel_size(3, 0); }, {"dilation", "d=0"}));
  EXPECT_TRUE(rejects([] { conv_transpose_output_size(5, 3, 2, 0, 1, -1); }, {"output_padding", "a=-1"}));
  EXPECT_TRUE(rejects([] { conv_input_size_range(0, 3); }, {"output size", "o=0"}));
}

// Sizes that do not fit in int64 are errors naming the quantity and its operands, never wrapped values.
TEST(Arithmetic, RejectsOverflow) {
  constexpr int64_t max = INT64_MAX, big = int64_t{1} << 40, huge = int64_t{1} << 62;
  EXPECT_EQ(conv_output_size(max, 3), max - 2);
  EXPECT_TRUE(rejects([] { conv_output_size(max, 3, 1, 1); }, {"conv_output_size", "overflows int64", "9223372036854775807"}));
  EXPECT_TRUE(rejects([] { dilated_kernel_size(big, big); }, {"dilated_kernel_size", "(k - 1)·d", "1099511627776"}));
  EXPECT_TRUE(rejects([] { conv_output_size(5, 3, 1, huge); }, {"conv_output_size", "4611686018427387904"}));
  EXPECT_TRUE(rejects([] { pool_output_size(5, 3, 1, huge); }, {"pool_output_size", "2p"}));
  EXPECT_TRUE(rejects([] { conv_transpose_output_size(big, 3, big); }, {"conv_transpose_output_size", "overflows"}));
  EXPECT_TRUE(rejects([] { transposed_conv_equivalent(4, 3, huge, 0); }, {"overflows int64"}));
  EXPECT_TRUE(rejects([] { conv_input_size_range(big, 3, big); }, {"conv_input_size_range", "overflows"}));
  EXPECT_TRUE(rejects([] { same_padding(huge, 4); }, {"same_padding", "overflows"}));
  EXPECT_TRUE(rejects([] { floor_div(INT64_MIN, -1); }, {"overflows int64"}));
  EXPECT_TRUE(rejects([] { ceil_div(5, 0); }, {"ceil_div", "non-zero"}));
  EXPECT_EQ(pool_output_size(16, 2, huge), 1);  // a huge stride on its own is fine: one window
}

// pool_window_taps counts in O(1) what a loop over the k taps would.
TEST(Arithmetic, PoolWindowTapsMatchesCounting) {
  for (int64_t i : {1, 4, 7})
    for (int64_t k : {1, 2, 3, 5})
      for (int64_t s : {1, 2, 3})
        for (int64_t p : {0, 1, 2})
          for (int64_t d : {1, 2})
            for (bool include : {false, true})
              for (int64_t o = 0; o < 6; ++o) {
                int64_t taps = 0;
                for (int64_t a = 0; a < k; ++a) {
                  const int64_t pos = o * s - p + a * d;
                  taps += pos >= (include ? -p : 0) && pos < (include ? i + p : i);
                }
                ASSERT_EQ(pool_window_taps(o, i, k, s, p, d, include), taps)
                    << "o=" << o << " i=" << i << " k=" << k << " s=" << s << " p=" << p << " d=" << d;
              }
  EXPECT_EQ(pool_window_taps(0, 5, int64_t{1} << 40, int64_t{1} << 40, int64_t{1} << 39, 1, false), 5);
}

}  // namespace
}  // namespace strider
