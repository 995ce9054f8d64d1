#pragma once
// torch.nn.functional.pixel_shuffle / pixel_unshuffle on [N, C, H, W] or [C, H, W] (the sub-pixel
// convolution's rearrangement; a pure permutation, so exact):
//   pixel_shuffle:   [N, C·r², H, W] -> [N, C, H·r, W·r],  y[n, c, h·r + i, w·r + j] = x[n, c·r² + i·r + j, h, w]
//   pixel_unshuffle: the inverse, [N, C, H·r, W·r] -> [N, C·r², H, W].
// depth_to_space_dcr is ONNX's DepthToSpace in DCR mode (its CRD mode is pixel_shuffle), on [N, C·r², H, W]:
//   y[n, c, h·r + i, w·r + j] = x[n, (i·r + j)·C + c, h, w]
#include <cstdint>

#include "../core/tensor.hpp"

namespace strider {

Tensor pixel_shuffle(const Tensor& input, int64_t upscale_factor);
Tensor pixel_unshuffle(const Tensor& input, int64_t downscale_factor);
Tensor depth_to_space_dcr(const Tensor& input, int64_t blocksize);

}  // namespace strider
