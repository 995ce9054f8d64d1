#pragma once
// Joining two branches, as a U-Net's skip connections do: torch.cat and elementwise addition.
//
//   Tensor y = cat({up, skip}, 1);  // [N, C1, H, W] and [N, C2, H, W] -> [N, C1 + C2, H, W]
//   Tensor z = add(x, residual);    // same shapes (no broadcasting)
#include <initializer_list>
#include <span>

#include "../core/tensor.hpp"

namespace strider {

// One tensor of cat's list. Unlike std::reference_wrapper it binds to temporaries too, so that
// cat({up(x), skip}, 1) reads as in PyTorch (a temporary lives until cat returns).
struct CatInput {
  CatInput(const Tensor& t) : tensor(t) {}
  const Tensor& tensor;
};

// torch.cat(tensors, dim): equal ranks, equal sizes except along dim (negative counts from the end;
// PyTorch's default 0 — a U-Net joins channels with dim = 1).
Tensor cat(std::initializer_list<CatInput> tensors, int dim = 0);
// The same for a list built at run time (a graph node with any number of inputs).
Tensor cat(std::span<const Tensor* const> tensors, int dim = 0);
// a + b (torch.add without broadcasting: the shapes must be equal). Exact: one float rounding, as PyTorch.
Tensor add(const Tensor& a, const Tensor& b);

}  // namespace strider
