#pragma once
// Joining two branches, as a U-Net's skip connections do: torch.cat and elementwise addition.
//
//   Tensor y = cat({up, skip}, 1);  // [N, C1, H, W] and [N, C2, H, W] -> [N, C1 + C2, H, W]
//   Tensor z = add(x, residual);    // same shapes (no broadcasting)
#include <functional>
#include <initializer_list>

#include "../core/tensor.hpp"

namespace strider {

// torch.cat(tensors, dim): equal ranks, equal sizes except along dim (negative counts from the end;
// PyTorch's default 0 — a U-Net joins channels with dim = 1).
Tensor cat(std::initializer_list<std::reference_wrapper<const Tensor>> tensors, int dim = 0);
// a + b (torch.add without broadcasting: the shapes must be equal). Exact: one float rounding, as PyTorch.
Tensor add(const Tensor& a, const Tensor& b);

}  // namespace strider
