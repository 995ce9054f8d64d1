#pragma once
// The activations' fast formulas on one SIMD vector, shared by the element-wise kernel
// (activation_simd.cpp) and the convolutions' epilogue (epilogue_simd.hpp). Internal to the kernel
// translation units, which include it with their arch's flags.
//
// Float arithmetic throughout. On vectors, exp, expm1, log1p and gelu's erf are the range-restricted
// versions of ops/activation_math.hpp (tanh from expm1), celu's expm1 xsimd's; the scalar level uses std::.
// Forms chosen to avoid cancellation against the double reference: gelu_tanh = x · sigmoid(2u) (not
// 1 + tanh(u)), elu/selu/celu use expm1, softplus = max(z, 0) + log1p(exp(-|z|)); gelu's 1 + erf(z) keeps
// its cancellation on vectors, for speed (activation_math.hpp). The measured error bounds are in
// ops/activation.hpp.
#include <cmath>
#include <cstdint>
#include <numbers>
#include <type_traits>

#include "../core/simd_batch.hpp"
#include "activation.hpp"
#include "activation_math.hpp"

namespace strider::kernels {

// Applies `a` to n contiguous floats (in may be out), with `slope` as PReLU's weight. Thread-free.
template <class Arch>
void activate_span(const Activation& a, float slope, const float* in, float* out, int64_t n) noexcept;

namespace activation_detail {

inline float where(bool m, float a, float b) { return m ? a : b; }
template <class M, class T>
T where(const M& m, const T& a, const T& b) {
  return xsimd::select(m, a, b);
}

// clamp to [lo, hi] keeping NaN, as PyTorch's clamp.
template <class T>
T clamp(T x, T lo, T hi) {
  return where(x < lo, lo, where(x > hi, hi, x));
}

// exp(a) and e^a - 1 for a <= 0, log(1 + e) for e in [0, 1]: activation_math's on vectors, std:: at the
// scalar level.
inline float exp_nonpositive(float a) { return std::exp(a); }
template <class B>
[[gnu::always_inline]] inline B exp_nonpositive(B a) {
  return activation_math::exp_nonpositive(a);
}
inline float log1p_unit(float e) { return std::log1p(e); }
template <class B>
[[gnu::always_inline]] inline B log1p_unit(B e) {
  return activation_math::log1p_unit(e);
}
inline float expm1_nonpositive(float a) { return std::expm1(a); }
template <class B>
[[gnu::always_inline]] inline B expm1_nonpositive(B a) {
  return activation_math::expm1_nonpositive(a);
}

// |v| with x's sign bit.
inline float with_sign_of(float v, float x) { return std::copysign(v, x); }
template <class B>
[[gnu::always_inline]] inline B with_sign_of(B v, B x) {
  return xsimd::copysign(v, x);
}

// x · sigmoid(t), as x · e / (1 + e) with e = exp(t) for negative t, so exp never overflows; e is
// formed as s · s with s = exp(t/2), so that x · s · s keeps its value where e alone would be a denormal
// (silu at x < -87: the product is a normal float).
template <class T>
[[gnu::always_inline]] inline T times_sigmoid(T x, T t) {
  const T s = exp_nonpositive(T(-0.5f) * xsimd::abs(t));
  const T r = T(1.0f) / xsimd::fma(s, s, T(1.0f));
  return where(t < T(0.0f), x * s * (s * r), x * r);
}

// Calls f(std::integral_constant<Kind, kind>{}): a kernel's loop then runs one activation, known at
// compile time, instead of switching on the kind for every vector.
template <class F>
decltype(auto) with_kind(Activation::Kind kind, F&& f) {
  using Kind = Activation::Kind;
  switch (kind) {
    case Kind::relu: return f(std::integral_constant<Kind, Kind::relu>{});
    case Kind::leaky_relu: return f(std::integral_constant<Kind, Kind::leaky_relu>{});
    case Kind::prelu: return f(std::integral_constant<Kind, Kind::prelu>{});
    case Kind::sigmoid: return f(std::integral_constant<Kind, Kind::sigmoid>{});
    case Kind::tanh: return f(std::integral_constant<Kind, Kind::tanh>{});
    case Kind::elu: return f(std::integral_constant<Kind, Kind::elu>{});
    case Kind::selu: return f(std::integral_constant<Kind, Kind::selu>{});
    case Kind::celu: return f(std::integral_constant<Kind, Kind::celu>{});
    case Kind::gelu: return f(std::integral_constant<Kind, Kind::gelu>{});
    case Kind::gelu_tanh: return f(std::integral_constant<Kind, Kind::gelu_tanh>{});
    case Kind::hardsigmoid: return f(std::integral_constant<Kind, Kind::hardsigmoid>{});
    case Kind::hardswish: return f(std::integral_constant<Kind, Kind::hardswish>{});
    case Kind::silu: return f(std::integral_constant<Kind, Kind::silu>{});
    case Kind::clip: return f(std::integral_constant<Kind, Kind::clip>{});
    case Kind::softplus: return f(std::integral_constant<Kind, Kind::softplus>{});
    case Kind::identity: break;
  }
  return f(std::integral_constant<Kind, Kind::identity>{});
}

// Activation K (a.kind == K) at x. T is float (the scalar level) or an xsimd batch.
template <Activation::Kind K, class T>
[[gnu::always_inline]] inline T activate(T x, const Activation& a, float slope) {
  using Kind = Activation::Kind;
  const T zero(0.0f), one(1.0f);
  if constexpr (K == Kind::identity) return x;
  else if constexpr (K == Kind::relu) return where(x < zero, zero, x);
  else if constexpr (K == Kind::leaky_relu) return where(x > zero, x, x * T(a.alpha));
  else if constexpr (K == Kind::prelu) return where(x > zero, x, x * T(slope));
  else if constexpr (K == Kind::sigmoid) {
    // e / (1 + e) below 0 with e = exp(-|x|), 1 / (1 + e) above: no overflow, and where e is flushed
    // (x < -87.3) so is sigmoid(x) ≈ e. Cheaper than times_sigmoid's denormal-safe product.
    const T e = exp_nonpositive(-xsimd::abs(x)), r = one / (one + e);
    return where(x < zero, e * r, r);
  }
  else if constexpr (K == Kind::tanh) {
    // A vector whose lanes are all below 5/8 takes Cephes' odd polynomial x + x·s·p(s), s = x², as xsimd's
    // tanh does; any other tanh|x| = -u / (2 + u) with u = e^(-2|x|) - 1 (no cancellation: expm1 keeps
    // u's size near 0), the sign put back from x, where xsimd's tanh evaluated the polynomial, an exp and
    // a division.
    if constexpr (!std::is_same_v<T, float>) {
      if (xsimd::all(xsimd::abs(x) < T(0.625f))) {
        const T s = x * x;
        T p = xsimd::fma(T(-5.70498872745e-3f), s, T(2.06390887954e-2f));
        p = xsimd::fma(p, s, T(-5.37397155531e-2f));
        p = xsimd::fma(p, s, T(1.33314422036e-1f));
        p = xsimd::fma(p, s, T(-3.33332819422e-1f));
        return xsimd::fma(p * s, x, x);
      }
    }
    const T u = expm1_nonpositive(T(-2.0f) * xsimd::abs(x));
    return with_sign_of(-u / (T(2.0f) + u), x);
  }
  else if constexpr (K == Kind::elu) return where(x > zero, x, T(a.alpha) * expm1_nonpositive(x));
  else if constexpr (K == Kind::selu) {
    constexpr float alpha = 1.6732632423543772848170429916717f, scale = 1.0507009873554804934193349852946f;
    return T(scale) * where(x > zero, x, T(alpha) * expm1_nonpositive(x));
  } else if constexpr (K == Kind::celu) {
    return where(x > zero, x, T(a.alpha) * xsimd::expm1(x / T(a.alpha)));
  } else if constexpr (K == Kind::gelu) {
    if constexpr (std::is_same_v<T, float>)
      return 0.5f * x * std::erfc(x * -static_cast<float>(std::numbers::sqrt2 / 2));
    else
      return activation_math::gelu_erf(x);
  } else if constexpr (K == Kind::gelu_tanh) {
    const float k = static_cast<float>(2 * 0.7978845608028654);  // 2·√(2/π)
    return times_sigmoid(x, x * xsimd::fma(T(0.044715f * k) * x, x, T(k)));
  } else if constexpr (K == Kind::hardsigmoid) {
    return clamp(xsimd::fma(x, T(a.alpha), T(a.beta)), zero, one);
  } else if constexpr (K == Kind::hardswish) {
    return x * (clamp(x + T(3.0f), zero, T(6.0f)) / T(6.0f));  // x · 6 would overflow
  } else if constexpr (K == Kind::silu) {
    return times_sigmoid(x, x);
  } else if constexpr (K == Kind::clip) {
    return clamp(x, T(a.alpha), T(a.beta));
  } else {
    static_assert(K == Kind::softplus);
    // log(1 + e^z) = max(z, 0) + log(1 + e^-|z|): no overflow (log1p(exp(z)) gave inf from z > 88.7 under
    // a large threshold), one log1p on [0, 1]. 1/beta is exact for the usual beta (a power of 2).
    const T beta(a.beta), z = x * beta;
    const T log1p_exp = xsimd::max(z, zero) + log1p_unit(exp_nonpositive(-xsimd::abs(z)));
    return where(z > T(a.alpha), x, log1p_exp * (one / beta));
  }
}

}  // namespace activation_detail

// Activation K on one vector of B (Simd<Arch>::Batch, ScalarBatch at the scalar level).
template <Activation::Kind K, class B>
[[gnu::always_inline]] inline B activate(B x, const Activation& a, float slope) {
  if constexpr (std::is_same_v<B, ScalarBatch>) return {activation_detail::activate<K>(x.v, a, slope)};
  else return activation_detail::activate<K>(x, a, slope);
}

// PReLU with a slope per lane (where lanes are output channels, as in Winograd's output transform).
template <class B>
[[gnu::always_inline]] inline B prelu_lanes(B x, B slopes) {
  if constexpr (std::is_same_v<B, ScalarBatch>) return {activation_detail::where(x.v > 0.0f, x.v, x.v * slopes.v)};
  else return activation_detail::where(x > B(0.0f), x, x * slopes);
}

// `a` on one vector of B, whatever its kind (one switch per call).
template <class B>
B activate(B x, const Activation& a, float slope) {
  return activation_detail::with_kind(a.kind, [&](auto k) { return activate<decltype(k)::value>(x, a, slope); });
}

}  // namespace strider::kernels
