#include "upsampler_model.hpp"

#include "core/safetensors.hpp"
#include "ops/join.hpp"

namespace strider::upsampler {

Upsampler::Upsampler() {
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
  return add(base_(x), tail_(add(d, refine_.op().forward(d, act))));      // [N, 3, 2H, 2W]
}

Upsampler load_upsampler(const std::filesystem::path& weights) {
  Upsampler model;
  model.load_state_dict(load_safetensors(weights));
  return model;
}

TileModel as_model_x2(const Upsampler& model) {
  return {[&model](const Tensor& x) { return model(x); }, Upsampler::receptive_radius};
}

}  // namespace strider::upsampler
