#pragma once
// The ×2 or ×4 upsampler of model.py, built from Strider's modules with PyTorch's parameter names, so that
// the weights train.py writes load by name. See model.py for the design: both enlarge ×2 in a first stage (up2,
// conv2); the ×2 model's tail is a 3×3 Conv2d, the ×4 model's a second ×2.
//
//   Upsampler model = load_upsampler("upsampler_x2.safetensors");
//   Tensor y = model(x);  // [N, 3, H, W], H and W even -> [N, 3, 2H, 2W]
#include <filesystem>
#include <memory>

#include "core/arena.hpp"
#include "nn/activation.hpp"
#include "nn/layers.hpp"
#include "nn/module.hpp"
#include "tiling.hpp"

namespace strider::upsampler {

class Upsampler : public nn::Module {
 public:
  static constexpr int64_t channels = 32;
  static constexpr int64_t stage_channels = 16;  // of the first ×2 stage
  // How far (in input pixels) an output pixel sees: the chain head ±1 → body ±1 → down → mid1 ±2·2 →
  // mid2 ±4·2 → up → fuse ±1 → refine ±1 → up2 → conv2 ±1/2 → tail, checked by tests/upsampler_test.cpp.
  static constexpr int receptive_radius = 20;

  // The 3x3 stride-1 layers follow default_conv_algorithm(): Winograd by default, 1.2x faster end to end.
  // Its rounding reaches a 4x4 block's whole 6x6 window, so the bits of an output then depend on inputs
  // past receptive_radius, and tiles match the whole image within rounding only; on the direct kernel
  // (set_default_conv_algorithm(ConvAlgorithm::direct), `upsample --exact`) they match it bit for bit.
  // `scale`: 2 or 4.
  explicit Upsampler(int scale = 2);
  int scale() const { return scale_; }
  Tensor forward(const Tensor& x) const override;
  std::string type_name() const override { return "Upsampler"; }

 private:
  static constexpr int64_t c = channels;
  // A call's activations, kept for the next calls (a tiler's tiles), grown when an input is larger: two
  // blocks for the full-resolution [N, C, H, W], the stage's [N, S, 2H, 2W] and tail's [N, 3, sH, sW],
  // and one half-resolution [N, 2C, H/2, W/2] (see forward()).
  struct Workspace {
    Tensor a, b, m;
  };
  std::unique_ptr<Pool<Workspace>> workspaces_ = std::make_unique<Pool<Workspace>>();
  int scale_;  // before the layers: base_ and tail_ are built from it
  nn::ConvTranspose2d& base_ = register_module(
      "base", nn::ConvTranspose2d(3, 3, 4 * scale_, {.stride = scale_, .padding = 3 * scale_ / 2, .groups = 3,
                                                     .bias = false}));
  nn::Conv2d& head_ = register_module("head", nn::Conv2d(3, c, 3, {.padding = 1}));
  nn::Conv2d& body_ = register_module("body", nn::Conv2d(c, c, 3, {.padding = 1}));
  nn::Conv2d& down_ = register_module("down", nn::Conv2d(c, 2 * c, 3, {.stride = 2, .padding = 1}));
  nn::Conv2d& mid1_ = register_module("mid1", nn::Conv2d(2 * c, 2 * c, 3, {.padding = 2, .dilation = 2}));
  nn::Conv2d& mid2_ = register_module("mid2", nn::Conv2d(2 * c, 2 * c, 3, {.padding = 4, .dilation = 4}));
  nn::ConvTranspose2d& up_ = register_module("up", nn::ConvTranspose2d(2 * c, c, 4, {.stride = 2, .padding = 1}));
  nn::Conv2d& fuse_ = register_module("fuse", nn::Conv2d(c, c, 3, {.padding = 1}));
  nn::Conv2d& refine_ = register_module("refine", nn::Conv2d(c, c, 3, {.padding = 1}));
  nn::ConvTranspose2d& up2_ =
      register_module("up2", nn::ConvTranspose2d(c, stage_channels, 4, {.stride = 2, .padding = 1}));
  nn::Conv2d& conv2_ = register_module("conv2", nn::Conv2d(stage_channels, stage_channels, 3, {.padding = 1}));
  // ×2: a 3×3 Conv2d at the output's size; ×4: a second ×2. Either writes base's [N, 3, sH, sW].
  nn::Module& tail_ =
      scale_ == 2 ? static_cast<nn::Module&>(register_module("tail", nn::Conv2d(stage_channels, 3, 3, {.padding = 1})))
                  : register_module("tail", nn::ConvTranspose2d(stage_channels, 3, 4, {.stride = 2, .padding = 1}));
};

// The model with the weights of a safetensors file, ×2 or ×4 as its base's kernel says (every key must match).
Upsampler load_upsampler(const std::filesystem::path& weights);
// The model as the tiler sees it; `model` must outlive the result.
TileModel as_tile_model(const Upsampler& model);

}  // namespace strider::upsampler
