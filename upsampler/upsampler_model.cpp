#include "upsampler_model.hpp"

#include <algorithm>

#include "core/check.hpp"
#include "core/safetensors.hpp"

namespace strider::upsampler {

Upsampler::Upsampler(int scale) : scale_(scale) {
  check(scale == 2 || scale == 4, "Upsampler: scale must be 2 or 4, but got ", scale);
}

namespace {

// layer(input, epilogue), its output placed at `at` (a workspace block with room for it) instead of newly
// allocated memory: a tile's activations are page-faulted in once, not on every call.
template <class Layer>
Tensor run_into(float* at, const Layer& layer, const Tensor& input, const Epilogue& epilogue) {
  return run_in_slot(at, layer.output_shape(input.shape()).numel(), [&] { return layer.forward(input, epilogue); });
}

}  // namespace

Tensor Upsampler::forward(const Tensor& x) const {
  // act(conv(x)), LeakyReLU(0.1) as in model.py, and each skip's add are fused into the convolutions'
  // stores. Where each activation lives, by the time it is written (a, b: full resolution, m: half):
  //   a: h          b: f = h + act(body(h))      a: e | t (halves)    m: e + act(mid2(t))
  //   a: up + f     b: d = act(fuse(.))          a: d + act(refine(d))
  //   b: g = act(up2(.))   a: g + act(conv2(g))     b: tail(.)
  const Epilogue act = Epilogue::leaky_relu(0.1f);
  const auto with_skip = [&act](const Tensor& skip) { return Epilogue(act).then_residual(&skip); };
  auto workspace = workspaces_->take();
  const Shape full_shape = head_.op().output_shape(x.shape());
  const int64_t full = arena_floats(full_shape.numel());
  const int64_t half = arena_floats(down_.op().output_shape(full_shape).numel());
  const int64_t out_numel = base_.op().output_shape(x.shape()).numel();  // [N, 3, sH, sW]
  const int64_t out = arena_floats(out_numel);
  const int64_t stage = arena_floats(up2_.op().output_shape(full_shape).numel());  // [N, S, 2H, 2W]
  reserve_arena(workspace->a, std::max({full, 2 * half, stage}));
  reserve_arena(workspace->b, std::max({full, out, stage}));
  reserve_arena(workspace->m, half);
  float* const a = workspace->a.data();
  float* const b = workspace->b.data();
  const Tensor h = run_into(a, head_.op(), x, act);
  const Tensor f = run_into(b, body_.op(), h, with_skip(h));    // [N, C, H, W]
  const Tensor e = run_into(a, down_.op(), f, act);             // [N, 2C, H/2, W/2]
  const Tensor t = run_into(a + half, mid1_.op(), e, act);
  const Tensor m = run_into(workspace->m.data(), mid2_.op(), t, with_skip(e));
  const Tensor u = run_into(a, up_.op(), m, with_skip(f));      // [N, C, H, W]
  const Tensor d = run_into(b, fuse_.op(), u, act);
  const Tensor r = run_into(a, refine_.op(), d, with_skip(d));
  const Tensor g = run_into(b, up2_.op(), r, act);              // [N, S, 2H, 2W]
  const Tensor s = run_into(a, conv2_.op(), g, with_skip(g));
  // base(x) + tail(s), the add fused into base, the layer that loses least by running per phase as a fused
  // residual makes it (measured: as fast as a separate add, a [N, 3, sH, sW] tensor less). tail's output
  // goes to b, free again by then: allocated per call, it was page-faulted anew on every tile.
  const Tensor y = run_in_slot(b, out_numel, [&] { return tail_(s); });
  return base_.op().forward(x, Epilogue().then_residual(&y));  // [N, 3, sH, sW]
}

Upsampler load_upsampler(const std::filesystem::path& weights) {
  const Safetensors file = load_safetensors(weights);
  // base: ConvTranspose2d(3, 3, 4s, stride s, groups 3): its kernel says the scale.
  const auto base = file.tensors.find("base.weight");
  const int64_t kernel = base == file.tensors.end() || base->second.rank() != 4 ? 0 : base->second.size(3);
  check(kernel == 8 || kernel == 16, "'", weights.string(),
        "': not upsampler weights (base.weight must be [3, 1, 8, 8] for ×2 or [3, 1, 16, 16] for ×4)");
  Upsampler model(static_cast<int>(kernel / 4));
  model.load_state_dict(file);
  return model;
}

TileModel as_tile_model(const Upsampler& model) {
  return {[&model](const Tensor& x) { return model(x); }, Upsampler::receptive_radius, model.scale()};
}

}  // namespace strider::upsampler
