// Resize (opset 10+) and Upsample (opset 7-9). The modes PyTorch exports run as its Upsample (ops/
// upsample.hpp, the fast path); every other ONNX mode (nearest with half_pixel or round_prefer_floor,
// cubic, align_corners from a non-integral scale, pytorch_half_pixel onto a length-1 axis...) runs the
// specification's own definition: per output position of each axis, source indices and weights, then a
// separable sum over H and W.
#include <algorithm>
#include <cmath>
#include <memory>
#include <optional>

#include "../core/check.hpp"
#include "../ops/upsample.hpp"
#include "plan.hpp"

namespace strider::onnx {

namespace {

struct ResizeAttributes {
  std::string mode, coordinates, nearest;
  double cubic_a = -0.75;
  bool exclude_outside = false;
};

// One output position of an axis: up to four input indices (clamped to the edge) and their weights.
struct Taps {
  int64_t index[4] = {0, 0, 0, 0};
  double weight[4] = {0, 0, 0, 0};
  int count = 0;
};

// The input coordinate of output position x (ONNX's coordinate_transformation_mode). `scale` is the
// given scale (or out / in), `length` the unrounded output length in · scale, as the reference takes it.
double source_coordinate(const ResizeAttributes& a, double x, double scale, double in, double length, int64_t out) {
  const std::string& m = a.coordinates;
  if (m == "align_corners") return length == 1 ? 0 : x * (in - 1) / (length - 1);
  if (m == "asymmetric") return x / scale;
  if (m == "pytorch_half_pixel") return out > 1 ? (x + 0.5) / scale - 0.5 : 0;
  if (m == "tf_half_pixel_for_nn") return (x + 0.5) / scale;
  return (x + 0.5) / scale - 0.5;  // half_pixel
}

// ONNX's reference: the n = 2 (nearest, linear) or 4 (cubic) input positions nearest x, edge-padded,
// weighted by the mode's coefficients of ratio in (0, 1] (an integral x takes ratio 1: its own pixel
// is the last of the left neighbours).
Taps axis_taps(const ResizeAttributes& a, double x, int64_t in) {
  const bool integral = x == std::floor(x);
  const int64_t left = integral ? static_cast<int64_t>(x) - 1 : static_cast<int64_t>(std::floor(x));
  const double r = integral ? 1.0 : x - std::floor(x);
  Taps t;
  if (a.mode == "cubic") {
    const double A = a.cubic_a, s = 1 - r;
    const double w[4] = {((A * (r + 1) - 5 * A) * (r + 1) + 8 * A) * (r + 1) - 4 * A,
                         ((A + 2) * r - (A + 3)) * r * r + 1, ((A + 2) * s - (A + 3)) * s * s + 1,
                         ((A * (s + 1) - 5 * A) * (s + 1) + 8 * A) * (s + 1) - 4 * A};
    t.count = 4;
    for (int k = 0; k < 4; ++k) t.index[k] = left - 1 + k, t.weight[k] = w[k];
  } else {
    double right = r;  // linear
    if (a.mode == "nearest") {
      const std::string& m = a.nearest;
      right = integral || m == "ceil" ? 1.0 : m == "floor" ? 0.0 : m == "round_prefer_ceil" ? (r >= 0.5) : (r > 0.5);
    }
    t.count = 2;
    t.index[0] = left, t.index[1] = left + 1;
    t.weight[0] = 1 - right, t.weight[1] = right;
  }
  double total = 0;
  for (int k = 0; k < t.count; ++k) {
    const bool outside = t.index[k] < 0 || t.index[k] >= in;
    if (a.exclude_outside && outside) t.weight[k] = 0;
    total += t.weight[k];
    t.index[k] = std::clamp<int64_t>(t.index[k], 0, in - 1);
  }
  if (a.exclude_outside && total != 0)
    for (int k = 0; k < t.count; ++k) t.weight[k] /= total;
  return t;
}

std::vector<Taps> axis_plan(const ResizeAttributes& a, int64_t in, int64_t out, double scale) {
  std::vector<Taps> taps;
  for (int64_t x = 0; x < out; ++x)
    taps.push_back(axis_taps(a, source_coordinate(a, static_cast<double>(x), scale, static_cast<double>(in),
                                                  scale * static_cast<double>(in), out),
                             in));
  return taps;
}

Tensor resize_general(const Tensor& x, const std::vector<Taps>& rows, const std::vector<Taps>& cols) {
  const int64_t planes = x.size(0) * x.size(1), in_h = x.size(2), in_w = x.size(3);
  const auto out_h = static_cast<int64_t>(rows.size()), out_w = static_cast<int64_t>(cols.size());
  Tensor y({x.size(0), x.size(1), out_h, out_w});
  for (int64_t p = 0; p < planes; ++p) {
    const float* plane = x.data() + p * in_h * in_w;
    float* out = y.data() + p * out_h * out_w;
    for (const Taps& r : rows)
      for (const Taps& c : cols) {
        double sum = 0;
        for (int i = 0; i < r.count; ++i)
          for (int j = 0; j < c.count; ++j) sum += r.weight[i] * c.weight[j] * plane[r.index[i] * in_w + c.index[j]];
        *out++ = static_cast<float>(sum);
      }
  }
  return y;
}

// PyTorch's Upsample options for the modes it exports, when they agree with ONNX's definition for this
// geometry; nullopt otherwise.
std::optional<UpsampleOptions> pytorch_mode(const ResizeAttributes& a, Hw out, bool scales_given, double sh, double sw,
                                            Hw in) {
  UpsampleOptions options;
  const bool unit_axis = out.h == 1 || out.w == 1;
  const bool half = a.coordinates == "half_pixel" || (a.coordinates == "pytorch_half_pixel" && !unit_axis);
  if (a.exclude_outside) return std::nullopt;
  if (a.mode == "nearest" && a.coordinates == "asymmetric" && a.nearest == "floor") {
    options.mode = "nearest";
  } else if (a.mode == "nearest" && half && a.nearest == "round_prefer_ceil") {
    options.mode = "nearest-exact";
  } else if (a.mode == "linear" && half) {
    options.mode = "bilinear";
  } else if (a.mode == "linear" && a.coordinates == "align_corners" &&
             (!scales_given || (sh * in.h == out.h && sw * in.w == out.w))) {
    options.mode = "bilinear";
    options.align_corners = true;  // (in - 1) / (out - 1), as ONNX when out = in · scale exactly
  } else {
    return std::nullopt;
  }
  if (scales_given) options.scale_factor = OptionalScale(sh, sw);
  else options.size = OptionalSize(out.h, out.w);
  return options;
}

void resize(Builder& b, const Node& n) {
  const Tensor& x = b.tensor(n, 0);
  check(x.rank() == 4, n.label(), ": expects a 4-D input [N, C, H, W], but got ", x.shape());
  const int64_t opset = b.model().opset;
  const bool old = n.op == "Upsample" || opset < 11;  // no roi; asymmetric coordinates
  ResizeAttributes a{n.get_string("mode", "nearest"),
                     old ? "asymmetric" : n.get_string("coordinate_transformation_mode", "half_pixel"),
                     old ? "floor" : n.get_string("nearest_mode", "round_prefer_floor"), n.get_float("cubic_coeff_a", -0.75f),
                     n.get_int("exclude_outside", 0) != 0};
  if (a.mode == "bilinear") a.mode = "linear";  // Upsample's name (opset 7-9)
  check(a.mode == "nearest" || a.mode == "linear" || a.mode == "cubic", n.label(), ": mode '", a.mode,
        "' is not supported (nearest, linear, cubic)");
  check(a.coordinates == "half_pixel" || a.coordinates == "asymmetric" || a.coordinates == "align_corners" ||
            a.coordinates == "pytorch_half_pixel" || a.coordinates == "tf_half_pixel_for_nn",
        n.label(), ": coordinate_transformation_mode '", a.coordinates,
        "' is not supported (half_pixel, pytorch_half_pixel, align_corners, asymmetric, tf_half_pixel_for_nn)");
  check(a.nearest == "round_prefer_floor" || a.nearest == "round_prefer_ceil" || a.nearest == "floor" ||
            a.nearest == "ceil",
        n.label(), ": nearest_mode '", a.nearest, "' is not supported");
  check(n.get_int("antialias", 0) == 0 && !n.has("axes"), n.label(), ": antialias and axes are not supported");
  check(n.get_string("keep_aspect_ratio_policy", "stretch") == "stretch", n.label(),
        ": keep_aspect_ratio_policy '", n.get_string("keep_aspect_ratio_policy", ""), "' is not supported");

  const std::size_t scales_input = old ? 1 : 2;
  std::vector<double> scales;
  if (n.op == "Upsample" && opset < 9) {
    for (float f : n.attributes.count("scales") ? n.attributes.at("scales").floats : std::vector<float>{})
      scales.push_back(f);
  } else if (n.input(scales_input) && b.constant(n, scales_input).numel() > 0) {
    const Const& c = b.constant(n, scales_input);
    for (int64_t i = 0; i < c.numel(); ++i) scales.push_back(c.number(i));
  }
  Hw out;
  double sh = 0, sw = 0;
  if (!scales.empty()) {
    check(scales.size() == 4 && scales[0] == 1 && scales[1] == 1 && scales[2] > 0 && scales[3] > 0, n.label(),
          ": scales must be [1, 1, h, w] with positive h and w");
    sh = scales[2], sw = scales[3];
    const double oh = std::floor(sh * x.size(2)), ow = std::floor(sw * x.size(3));
    check(oh * ow * x.size(0) * x.size(1) * sizeof(float) <= static_cast<double>(max_tensor_bytes()), n.label(),
          ": scales ", sh, " x ", sw, " give an output of ", oh, " x ", ow, " per channel, more than the tensor limit of ",
          max_tensor_bytes(), " bytes (STRIDER_MAX_TENSOR_BYTES)");
    out = {static_cast<int64_t>(oh), static_cast<int64_t>(ow)};
  } else {
    check(!old && n.input(3), n.label(), ": needs scales or sizes");
    const auto sizes = b.constant(n, 3).integers();
    check(sizes.size() == 4 && sizes[0] == x.size(0) && sizes[1] == x.size(1), n.label(),
          ": sizes must be [N, C, H, W] with the input's N and C, but got ", b.constant(n, 3).describe());
    out = {sizes[2], sizes[3]};
    sh = static_cast<double>(out.h) / x.size(2), sw = static_cast<double>(out.w) / x.size(3);
  }
  check(out.h > 0 && out.w > 0, n.label(), ": the output size ", out, " must be positive");
  const Shape out_shape{x.size(0), x.size(1), out.h, out.w};  // overflow-checked, then the limit:
  check(out_shape.numel() <= max_tensor_bytes() / static_cast<int64_t>(sizeof(float)), n.label(), ": an output of ",
        out_shape, " is more than the tensor limit of ", max_tensor_bytes(), " bytes (STRIDER_MAX_TENSOR_BYTES)");

  if (const auto options = pytorch_mode(a, out, !scales.empty(), sh, sw, {x.size(2), x.size(3)})) {
    auto op = std::make_shared<const Upsample>(*options);
    b.emit(n, {n.inputs[0]}, n.outputs.at(0), [op](std::span<const Tensor* const> in) { return op->forward(*in[0]); });
    return;
  }
  const auto rows = std::make_shared<const std::vector<Taps>>(axis_plan(a, x.size(2), out.h, sh));
  const auto cols = std::make_shared<const std::vector<Taps>>(axis_plan(a, x.size(3), out.w, sw));
  b.emit(n, {n.inputs[0]}, n.outputs.at(0),
         [rows, cols](std::span<const Tensor* const> in) { return resize_general(*in[0], *rows, *cols); });
}

}  // namespace

void register_resize_ops(HandlerTable& table) {
  table["Resize"] = resize;
  table["Upsample"] = resize;
}

}  // namespace strider::onnx
