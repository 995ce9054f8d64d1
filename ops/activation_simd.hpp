#pragma once
// The activations' fast formulas on one SIMD vector, shared by the element-wise kernel
// (activation_simd.cpp) and the convolutions' epilogue (epilogue_simd.hpp). Internal to the kernel
// translation units, which include it with their arch's flags.
//
// Float arithmetic throughout; exp, expm1, log1p, tanh and erfc are xsimd's vectorised float versions
// (std:: at the scalar level). Forms chosen to avoid cancellation against the double reference:
// gelu = x/2 · erfc(-x/√2) (not 1 + erf), gelu_tanh = x · sigmoid(2u) (not 1 + tanh(u)),
// elu/selu/celu use expm1. The measured error bounds are in ops/activation.hpp.
#include <cstdint>
#include <numbers>
#include <type_traits>

#include "../core/simd_batch.hpp"
#include "activation.hpp"

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

// x · sigmoid(t), as x · e / (1 + e) with e = exp(t) for negative t, so exp never overflows; e is
// formed as s · s with s = exp(t/2), so that x · s · s keeps its value where e alone would be a denormal
// (silu at x < -87: the product is a normal float).
template <class T>
T times_sigmoid(T x, T t) {
  const T s = xsimd::exp(T(-0.5f) * xsimd::abs(t));
  const T r = T(1.0f) / xsimd::fma(s, s, T(1.0f));
  return where(t < T(0.0f), x * s * (s * r), x * r);
}

// T is float (the scalar level) or an xsimd batch.
template <class T>
T activate(T x, const Activation& a, float slope) {
  using Kind = Activation::Kind;
  const T zero(0.0f), one(1.0f);
  switch (a.kind) {
    case Kind::identity: return x;
    case Kind::relu: return where(x < zero, zero, x);
    case Kind::leaky_relu: return where(x > zero, x, x * T(a.alpha));
    case Kind::prelu: return where(x > zero, x, x * T(slope));
    case Kind::sigmoid: return times_sigmoid(one, x);
    case Kind::tanh: return xsimd::tanh(x);
    case Kind::elu: return where(x > zero, x, T(a.alpha) * xsimd::expm1(x));
    case Kind::selu: {
      constexpr float alpha = 1.6732632423543772848170429916717f, scale = 1.0507009873554804934193349852946f;
      return T(scale) * where(x > zero, x, T(alpha) * xsimd::expm1(x));
    }
    case Kind::celu: return where(x > zero, x, T(a.alpha) * xsimd::expm1(x / T(a.alpha)));
    case Kind::gelu: {
      const T half(0.5f);
      return half * x * xsimd::erfc(x * T(-static_cast<float>(std::numbers::sqrt2 / 2)));
    }
    case Kind::gelu_tanh: {
      const float k = static_cast<float>(2 * 0.7978845608028654);  // 2·√(2/π)
      return times_sigmoid(x, x * xsimd::fma(T(0.044715f * k) * x, x, T(k)));
    }
    case Kind::hardsigmoid: return clamp(xsimd::fma(x, T(a.alpha), T(a.beta)), zero, one);
    case Kind::hardswish: return x * (clamp(x + T(3.0f), zero, T(6.0f)) / T(6.0f));  // x · 6 would overflow
    case Kind::silu: return times_sigmoid(x, x);
    case Kind::clip: return clamp(x, T(a.alpha), T(a.beta));
    case Kind::softplus: {
      const T beta(a.beta);
      return where(x * beta > T(a.alpha), x, xsimd::log1p(xsimd::exp(beta * x)) / beta);
    }
  }
  return x;
}

}  // namespace activation_detail

// `a` on one vector of B (Simd<Arch>::Batch, ScalarBatch at the scalar level).
template <class B>
B activate(B x, const Activation& a, float slope) {
  if constexpr (std::is_same_v<B, ScalarBatch>) return {activation_detail::activate(x.v, a, slope)};
  else return activation_detail::activate(x, a, slope);
}

}  // namespace strider::kernels
