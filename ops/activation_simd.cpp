// The arch-specific half of the element-wise activations (compiled once per SIMD level, as
// conv_kernel_simd.cpp): full vectors, then the tail through a zero-padded vector; one loop per kind, so
// the activation is inlined into it.
#include <algorithm>
#include <type_traits>

#include "activation_simd.hpp"

namespace strider::kernels {

namespace {

using Arch = STRIDER_KERNEL_ARCH;
using B = Simd<Arch>::Batch;
constexpr int64_t V = B::size;

// One activation's loop. `a` is copied without its weights: a local that no store can alias, so its
// parameters stay in registers.
template <Activation::Kind K>
void activate_kind_span(const Activation& activation, float slope, const float* in, float* out, int64_t n) {
  const Activation a(activation.kind, activation.alpha, activation.beta);
  int64_t i = 0;
  for (; i + V <= n; i += V) activate<K>(B::load_unaligned(in + i), a, slope).store_unaligned(out + i);
  if (i < n) {
    float lanes[V] = {};
    std::copy(in + i, in + n, lanes);
    activate<K>(B::load_unaligned(lanes), a, slope).store_unaligned(lanes);
    std::copy(lanes, lanes + (n - i), out + i);
  }
}

}  // namespace

template <class A>
void activate_span(const Activation& a, float slope, const float* in, float* out, int64_t n) noexcept {
  static_assert(std::is_same_v<A, Arch>, "this TU holds the kernels of one arch");
  activation_detail::with_kind(a.kind, [&](auto k) { activate_kind_span<decltype(k)::value>(a, slope, in, out, n); });
}

template void activate_span<Arch>(const Activation&, float, const float*, float*, int64_t) noexcept;

}  // namespace strider::kernels
