// The arch-specific half of the element-wise activations (compiled once per SIMD level, as
// conv_kernel_simd.cpp): full vectors, then the tail through a zero-padded vector.
#include <algorithm>
#include <type_traits>

#include "activation_simd.hpp"

namespace strider::kernels {

namespace {

using Arch = STRIDER_KERNEL_ARCH;
using B = Simd<Arch>::Batch;
constexpr int64_t V = B::size;

}  // namespace

template <class A>
void activate_span(const Activation& a, float slope, const float* in, float* out, int64_t n) noexcept {
  static_assert(std::is_same_v<A, Arch>, "this TU holds the kernels of one arch");
  int64_t i = 0;
  for (; i + V <= n; i += V) activate(B::load_unaligned(in + i), a, slope).store_unaligned(out + i);
  if (i < n) {
    float lanes[V] = {};
    std::copy(in + i, in + n, lanes);
    activate(B::load_unaligned(lanes), a, slope).store_unaligned(lanes);
    std::copy(lanes, lanes + (n - i), out + i);
  }
}

template void activate_span<Arch>(const Activation&, float, const float*, float*, int64_t) noexcept;

}  // namespace strider::kernels
