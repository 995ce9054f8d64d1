#include "upsampler_model.hpp"

#include "core/check.hpp"
#include "core/safetensors.hpp"
#include "ops/join.hpp"

namespace strider::upsampler {

Upsampler::Upsampler(int scale) : scale_(scale) {
  check(scale == 2 || scale == 4, "Upsampler: scale must be 2 or 4, but got ", scale);
  for (nn::Conv2d* conv : {&head_, &body_, &down_, &mid1_, &mid2_, &fuse_, &refine_})
    conv->op().set_algorithm(ConvAlgorithm::direct);
}

Tensor Upsampler::forward(const Tensor& x) const {
  // Each convolution's LeakyReLU(0.1) is fused into its store, as act(conv(x)) in model.py.
  const Epilogue act = Epilogue::leaky_relu(0.1f);
  const Tensor h = head_.op().forward(x, act);
  const Tensor f = add(h, body_.op().forward(h, act));                    // [N, C, H, W]
  const Tensor e = down_.op().forward(f, act);                            // [N, 2C, H/2, W/2]
  const Tensor m = add(e, mid2_.op().forward(mid1_.op().forward(e, act), act));
  const Tensor d = fuse_.op().forward(add(up_.op().forward(m, act), f), act);  // [N, C, H, W]
  return add(base_(x), tail_(add(d, refine_.op().forward(d, act))));      // [N, 3, sH, sW]
}

Upsampler load_upsampler(const std::filesystem::path& weights) {
  const Safetensors file = load_safetensors(weights);
  // tail: ConvTranspose2d(C, 3, 2s, stride s): its kernel says the scale.
  const auto tail = file.tensors.find("tail.weight");
  const int64_t kernel = tail == file.tensors.end() || tail->second.rank() != 4 ? 0 : tail->second.size(3);
  check(kernel == 4 || kernel == 8, "'", weights.string(), "': not upsampler weights (tail.weight must be [",
        Upsampler::channels, ", 3, 4, 4] for ×2 or [", Upsampler::channels, ", 3, 8, 8] for ×4)");
  Upsampler model(static_cast<int>(kernel / 2));
  model.load_state_dict(file);
  return model;
}

TileModel as_tile_model(const Upsampler& model) {
  return {[&model](const Tensor& x) { return model(x); }, Upsampler::receptive_radius, model.scale()};
}

}  // namespace strider::upsampler
