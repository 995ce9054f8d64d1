#pragma once
// Internal to the kernel translation units: the batch type and register budget of each SIMD level, and
// the switch that calls a kernel for the level in force. Each arch-specific TU is compiled with that
// arch's flags and explicitly instantiates its kernels; the neutral TUs only see declarations.
#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <utility>

#include <xsimd/xsimd.hpp>

#include "simd.hpp"

namespace strider::kernels {

// The scalar level: a one-lane "batch" with the few operations the kernels use.
struct ScalarArch {};
struct ScalarBatch {
  using arch_type = ScalarArch;  // as xsimd batches name theirs
  static constexpr std::size_t size = 1;
  float v;
  ScalarBatch() = default;
  ScalarBatch(float x) : v(x) {}
  static ScalarBatch load_unaligned(const float* p) { return {*p}; }
  void store_unaligned(float* p) const { *p = v; }
  friend ScalarBatch operator+(ScalarBatch a, ScalarBatch b) { return {a.v + b.v}; }
  friend ScalarBatch operator-(ScalarBatch a, ScalarBatch b) { return {a.v - b.v}; }
  friend ScalarBatch operator*(ScalarBatch a, ScalarBatch b) { return {a.v * b.v}; }
  friend ScalarBatch fma(ScalarBatch a, ScalarBatch b, ScalarBatch c) { return {a.v * b.v + c.v}; }
  friend ScalarBatch max_keep_nan(ScalarBatch best, ScalarBatch v) { return v.v > best.v || v.v != v.v ? v : best; }
  friend ScalarBatch operator/(ScalarBatch a, ScalarBatch b) { return {a.v / b.v}; }
};

// v where v > best or v is NaN, else best: max pooling's scan, where any NaN wins, as in PyTorch.
template <class B>
B max_keep_nan(B best, B v) {
  return xsimd::select((v > best) | xsimd::isnan(v), v, best);
}

// `lanes` is Batch::size, also for the arch-neutral TUs, where naming a Batch's members would instantiate
// it without the arch's flags.
template <class Arch>
struct Simd {
  using Batch = xsimd::batch<float, Arch>;
  static constexpr int64_t lanes = Arch::alignment() / sizeof(float);
  static constexpr int registers = 16;
};
template <>
struct Simd<xsimd::avx512f> {
  using Batch = xsimd::batch<float, xsimd::avx512f>;
  static constexpr int64_t lanes = 16;
  static constexpr int registers = 32;
};
template <>
struct Simd<ScalarArch> {
  using Batch = ScalarBatch;
  static constexpr int64_t lanes = 1;
  static constexpr int registers = 16;
};

// Whether xsimd has swizzles for the batch type B (AVX2, AVX-512), which even_lanes and the lane shifts
// below need. Elsewhere even_lanes' callers keep a scalar loop, which compilers do not vectorise, and the
// depthwise kernel copies its edges.
template <class B>
inline constexpr bool has_swizzles = false;
template <>
inline constexpr bool has_swizzles<xsimd::batch<float, xsimd::fma3<xsimd::avx2>>> = true;
template <>
inline constexpr bool has_swizzles<xsimd::batch<float, xsimd::avx512f>> = true;

// The even-indexed floats of p[0 .. 2·size): [p0 p2 p4 ...], the stride-2 split of a panel row and a
// stride-2 ConvTranspose2d phase's residual. Reads all 2·size floats.
template <class B>
[[gnu::always_inline]] inline B even_lanes(const float* p) {
  static_assert(has_swizzles<B>);
  using Index = xsimd::batch<uint32_t, typename B::arch_type>;
  struct EvensThenOdds {  // [x0 x2 x4 ... | x1 x3 x5 ...]
    static constexpr uint32_t get(std::size_t i, std::size_t n) { return i < n / 2 ? 2 * i : 2 * (i - n / 2) + 1; }
  };
  struct OddsThenEvens {  // [x1 x3 x5 ... | x0 x2 x4 ...]
    static constexpr uint32_t get(std::size_t i, std::size_t n) { return i < n / 2 ? 2 * i + 1 : 2 * (i - n / 2); }
  };
  struct LowerHalf {
    static constexpr bool get(std::size_t i, std::size_t n) { return i < n / 2; }
  };
  const B a = xsimd::swizzle(B::load_unaligned(p), xsimd::make_batch_constant<Index, EvensThenOdds>());
  const B b = xsimd::swizzle(B::load_unaligned(p + B::size), xsimd::make_batch_constant<Index, OddsThenEvens>());
  return xsimd::select(xsimd::make_batch_bool_constant<B, LowerHalf>(), a, b);
}

// The lanes of a and b interleaved, [a0 b0 a1 b1 ...] into `low` and the rest into `high`: two stride-2
// column phases of a ConvTranspose2d row, stored contiguously. (xsimd's zip_lo interleaves within each
// 128-bit lane only.)
template <class B>
[[gnu::always_inline]] inline void interleave(B a, B b, B& low, B& high) {
  static_assert(has_swizzles<B>);
  using Index = xsimd::batch<uint32_t, typename B::arch_type>;
  struct FirstHalf {
    static constexpr uint32_t get(std::size_t i, std::size_t) { return static_cast<uint32_t>(i / 2); }
  };
  struct SecondHalf {
    static constexpr uint32_t get(std::size_t i, std::size_t n) { return static_cast<uint32_t>(n / 2 + i / 2); }
  };
  struct Even {
    static constexpr bool get(std::size_t i, std::size_t) { return i % 2 == 0; }
  };
  constexpr auto even = xsimd::make_batch_bool_constant<B, Even>();
  low = xsimd::select(even, xsimd::swizzle(a, xsimd::make_batch_constant<Index, FirstHalf>()),
                      xsimd::swizzle(b, xsimd::make_batch_constant<Index, FirstHalf>()));
  high = xsimd::select(even, xsimd::swizzle(a, xsimd::make_batch_constant<Index, SecondHalf>()),
                       xsimd::swizzle(b, xsimd::make_batch_constant<Index, SecondHalf>()));
}

// [0 x0 x1 ... x(n-2)] and [x1 x2 ... x(n-1) 0]: a row's vector shifted one column, a zero padding column
// shifted in, for the depthwise kernel's edge tiles.
template <class B>
[[gnu::always_inline]] inline B shift_in_zero_first(B x) {
  static_assert(has_swizzles<B>);
  using Index = xsimd::batch<uint32_t, typename B::arch_type>;
  struct Previous {
    static constexpr uint32_t get(std::size_t i, std::size_t) { return i == 0 ? 0 : static_cast<uint32_t>(i - 1); }
  };
  struct First {
    static constexpr bool get(std::size_t i, std::size_t) { return i == 0; }
  };
  return xsimd::select(xsimd::make_batch_bool_constant<B, First>(), B(0.0f),
                       xsimd::swizzle(x, xsimd::make_batch_constant<Index, Previous>()));
}
template <class B>
[[gnu::always_inline]] inline B shift_in_zero_last(B x) {
  static_assert(has_swizzles<B>);
  using Index = xsimd::batch<uint32_t, typename B::arch_type>;
  struct Next {
    static constexpr uint32_t get(std::size_t i, std::size_t n) { return static_cast<uint32_t>(i + 1 < n ? i + 1 : i); }
  };
  struct Last {
    static constexpr bool get(std::size_t i, std::size_t n) { return i + 1 == n; }
  };
  return xsimd::select(xsimd::make_batch_bool_constant<B, Last>(), B(0.0f),
                       xsimd::swizzle(x, xsimd::make_batch_constant<Index, Next>()));
}

// A non-temporal store of a whole vector to a vector-aligned p (the scalar level: an ordinary store).
template <class B>
[[gnu::always_inline]] inline void store_stream(B v, float* p) {
  using A = typename B::arch_type;
  if constexpr (std::is_same_v<A, xsimd::avx512f>) _mm512_stream_ps(p, v);
  else if constexpr (std::is_same_v<A, xsimd::fma3<xsimd::avx2>>) _mm256_stream_ps(p, v);
  else if constexpr (std::is_same_v<A, xsimd::sse4_2>) _mm_stream_ps(p, v);
  else v.store_unaligned(p);
}

// Calls f(std::integral_constant<int, i>{}) for i = 0 .. N-1: indices known at compile time keep the
// kernels' register tiles in registers. Forced inline, its inner lambda too: GCC left unroll<8> out of
// line in the depthwise kernel, its accumulators in memory (c8 2.7x slower).
template <int N, class F>
[[gnu::always_inline]] inline void unroll(F&& f) {
  [&]<int... I>(std::integer_sequence<int, I...>) __attribute__((always_inline)) {
    (f(std::integral_constant<int, I>{}), ...);
  }(std::make_integer_sequence<int, N>{});
}

// Calls f(arch) with the arch tag of the level in force.
template <class F>
decltype(auto) dispatch(F&& f) {
  switch (simd_level()) {
    case SimdLevel::avx512: return f(xsimd::avx512f{});
    case SimdLevel::avx2: return f(xsimd::fma3<xsimd::avx2>{});
    case SimdLevel::sse4_2: return f(xsimd::sse4_2{});
    case SimdLevel::scalar: break;
  }
  return f(ScalarArch{});
}

}  // namespace strider::kernels
