#pragma once
// Internal to winograd_kernel_simd.cpp: splits input rows into their columns mod 4 (split_phases), and
// moves a 4x4 output tile between the output transform's layout, t[i][j][V] (channels in lanes at output
// (i, j)), and the output's, a 4-float row per channel and tile row (NCHW: unit column stride, or for
// loads also a dilated layer's columns). Per tile row, one 4x4 transpose in each 128-bit lane of four
// registers replaces 4·V scalar loads or stores: in lane k of the register for output column j, element
// m is channel 4k + m; after the transpose, lane k of register m holds channel 4k + m's row.
//
// A register type's transposes are defined where the TU's flags allow it (SSE2: x86-64's baseline);
// has_row_transposes<B> tells the kernel whether its batch has them (the scalar level's does not).
#include <immintrin.h>

#include <cstdint>

#include "../core/simd_batch.hpp"

namespace strider::kernels::winograd_rows {

// The in-lane transpose (an involution): element m of lane k of r[j] <-> element j of lane k of r[m].
inline void transpose_lanes(__m128 r[4]) {
  const __m128 a = _mm_unpacklo_ps(r[0], r[1]), b = _mm_unpackhi_ps(r[0], r[1]);
  const __m128 c = _mm_unpacklo_ps(r[2], r[3]), d = _mm_unpackhi_ps(r[2], r[3]);
  r[0] = _mm_castpd_ps(_mm_unpacklo_pd(_mm_castps_pd(a), _mm_castps_pd(c)));
  r[1] = _mm_castpd_ps(_mm_unpackhi_pd(_mm_castps_pd(a), _mm_castps_pd(c)));
  r[2] = _mm_castpd_ps(_mm_unpacklo_pd(_mm_castps_pd(b), _mm_castps_pd(d)));
  r[3] = _mm_castpd_ps(_mm_unpackhi_pd(_mm_castps_pd(b), _mm_castps_pd(d)));
}
inline __m128 lane(__m128 v, int) { return v; }
inline void join_lanes(const __m128 q[1], __m128& v) { v = q[0]; }

#ifdef __AVX2__
inline void transpose_lanes(__m256 r[4]) {
  const __m256 a = _mm256_unpacklo_ps(r[0], r[1]), b = _mm256_unpackhi_ps(r[0], r[1]);
  const __m256 c = _mm256_unpacklo_ps(r[2], r[3]), d = _mm256_unpackhi_ps(r[2], r[3]);
  r[0] = _mm256_castpd_ps(_mm256_unpacklo_pd(_mm256_castps_pd(a), _mm256_castps_pd(c)));
  r[1] = _mm256_castpd_ps(_mm256_unpackhi_pd(_mm256_castps_pd(a), _mm256_castps_pd(c)));
  r[2] = _mm256_castpd_ps(_mm256_unpacklo_pd(_mm256_castps_pd(b), _mm256_castps_pd(d)));
  r[3] = _mm256_castpd_ps(_mm256_unpackhi_pd(_mm256_castps_pd(b), _mm256_castps_pd(d)));
}
inline __m128 lane(__m256 v, int k) { return k == 0 ? _mm256_castps256_ps128(v) : _mm256_extractf128_ps(v, 1); }
inline void join_lanes(const __m128 q[2], __m256& v) { v = _mm256_set_m128(q[1], q[0]); }
#endif

#ifdef __AVX512F__
inline void transpose_lanes(__m512 r[4]) {
  const __m512 a = _mm512_unpacklo_ps(r[0], r[1]), b = _mm512_unpackhi_ps(r[0], r[1]);
  const __m512 c = _mm512_unpacklo_ps(r[2], r[3]), d = _mm512_unpackhi_ps(r[2], r[3]);
  r[0] = _mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(a), _mm512_castps_pd(c)));
  r[1] = _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(a), _mm512_castps_pd(c)));
  r[2] = _mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(b), _mm512_castps_pd(d)));
  r[3] = _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(b), _mm512_castps_pd(d)));
}
// The extract's lane is an immediate: a switch, folded where k is a constant of an unrolled loop.
inline __m128 lane(__m512 v, int k) {
  switch (k) {
    case 0: return _mm512_castps512_ps128(v);
    case 1: return _mm512_extractf32x4_ps(v, 1);
    case 2: return _mm512_extractf32x4_ps(v, 2);
    default: return _mm512_extractf32x4_ps(v, 3);
  }
}
inline void join_lanes(const __m128 q[4], __m512& v) {
  v = _mm512_insertf32x4(_mm512_castps128_ps512(q[0]), q[1], 1);
  v = _mm512_insertf32x4(_mm512_insertf32x4(v, q[2], 2), q[3], 3);
}
#endif

