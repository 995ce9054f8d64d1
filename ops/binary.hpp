#pragma once
// Element-wise arithmetic with numpy broadcasting (torch.add / sub / mul / div on float tensors):
// the shapes are aligned at their last axes, and an axis of size 1 stretches to the other's size.
//
//   Tensor y = binary(BinaryOp::mul, x, scale);   // [N, C, H, W] · [C, 1, 1]
//
// One float rounding per value, as PyTorch: the fast kernel (binary_simd.cpp: vectors over the longest
// run in which each operand is contiguous or one repeated value, threaded) gives the reference's bits.
#include "../core/tensor.hpp"

namespace strider {

enum class BinaryOp { add, sub, mul, div };

// The broadcast shape of a and b, or std::invalid_argument naming `op` and both shapes.
Shape broadcast_shape(const Shape& a, const Shape& b, const char* op);

Tensor binary(BinaryOp op, const Tensor& a, const Tensor& b);
// The definition, value by value through the broadcast indices.
Tensor binary_reference(BinaryOp op, const Tensor& a, const Tensor& b);

namespace kernels {
// out[i] = a[i·a_step] op b[i·b_step] for i < n (steps 0 or 1); with `stream`, written past the caches
// (non-temporal stores). Thread-free.
template <class Arch>
void binary_span(BinaryOp op, const float* a, int64_t a_step, const float* b, int64_t b_step, float* out,
                 int64_t n, bool stream) noexcept;
// out[i] = in[i] · scale + shift for i < n (an FMA where the level has one). Thread-free.
template <class Arch>
void affine_span(const float* in, float scale, float shift, float* out, int64_t n) noexcept;
}  // namespace kernels

}  // namespace strider
