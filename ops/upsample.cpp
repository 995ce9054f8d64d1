#include "upsample.hpp"

#include <cmath>
#include <ostream>

#include "../core/check.hpp"
#include "py_float.hpp"

namespace strider {

namespace {

// Output sizes beyond this are rejected before floor(in · s) is converted to an integer.
constexpr double max_output_size = 1u << 30;

void check_scale(const char* axis, double s) {
  check(std::isfinite(s) && s > 0, "Upsample: scale_factor must be positive and finite, but got ", PyFloat{s},
        " for ", axis);
}

}  // namespace

Upsample::Upsample(UpsampleOptions options) : options_(std::move(options)) {
  const UpsampleOptions& o = options_;
  check(o.mode == "nearest" || o.mode == "nearest-exact" || o.mode == "bilinear",
        "Upsample: mode must be one of 'nearest', 'nearest-exact' or 'bilinear', but got mode='", o.mode, "'");
  check(!(o.size.has_value() && o.scale_factor.has_value()),
        "Upsample: only one of size or scale_factor should be defined");
  check(o.size.has_value() || o.scale_factor.has_value(), "Upsample: either size or scale_factor should be defined");
  check(!o.align_corners.has_value() || o.mode == "bilinear",
        "Upsample: align_corners option can only be set with the interpolating modes (bilinear), but got mode='",
        o.mode, "'");
  check(!(o.recompute_scale_factor.value_or(false) && o.size.has_value()),
        "Upsample: recompute_scale_factor is not meaningful with an explicit size");
  if (o.size.has_value()) {
    const Hw size = o.size.value();
    check(size.h > 0 && size.w > 0, "Upsample: size must be positive, but got size=", size);
  } else {
    check_scale("H", o.scale_factor.h());
    check_scale("W", o.scale_factor.w());
  }
}

Shape Upsample::output_shape(const Shape& input) const {
  check(input.rank() == 4, "Upsample: expected a 4D input [N, C, H, W] (PyTorch's 3D input is 1-D interpolation, "
        "which Strider does not do), but got input of size: ", input);
  const int64_t h = input[2], w = input[3];
  Hw out;
  if (options_.size.has_value()) {
    out = options_.size.value();
  } else {
    const double oh = std::floor(static_cast<double>(h) * options_.scale_factor.h());
    const double ow = std::floor(static_cast<double>(w) * options_.scale_factor.w());
    check(oh <= max_output_size && ow <= max_output_size, "Upsample: scale_factor=(", PyFloat{options_.scale_factor.h()},
          ", ", PyFloat{options_.scale_factor.w()}, ") gives an output larger than ", max_output_size,
          " for input of size: ", input);
    out = Hw(static_cast<int64_t>(oh), static_cast<int64_t>(ow));
  }
  check(h > 0 && w > 0 && out.h > 0 && out.w > 0, "Upsample: Input and output sizes should be greater than 0, but got "
        "input (H: ", h, ", W: ", w, ") output (H: ", out.h, ", W: ", out.w, ")");
  return {input[0], input[1], out.h, out.w};
}

Tensor Upsample::forward(const Tensor& input) const {
  const Shape out = output_shape(input.shape());
  const UpsampleOptions& o = options_;
  // The kernels get the user's scale factors unless the ratio is to be recomputed from the sizes.
  std::optional<double> scale_h, scale_w;
  if (o.scale_factor.has_value() && !o.recompute_scale_factor.value_or(false)) {
    scale_h = o.scale_factor.h();
    scale_w = o.scale_factor.w();
  }
  const Hw size(out[2], out[3]);
  if (o.mode == "bilinear") return ref::upsample_bilinear2d(input, size, o.align_corners.value_or(false), scale_h, scale_w);
  return ref::upsample_nearest2d(input, size, scale_h, scale_w, o.mode == "nearest-exact");
}

std::ostream& operator<<(std::ostream& os, const Upsample& upsample) {
  const UpsampleOptions& o = upsample.options();
  os << "Upsample(";
  if (o.size.has_value()) {
    os << "size=";
    if (o.size.is_pair()) os << o.size.value();
    else os << o.size.value().h;
  } else if (!o.scale_factor.is_pair()) {
    os << "scale_factor=" << PyFloat{o.scale_factor.h()};
  } else {
    os << "scale_factor=(" << PyFloat{o.scale_factor.h()} << ", " << PyFloat{o.scale_factor.w()} << ')';
  }
  return os << ", mode=" << o.mode << ')';
}

}  // namespace strider