// A row's four floats, col_step apart, in one register.
inline __m128 load_row(const float* p, int64_t col_step) {
  return col_step == 1 ? _mm_loadu_ps(p) : _mm_setr_ps(p[0], p[col_step], p[2 * col_step], p[3 * col_step]);
}

template <class B>
concept has_row_transposes = requires(typename B::register_type r[4]) { transpose_lanes(r); };

// Stores rows 0 .. rows-1 of tile t for channels 0 .. valid-1: channel c's row i at
// out + c·channel_stride + i·row_step.
template <class B>
void store_rows(const float (&t)[4][4][B::size], int64_t rows, float* out, int64_t row_step,
                int64_t channel_stride, int64_t valid) {
  using R = typename B::register_type;
  constexpr int lanes = sizeof(R) / sizeof(__m128);
  for (int64_t i = 0; i < rows; ++i) {
    R r[4];
    for (int j = 0; j < 4; ++j) r[j] = B::load_unaligned(t[i][j]);
    transpose_lanes(r);
    float* row = out + i * row_step;
    for (int k = 0; k < lanes; ++k)
      for (int m = 0; m < 4; ++m)
        if (4 * k + m < valid) _mm_storeu_ps(row + (4 * k + m) * channel_stride, lane(r[m], k));
  }
}

// The reverse: t[i][j] = the rows' values in lanes, for rows 0 .. rows-1 (channels from `valid` on: 0),
// a row's four values col_step apart (a dilated layer's sub-lattice: gathered into the register).
template <class B>
[[gnu::always_inline]] inline void load_rows(const float* in, int64_t rows, int64_t row_step, int64_t col_step,
                                             int64_t channel_stride, int64_t valid, float (&t)[4][4][B::size]) {
  using R = typename B::register_type;
  constexpr int lanes = sizeof(R) / sizeof(__m128);
  for (int64_t i = 0; i < rows; ++i) {
    const float* row = in + i * row_step;
    R r[4];
    for (int m = 0; m < 4; ++m) {
      __m128 q[lanes];
      for (int k = 0; k < lanes; ++k)
        q[k] = 4 * k + m < valid ? load_row(row + (4 * k + m) * channel_stride, col_step) : _mm_setzero_ps();
      join_lanes(q, r[m]);
    }
    transpose_lanes(r);
    for (int j = 0; j < 4; ++j) B(r[j]).store_unaligned(t[i][j]);
  }
}

// The four phases mod 4 of src[0 .. 4·size): to[m][i] = src[4·i + m], the split of an input row into
// the columns Winograd's tiles read (winograd_kernel_simd.cpp). After the in-lane transpose of the four
// loaded registers, position 4·k + j of register m holds src[4·(lanes·j + k) + m]: one swizzle per phase
// puts its values in order.
template <class B>
void split_phases(const float* src, float* const to[4]) {
  using R = typename B::register_type;
  constexpr int lanes = sizeof(R) / sizeof(__m128);
  struct InOrder {  // position t takes index t = lanes·j + k from position 4·k + j
    static constexpr uint32_t get(std::size_t t, std::size_t) {
      return static_cast<uint32_t>(4 * (t % lanes) + t / lanes);
    }
  };
  constexpr int64_t V = B::size;
  // Initialized in place: GCC turned a loop of loads into a copy of 16-byte pieces through the stack.
  R r[4] = {B::load_unaligned(src), B::load_unaligned(src + V), B::load_unaligned(src + 2 * V),
            B::load_unaligned(src + 3 * V)};
  transpose_lanes(r);
  for (int m = 0; m < 4; ++m) {
    B v(r[m]);
    if constexpr (lanes > 1) {
      static_assert(has_swizzles<B>);
      using Index = xsimd::batch<uint32_t, typename B::arch_type>;
      v = xsimd::swizzle(v, xsimd::make_batch_constant<Index, InOrder>());
    }
    v.store_unaligned(to[m]);
  }
}

}  // namespace strider::kernels::winograd_rows
