#include "window_gather.hpp"

#include <algorithm>
#include <vector>

namespace strider::kernels {

namespace {

// The input positions an axis's windows read, output by output (-1: outside, the fill).
std::vector<int64_t> window_sources(const WindowAxis& a, PaddingMode mode) {
  std::vector<int64_t> sources;
  sources.reserve(static_cast<std::size_t>(a.out * a.kernel));
  for (int64_t o = 0; o < a.out; ++o)
    for (int64_t t = 0; t < a.kernel; ++t) {
      const int64_t s = padded_source_index(o * a.stride - a.pad + t * a.dilation, a.in, mode);
      sources.push_back(s >= 0 && s < a.in ? s : -1);
    }
  return sources;
}

// The same axis read through its sources: windows side by side.
WindowAxis gathered(const WindowAxis& a) { return {a.out * a.kernel, a.out, a.kernel, a.kernel, 0, 1}; }

std::vector<int64_t> identity(int64_t n) {
  std::vector<int64_t> v(static_cast<std::size_t>(n));
  for (int64_t i = 0; i < n; ++i) v[static_cast<std::size_t>(i)] = i;
  return v;
}

}  // namespace

WindowAxis with_unit_stride_if_single(WindowAxis a) {
  if (a.out == 1) a.stride = 1;
  return a;
}

WindowAxis clip_pool_taps(WindowAxis a) {
  const char* what = "pooling window geometry";
  const int64_t last_start = checked_sub(checked_mul(a.out - 1, a.stride, what), a.pad, what);
  const int64_t first = std::max<int64_t>(ceil_div(-last_start, a.dilation), 0);
  const int64_t last = std::min<int64_t>(floor_div(checked_add(a.in - 1, a.pad, what), a.dilation), a.kernel - 1);
  if (first > last) return a;  // no tap reads the input: the operator rejects such windows first
  a.pad -= first * a.dilation;
  a.kernel = last - first + 1;
  return a;
}

bool is_sparse(const WindowAxis& a) {
  // extent = (out - 1)·stride + (kernel - 1)·dilation + 1, compared with the taps read.
  int64_t spread = 0, reach = 0, extent = 0;
  if (__builtin_mul_overflow(a.out - 1, a.stride, &spread) || __builtin_mul_overflow(a.kernel - 1, a.dilation, &reach) ||
      __builtin_add_overflow(spread, reach, &extent))
    return true;
  return extent > 2 * a.out * a.kernel + 64;  // out·kernel <= extent here: no overflow
}

Tensor gather_sparse_windows(const float* input, int64_t planes, WindowAxis& h, WindowAxis& w, PaddingMode mode,
                             float fill) {
  const bool sparse_h = is_sparse(h), sparse_w = is_sparse(w);
  if (!sparse_h && !sparse_w) return Tensor();
  const std::vector<int64_t> rows = sparse_h ? window_sources(h, mode) : identity(h.in);
  const std::vector<int64_t> cols = sparse_w ? window_sources(w, mode) : identity(w.in);
  const auto height = static_cast<int64_t>(rows.size()), width = static_cast<int64_t>(cols.size());
  Tensor out({planes, height, width});  // the tensor size limit applies
  float* o = out.data();
  for (int64_t p = 0; p < planes; ++p)
    for (int64_t r : rows) {
      const float* row = input + (p * h.in + r) * w.in;
      for (int64_t c : cols) *o++ = r < 0 || c < 0 ? fill : row[c];
    }
  if (sparse_h) h = gathered(h);
  if (sparse_w) w = gathered(w);
  return out;
}

}  // namespace strider::kernels
