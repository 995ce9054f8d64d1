#include "upsample.hpp"

#include <algorithm>
#include <cmath>
#include <ostream>

#include "../core/check.hpp"
#include "../core/parallel.hpp"
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
  if (o.mode == "bilinear") return upsample_bilinear2d(input, size, o.align_corners.value_or(false), scale_h, scale_w);
  return upsample_nearest2d(input, size, scale_h, scale_w, o.mode == "nearest-exact");
}

namespace {

// The integer factor k when each input column is repeated k times (cols[c] = c / k), else 0.
int64_t repeat_factor(const std::vector<int64_t>& cols, int64_t in) {
  const auto out = static_cast<int64_t>(cols.size());
  if (out % in != 0) return 0;
  const int64_t k = out / in;
  for (int64_t c = 0; c < out; ++c)
    if (cols[static_cast<std::size_t>(c)] != c / k) return 0;
  return k;
}

}  // namespace

Tensor upsample_nearest2d(const Tensor& input, Hw output_size, std::optional<double> scale_h,
                          std::optional<double> scale_w, bool exact) {
  const int64_t planes = input.size(0) * input.size(1), h = input.size(2), w = input.size(3);
  const std::vector<int64_t> rows = ref::nearest_sources(h, output_size.h, scale_h, exact);
  const std::vector<int64_t> cols = ref::nearest_sources(w, output_size.w, scale_w, exact);
  Tensor out({input.size(0), input.size(1), output_size.h, output_size.w});
  const int64_t oh = output_size.h, ow = output_size.w, k = repeat_factor(cols, w);
  const auto gather_row = [&](const float* x, float* y) {
    if (k == 2) {  // the common ×2: a loop the compiler vectorises (unpack, two stores)
      for (int64_t c = 0; c < w; ++c) y[2 * c] = y[2 * c + 1] = x[c];
    } else if (k > 0) {
      for (int64_t c = 0; c < w; ++c) std::fill(y + c * k, y + (c + 1) * k, x[c]);
    } else {
      for (int64_t c = 0; c < ow; ++c) y[c] = x[cols[static_cast<std::size_t>(c)]];
    }
  };
  parallel_for(0, planes * oh, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      const int64_t p = i / oh, r = i % oh;
      float* y = out.data() + i * ow;
      // An output row whose source row is the previous one's: a copy of the row just written (in cache).
      if (i > begin && r > 0 && rows[static_cast<std::size_t>(r)] == rows[static_cast<std::size_t>(r - 1)])
        std::copy(y - ow, y, y);
      else
        gather_row(input.data() + (p * h + rows[static_cast<std::size_t>(r)]) * w, y);
    }
  });
  return out;
}

Tensor upsample_bilinear2d(const Tensor& input, Hw output_size, bool align_corners, std::optional<double> scale_h,
                           std::optional<double> scale_w) {
  const int64_t planes = input.size(0) * input.size(1), h = input.size(2), w = input.size(3);
  const std::vector<ref::LinearTap> rows = ref::linear_taps(h, output_size.h, align_corners, scale_h);
  const std::vector<ref::LinearTap> cols = ref::linear_taps(w, output_size.w, align_corners, scale_w);
  Tensor out({input.size(0), input.size(1), output_size.h, output_size.w});
  const int64_t oh = output_size.h, ow = output_size.w;
  // The reference's arithmetic, term by term, split in its two passes: each source row's horizontal
  // interpolation (in double) is computed once and kept while consecutive output rows use it (two per
  // input row at ×2), and the vertical pass runs over contiguous rows, which the compiler vectorises.
  parallel_for(0, planes * oh, [&](int64_t begin, int64_t end) {
    struct Row {
      int64_t plane = -1, source = -1;
      std::vector<double> values;
    };
    Row held[2];
    for (Row& row : held) row.values.resize(static_cast<std::size_t>(ow));
    // The horizontal pass of source row `source` of `plane`, reusing a held one; never evicts `keep`.
    const auto horizontal = [&](int64_t plane, int64_t source, const Row* keep) -> const double* {
      for (Row& row : held)
        if (row.plane == plane && row.source == source) return row.values.data();
      Row& row = &held[0] == keep ? held[1] : held[0];
      row.plane = plane;
      row.source = source;
      const float* x = input.data() + (plane * h + source) * w;
      for (int64_t c = 0; c < ow; ++c) {
        const ref::LinearTap& k = cols[static_cast<std::size_t>(c)];
        row.values[static_cast<std::size_t>(c)] = double{k.lambda0} * x[k.i0] + double{k.lambda1} * x[k.i1];
      }
      return row.values.data();
    };
    for (int64_t i = begin; i < end; ++i) {
      const int64_t p = i / oh;
      const ref::LinearTap& t = rows[static_cast<std::size_t>(i % oh)];
      const double* row0 = horizontal(p, t.i0, nullptr);
      const Row* kept = row0 == held[0].values.data() ? &held[0] : &held[1];
      const double* row1 = horizontal(p, t.i1, kept);
      const double l0 = t.lambda0, l1 = t.lambda1;
      float* y = out.data() + i * ow;
      for (int64_t c = 0; c < ow; ++c) y[c] = static_cast<float>(l0 * row0[c] + l1 * row1[c]);
    }
  });
  return out;
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
