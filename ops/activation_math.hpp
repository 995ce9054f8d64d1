#pragma once
// Vectorised float exp, expm1, log1p and erf for the activations (ops/activation_simd.hpp), on xsimd
// batches; internal to the kernel translation units. xsimd's own exp, expm1, log1p and erfc are general:
// range checks on every call, an integer ldexp, and erfc evaluates both of its polynomials and an exp for
// any vector that mixes arguments below 2/3 and above. The activations only need each function on a known
// range, so these skip the checks: on AVX2, softplus takes 0.46 of its time with xsimd's functions, elu
// 0.55, sigmoid 0.78, silu 0.9 (bench/RESULTS.md).
//
// The kernels' error bounds (measured over the whole float range) are stated in ops/activation.hpp.
#include <cstdint>

#include <xsimd/xsimd.hpp>

namespace strider::kernels::activation_math {

// Below this exp(a) is under the smallest normal float: the callers flush it to 0.
constexpr float exp_floor = -87.3365448f;  // log(2^-126)

// exp(a) and its factor 2^k, for a <= 0, without range checks: below exp_floor the result is garbage
// (the callers select it away). Cody-Waite reduction a = k·ln2 + r, |r| <= ln2/2, with ln2's high part
// of 9 bits so that k·ln2_hi is exact even without an FMA; 2^k from the bits of the rounding sum (k + 127
// lands in the low mantissa bits of 1.5·2^23 + 127 + a·log2 e, one shift moves it into the exponent).
// e^r - 1 = r + r²·g(r), g of degree 4 minimax on [-ln2/2, ln2/2] (1e-8 relative to e^r, float
// coefficients included).
template <class B>
struct ExpParts {
  B scale;  // 2^k
  B em1;    // e^r - 1, to full relative precision
};
template <class B>
[[gnu::always_inline]] inline ExpParts<B> exp_parts(B a) {
  using I = xsimd::batch<int32_t, typename B::arch_type>;
  constexpr float magic = 0x1.8p23f + 127.0f;
  const B z = xsimd::fma(a, B(1.44269504f), B(magic));
  const B k = z - B(magic);
  B r = xsimd::fnma(k, B(0.693359375f), a);
  r = xsimd::fnma(k, B(-2.12194440e-4f), r);
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

// gelu's erf form, x/2 · (1 + erf(z)) with z = x/√2, as PyTorch, oneDNN and XNNPACK write it: erf(z) =
// x·P(x²)/Q(x²) over |x| <= 5.5, P and Q of degree 5 fitted minimax for absolute error (1.4e-8, float
// coefficients included; Q(0) = 1). 14 multiplies and FMAs and one division: half the time of the
// exp-based form this replaced (23 and a division), which kept every ulp in the negative tail, where
// 1 + erf(z) cancels and the error is absolute instead, a few ulps of x (the bound is in
// ops/activation.hpp). x is clamped at ±c, the largest float below 5.5 where
// the quotient rounds to exactly ±1 with and without FMA, so beyond it gelu is exactly x or 0. NaN and
// ±inf pass through x/2: NaN gives NaN, inf gives inf and -inf the reference's NaN (-inf/2 · 0).
template <class B>
[[gnu::always_inline]] inline B gelu_erf(B x) {
  const B c(5.49999905f);
  const B z = xsimd::max(xsimd::min(x, c), -c), t = z * z;
  B p = xsimd::fma(B(4.549866262e-08f), t, B(1.270425946e-05f));
  p = xsimd::fma(p, t, B(3.376539098e-04f));
  p = xsimd::fma(p, t, B(9.354537353e-03f));
  p = xsimd::fma(p, t, B(6.770553440e-02f));
  p = xsimd::fma(p, t, B(7.978844643e-01f));
  B q = xsimd::fma(B(1.197503821e-06f), t, B(7.364792691e-05f));
  q = xsimd::fma(q, t, B(1.884452067e-03f));
  q = xsimd::fma(q, t, B(2.864594199e-02f));
  q = xsimd::fma(q, t, B(2.515222132e-01f));
  q = xsimd::fma(q, t, B(1.0f));
  const B half_x = x * B(0.5f);
  return xsimd::fma(half_x, z * p / q, half_x);
}

}  // namespace strider::kernels::activation_math
