#include "onnx_upsampler.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include <opencv2/imgproc.hpp>

#include "core/check.hpp"
#include "onnx/onnx_model.hpp"

namespace strider::upsampler {
namespace {

constexpr int64_t probe_size = 64;  // even: the tiler's tiles are

int64_t model_channels(const OnnxConvention& convention) { return convention.channels == "y" ? 1 : 3; }

// The tiler's [1, 3, h, w] RGB in [0, 1] as the model takes it: channel order and range; for "y" the
// tiler enlarges the luma plane alone, a grey image whose three channels are equal.
Tensor to_model(const Tensor& x, const OnnxConvention& convention) {
  const int64_t channels = model_channels(convention), plane = x.size(2) * x.size(3);
  Tensor out({1, channels, x.size(2), x.size(3)});
  for (int64_t c = 0; c < channels; ++c) {
    const float* from = x.data() + (convention.channels == "bgr" ? 2 - c : c) * plane;
    std::transform(from, from + plane, out.data() + c * plane, [&](float v) { return v * convention.range; });
  }
  return out;
}

// The inverse, for the model's output [1, C, H, W].
Tensor from_model(const Tensor& y, const OnnxConvention& convention) {
  check(y.rank() == 4 && y.size(0) == 1 && y.size(1) == model_channels(convention), "--model: expected an output [1, ",
        model_channels(convention), ", H, W], but the model gave ", y.shape());
  const int64_t plane = y.size(2) * y.size(3);
  Tensor out({1, 3, y.size(2), y.size(3)});
  for (int64_t c = 0; c < 3; ++c) {
    const float* from = y.data() + (convention.channels == "y" ? 0 : convention.channels == "bgr" ? 2 - c : c) * plane;
    std::transform(from, from + plane, out.data() + c * plane, [&](float v) { return v / convention.range; });
  }
  return out;
}

// How far (in output pixels, Chebyshev) `changed` differs from `base` outside the output block of input
// pixel (at, at); -1 when nowhere. Throws when the change reaches the probe's edge: the field is wider.
int64_t reach(const Tensor& base, const Tensor& changed, int64_t at, int scale, const std::string& name) {
  int64_t farthest = -1;
  const int64_t side = base.size(2), lo = at * scale, hi = lo + scale - 1;
  for (int64_t c = 0; c < base.size(1); ++c)
    for (int64_t i = 0; i < side; ++i)
      for (int64_t j = 0; j < side; ++j) {
        if (base.at(0, c, i, j) == changed.at(0, c, i, j)) continue;
        check(i > 0 && j > 0 && i < side - 1 && j < side - 1, "--model '", name, "': one pixel changes the output up to ",
              "the edge of a ", probe_size, "-pixel probe, so its receptive field cannot be probed: give --tile-pad N");
        const int64_t di = i < lo ? lo - i : std::max<int64_t>(i - hi, 0);
        const int64_t dj = j < lo ? lo - j : std::max<int64_t>(j - hi, 0);
        farthest = std::max({farthest, di, dj});
      }
  return farthest;
}

}  // namespace

OnnxUpsampler::OnnxUpsampler(const std::filesystem::path& path, const OnnxConvention& convention)
    : model_(std::make_unique<OnnxModel>(load_onnx(path))), convention_(convention) {
  // Most exports declare their example's size (no dynamic_axes); tiles and images have others.
  model_->accept_any_input_size();
  const std::string name = path.string();
  check(model_->input_count() == 1 && model_->output_count() == 1, "--model '", name, "' has ", model_->input_count(),
        " inputs and ", model_->output_count(), " outputs, but an image model has one of each");
  const int64_t channels = model_channels(convention);
  const Tensor probe = Tensor::uniform({1, channels, probe_size, probe_size}, 0.0f, convention.range, 1);
  Tensor base;
  try {
    base = model_->run(probe);
  } catch (const std::invalid_argument& e) {
    fail("--model '", name, "': the probe run on a [1, ", channels, ", ", probe_size, ", ", probe_size,
         "] input failed (a shape the export froze, as a constant Reshape target, ties it to its export size): ",
         e.what());
  }
  check(base.rank() == 4 && base.size(0) == 1 && base.size(1) == channels && base.size(2) % probe_size == 0 &&
            base.size(2) == base.size(3) && base.size(2) / probe_size <= 16,
        "--model '", name, "' turns a [1, ", channels, ", ", probe_size, ", ", probe_size, "] input into ", base.shape(),
        ": not an image model with an integer scale from 1 to 16 (--channels says how many channels it takes)");
  scale_ = static_cast<int>(base.size(2) / probe_size);
  if (convention.tile_pad >= 0) {
    radius_ = convention.tile_pad;
    return;
  }
  // Both phases of a stride-2 layer and both signs (a ReLU may hide one of them).
  int64_t farthest = -1;
  for (const int64_t at : {probe_size / 2, probe_size / 2 + 1}) {
    for (const float delta : {0.5f, -0.5f}) {
      Tensor changed = probe.clone();
      for (int64_t c = 0; c < channels; ++c) changed.at(0, c, at, at) += delta * convention.range;
      farthest = std::max(farthest, reach(base, model_->run(changed), at, scale_, name));
    }
  }
  radius_ = static_cast<int>((farthest + scale_) / scale_) + 1;  // input pixels, rounded up, plus one
}

OnnxUpsampler::~OnnxUpsampler() = default;

Tensor OnnxUpsampler::run(const Tensor& x) const { return model_->run(x); }

cv::Mat OnnxUpsampler::upsample(const cv::Mat& image, int scale, const TileOptions& options,
                                const Progress& progress) const {
  const TileModel model{[this](const Tensor& x) { return from_model(run(to_model(x, convention_)), convention_); },
                        radius_, scale_};
  if (convention_.channels != "y" || image.channels() <= 2) return upsample_image(image, scale, model, options, progress);
  // Luma through the model, chroma bicubic (OpenCV's YCrCb: BT.601 full range), alpha bicubic.
  cv::Mat bgr = image, alpha, ycrcb;
  if (image.channels() == 4) {
    cv::cvtColor(image, bgr, cv::COLOR_BGRA2BGR);
    cv::extractChannel(image, alpha, 3);
  }
  cv::cvtColor(bgr, ycrcb, cv::COLOR_BGR2YCrCb);
  std::vector<cv::Mat> planes;
  cv::split(ycrcb, planes);
  planes[0] = upsample_image(planes[0], scale, model, options, progress);
  for (int c = 1; c < 3; ++c) cv::resize(planes[c], planes[c], planes[0].size(), 0, 0, cv::INTER_CUBIC);
  cv::Mat result;
  cv::merge(planes, ycrcb);
  cv::cvtColor(ycrcb, result, cv::COLOR_YCrCb2BGR);
  return attach_alpha(result, alpha);
}

}  // namespace strider::upsampler
