#pragma once
// Vectorised float exp, expm1, log1p and Φ for the activations (ops/activation_simd.hpp), on xsimd
// batches; internal to the kernel translation units. xsimd's own exp, expm1, log1p and erfc are general:
// range checks on every call, an integer ldexp, and erfc evaluates both of its polynomials and an exp for
// any vector that mixes arguments below 2/3 and above. The activations only need each function on a known
// range, so these skip the checks: on AVX2, gelu takes 0.45 of its time with xsimd's erfc, softplus
// 0.46, elu 0.55, sigmoid 0.78, silu 0.9 (bench/RESULTS.md).
//
// The kernels' error bounds (measured over the whole float range) are stated in ops/activation.hpp.
#include <cstdint>

#include <xsimd/xsimd.hpp>

namespace strider::kernels::activation_math {

// Below this exp(a) is under the smallest normal float: the callers flush it to 0.
constexpr float exp_floor = -87.3365448f;  // log(2^-126)

// exp(a + b) and its factor 2^k, for a <= 0 (b a low-order correction, |b| < 2^-20 · |a| + 2^-20),
// without range checks: below exp_floor the result is garbage (the callers select it away). Cody-Waite
// reduction a + b = k·ln2 + r, |r| <= ln2/2, with ln2's high part of 9 bits so that k·ln2_hi is exact
// even without an FMA; 2^k from the bits of the rounding sum (k + 127 lands in the low mantissa bits of
// 1.5·2^23 + 127 + a·log2 e, one shift moves it into the exponent). e^r - 1 = r + r²·g(r), g of degree
// 4 minimax on [-ln2/2, ln2/2] (1e-8 relative to e^r, float coefficients included).
template <class B>
struct ExpParts {
  B scale;  // 2^k
  B em1;    // e^r - 1, to full relative precision
};
template <class B>
[[gnu::always_inline]] inline ExpParts<B> exp_parts(B a, const B* b = nullptr) {
  using I = xsimd::batch<int32_t, typename B::arch_type>;
  constexpr float magic = 0x1.8p23f + 127.0f;
  const B z = xsimd::fma(a, B(1.44269504f), B(magic));
  const B k = z - B(magic);
  B r = xsimd::fnma(k, B(0.693359375f), a);
  r = xsimd::fnma(k, B(-2.12194440e-4f), r);
  if (b != nullptr) r += *b;
  B p = xsimd::fma(B(1.390583697e-3f), r, B(8.362962864e-3f));
  p = xsimd::fma(p, r, B(4.166676104e-2f));
  p = xsimd::fma(p, r, B(1.666657925e-1f));
  p = xsimd::fma(p, r, B(0.5f));
  return {xsimd::bitwise_cast<B>(xsimd::bitwise_cast<I>(z) << 23), r * xsimd::fma(p, r, B(1.0f))};
}

// exp(a) for a <= 0 (any, NaN propagates), flushed to 0 below the smallest normal float.
template <class B>
[[gnu::always_inline]] inline B exp_nonpositive(B a) {
  const ExpParts<B> e = exp_parts(a);
  return xsimd::select(a < B(exp_floor), B(0.0f), xsimd::fma(e.scale, e.em1, e.scale));
}

// e^x - 1 for x <= 0 (any, NaN propagates): 2^k · (e^r - 1) + (2^k - 1), exact where k = 0 (|x| <= ln2/2,
// where e^x - 1 is x's size) and without cancellation below.
template <class B>
[[gnu::always_inline]] inline B expm1_nonpositive(B x) {
  const ExpParts<B> e = exp_parts(xsimd::select(x < B(exp_floor), B(exp_floor), x));
  return xsimd::fma(e.scale, e.em1, e.scale - B(1.0f));
}

// log(1 + e) for e in [0, 1]: 2·atanh(s) with s = e / (2 + e) in [0, 1/3], whose odd series 2s + s³·p(s²)
// has no cancellation for small e. p: degree 4 in s² on [0, 1/9], 2e-9 relative after float rounding.
template <class B>
[[gnu::always_inline]] inline B log1p_unit(B e) {
  const B s = e / (B(2.0f) + e), s2 = s * s;
  B p = xsimd::fma(B(2.323354632e-1f), s2, B(2.170453519e-1f));
  p = xsimd::fma(p, s2, B(2.859250009e-1f));
  p = xsimd::fma(p, s2, B(3.999970257e-1f));
  p = xsimd::fma(p, s2, B(6.666666865e-1f));
  return xsimd::fma(s * s2, p, s + s);
}

// gelu's erf form, x·Φ(x), Φ the normal distribution. With u = |x|, x·Φ(-x) = h·E where E = exp(-u²/2)
// and h = u·erfc(u/√2)·exp(u²/2)/2, smooth: fitted as s·P(s) over s = u/(3 + u) in [0, 13.15/16.15]
// (degree 8, 4e-8 relative, float coefficients included; in s rather than 1/(1 + u/3), which near u = 0
// would lose u's low bits to the rounding of a value near 1). u² is split exactly (hi + lo, with an FMA)
// so that E carries no error from rounding the square: the tails are as good as the centre. Then
// gelu(x) = max(x, 0) - h·E in one FMA: no cancellation on either side. u is clamped at 13.15, where
// |gelu(-u)| is below the smallest normal float (x < -13.15 gives that denormal, counted as 0). The base
// x - min(x, 0) keeps the reference's NaN at -inf (-inf · erfc(inf)) and inf at inf.
template <class B>
[[gnu::always_inline]] inline B gelu_erf(B x) {
  const B u = xsimd::min(xsimd::abs(x), B(13.15f)), v = u * B(-0.5f);
  const B hi = u * v, lo = xsimd::fms(u, v, hi);  // -u²/2, exactly (v is)
  const ExpParts<B> exp = exp_parts(hi, &lo);      // hi >= -86.5: no flush
  const B e = xsimd::fma(exp.scale, exp.em1, exp.scale);
  const B s = u / (B(3.0f) + u);
  B p = xsimd::fma(B(-7.039576769e-2f), s, B(1.645652205e-1f));
  p = xsimd::fma(p, s, B(-1.412878837e-2f));
  p = xsimd::fma(p, s, B(-1.070071012e-1f));
  p = xsimd::fma(p, s, B(-2.591701150e-1f));
  p = xsimd::fma(p, s, B(2.063256055e-1f));
  p = xsimd::fma(p, s, B(1.069150805e+0f));
  p = xsimd::fma(p, s, B(-2.090485096e+0f));
  p = xsimd::fma(p, s, B(1.5f));
  const B h = s * p;
  return xsimd::fnma(h, e, x - xsimd::min(x, B(0.0f)));
}

}  // namespace strider::kernels::activation_math
