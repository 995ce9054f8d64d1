#include "upsampler_model.hpp"

#include "core/safetensors.hpp"
#include "ops/join.hpp"

namespace strider::upsampler {

Tensor Upsampler::forward(const Tensor& x) const {
  // Each convolution's ReLU is fused into its store (Epilogue::relu), as F.relu(conv(x)) in model.py.
  const Epilogue relu = Epilogue::relu();
  const Tensor h = head_.op().forward(x, relu);
  const Tensor f = add(h, body_.op().forward(h, relu));                    // [N, C, H, W]
  const Tensor e = down_.op().forward(f, relu);                            // [N, 2C, H/2, W/2]
  const Tensor m = add(e, mid2_.op().forward(mid1_.op().forward(e, relu), relu));
  const Tensor d = fuse_.op().forward(add(up_.op().forward(m, relu), f), relu);  // [N, C, H, W]
  return add(base_(x), tail_(add(d, refine_.op().forward(d, relu))));      // [N, 3, 2H, 2W]
}

Upsampler load_upsampler(const std::filesystem::path& weights) {
  Upsampler model;
  model.load_state_dict(load_safetensors(weights));
  return model;
}

ModelX2 as_model_x2(const Upsampler& model) {
  return {[&model](const Tensor& x) { return model(x); }, Upsampler::receptive_radius};
}

}  // namespace strider::upsampler
