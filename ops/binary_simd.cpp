// The arch-specific half of the element-wise arithmetic (compiled once per SIMD level, as
// conv_kernel_simd.cpp).
#include <algorithm>
#include <type_traits>

#include "../core/simd_batch.hpp"
#include "binary.hpp"

namespace strider::kernels {

namespace {

using Arch = STRIDER_KERNEL_ARCH;
using B = Simd<Arch>::Batch;
constexpr int64_t V = B::size;

B load(const float* p, int64_t step) { return step ? B::load_unaligned(p) : B(*p); }

// out[i] = f(a[i·a_step], b[i·b_step]); with `stream`, the whole vectors from out's first vector-aligned
// element on go past the caches, fenced before the task ends (its completion publishes the output).
template <class F>
void run(F f, const float* a, int64_t a_step, const float* b, int64_t b_step, float* out, int64_t n,
         bool stream = false) {
  int64_t i = 0;
  if (stream) {
    const auto misaligned = reinterpret_cast<std::uintptr_t>(out) / sizeof(float) % V;
    const int64_t head = std::min<int64_t>(n, misaligned ? V - static_cast<int64_t>(misaligned) : 0);
    run(f, a, a_step, b, b_step, out, head);
    for (i = head; i + V <= n; i += V)
      store_stream(f(load(a + i * a_step, a_step), load(b + i * b_step, b_step)), out + i);
    _mm_sfence();
  }
  for (; i + V <= n; i += V) f(load(a + i * a_step, a_step), load(b + i * b_step, b_step)).store_unaligned(out + i);
  if (i == n) return;
  float la[V] = {}, lb[V] = {}, lanes[V];  // the tail through zero-padded vectors
  for (int64_t l = 0; i + l < n; ++l) {
    la[l] = a[(i + l) * a_step];
    lb[l] = b[(i + l) * b_step];
  }
  f(B::load_unaligned(la), B::load_unaligned(lb)).store_unaligned(lanes);
  std::copy(lanes, lanes + (n - i), out + i);
}

}  // namespace

template <class A>
void binary_span(BinaryOp op, const float* a, int64_t a_step, const float* b, int64_t b_step, float* out,
                 int64_t n, bool stream) noexcept {
  static_assert(std::is_same_v<A, Arch>, "this TU holds the kernels of one arch");
  switch (op) {
    case BinaryOp::add: return run([](B x, B y) { return x + y; }, a, a_step, b, b_step, out, n, stream);
    case BinaryOp::sub: return run([](B x, B y) { return x - y; }, a, a_step, b, b_step, out, n, stream);
    case BinaryOp::mul: return run([](B x, B y) { return x * y; }, a, a_step, b, b_step, out, n, stream);
    case BinaryOp::div: return run([](B x, B y) { return x / y; }, a, a_step, b, b_step, out, n, stream);
  }
}

template <class A>
void affine_span(const float* in, float scale, float shift, float* out, int64_t n) noexcept {
  static_assert(std::is_same_v<A, Arch>, "this TU holds the kernels of one arch");
  const float none = 0.0f;
  const B s(scale), t(shift);
  run([&](B x, B) { return fma(x, s, t); }, in, 1, &none, 0, out, n);
}

template void affine_span<Arch>(const float*, float, float, float*, int64_t) noexcept;
template void binary_span<Arch>(BinaryOp, const float*, int64_t, const float*, int64_t, float*, int64_t,
                                 bool) noexcept;

}  // namespace strider::kernels
