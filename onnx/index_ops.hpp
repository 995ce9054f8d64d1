#pragma once
// Index arithmetic shared by the constant (shape) path and the tensor path: numpy broadcasting,
// Slice and Transpose over row-major arrays of any rank. Templates over the element type, so int64
// shape constants and float tensors go through the same code. Internal to strider_onnx.
#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "../core/check.hpp"
#include "../core/tensor.hpp"

namespace strider::onnx {

using Dims = std::vector<int64_t>;

inline Dims dims_of(const Tensor& t) { return Dims(t.shape().begin(), t.shape().end()); }

inline int64_t product(const Dims& dims) {
  int64_t n = 1;
  for (int64_t d : dims) n *= d;
  return n;
}

inline Dims row_major_strides(const Dims& dims) {
  Dims s(dims.size(), 1);
  for (std::size_t i = dims.size(); i-- > 1;) s[i - 1] = s[i] * dims[i];
  return s;
}

// Axis `axis` of a rank-`rank` array; negative counts from the end.
inline std::size_t normalize_axis(int64_t axis, std::size_t rank, const std::string& what) {
  const auto r = static_cast<int64_t>(rank);
  check(axis >= -r && axis < r, what, ": axis ", axis, " is out of range for rank ", rank);
  return static_cast<std::size_t>(axis < 0 ? axis + r : axis);
}

// numpy's rule: align from the right; each pair of sizes is equal or one of them is 1.
inline Dims broadcast_dims(const Dims& a, const Dims& b, const std::string& what) {
  Dims out(std::max(a.size(), b.size()));
  for (std::size_t i = 0; i < out.size(); ++i) {
    const int64_t x = i < out.size() - a.size() ? 1 : a[i - (out.size() - a.size())];
    const int64_t y = i < out.size() - b.size() ? 1 : b[i - (out.size() - b.size())];
    check(x == y || x == 1 || y == 1, what, ": shapes cannot be broadcast (sizes ", x, " and ", y, ")");
    out[i] = x == 1 ? y : x;
  }
  return out;
}

// Strides of `dims` seen as an array of shape `out` (0 along broadcast axes).
inline Dims broadcast_strides(const Dims& dims, const Dims& out) {
  const Dims s = row_major_strides(dims);
  Dims strides(out.size(), 0);
  const std::size_t lead = out.size() - dims.size();
  for (std::size_t i = 0; i < dims.size(); ++i) strides[lead + i] = dims[i] == 1 ? 0 : s[i];
  return strides;
}

// dst[i] = f(a[ia], b[ib]) for every element i of the broadcast shape `out`, in row-major order.
template <class T, class U, class F>
void broadcast_apply(const T* a, const Dims& a_dims, const T* b, const Dims& b_dims, const Dims& out, U* dst, F f) {
  const Dims sa = broadcast_strides(a_dims, out), sb = broadcast_strides(b_dims, out);
  const int64_t n = product(out);
  Dims index(out.size(), 0);
  int64_t ia = 0, ib = 0;
  for (int64_t i = 0; i < n; ++i) {
    dst[i] = f(a[ia], b[ib]);
    for (std::size_t k = out.size(); k-- > 0;) {  // odometer: advance the last axis, carry leftwards
      ++index[k];
      ia += sa[k];
      ib += sb[k];
      if (index[k] < out[k]) break;
      ia -= sa[k] * out[k];
      ib -= sb[k] * out[k];
      index[k] = 0;
    }
  }
}

// One axis of a Slice: elements start + i·step for i < count.
struct AxisRange {
  int64_t start = 0;
  int64_t step = 1;
  int64_t count = 0;
};

// ONNX Slice's clamping (its operator spec): negative start/end count from the end; then for a positive
// step start and end are clamped to [0, size], for a negative one start to [0, size - 1] and end to
// [-1, size - 1].
inline AxisRange slice_range(int64_t size, int64_t start, int64_t end, int64_t step, const std::string& what) {
  check(step != 0, what, ": a slice step of 0 is invalid");
  if (start < 0) start += size;  // cannot overflow: size >= 0
  if (end < 0) end += size;
  AxisRange r{0, step, 0};
  if (step > 0) {
    r.start = std::clamp<int64_t>(start, 0, size);
    end = std::clamp<int64_t>(end, 0, size);
    r.count = end > r.start ? (end - r.start - 1) / step + 1 : 0;
  } else {
    r.start = std::clamp<int64_t>(start, 0, size - 1);
    end = std::clamp<int64_t>(end, -1, size - 1);
    // -step cannot overflow: steps are bounded by the caller.
    r.count = r.start > end ? (r.start - end - 1) / -step + 1 : 0;
  }
  return r;
}

// dst = src[ranges] (one range per axis), both row-major.
template <class T>
void slice_copy(const T* src, const Dims& dims, const std::vector<AxisRange>& ranges, T* dst) {
  Dims out(dims.size());
  for (std::size_t k = 0; k < dims.size(); ++k) out[k] = ranges[k].count;
  const int64_t n = product(out);
  const Dims s = row_major_strides(dims);
  Dims index(dims.size(), 0);
  for (int64_t i = 0; i < n; ++i) {
    int64_t offset = 0;
    for (std::size_t k = 0; k < dims.size(); ++k) offset += (ranges[k].start + index[k] * ranges[k].step) * s[k];
    dst[i] = src[offset];
    for (std::size_t k = dims.size(); k-- > 0;) {
      if (++index[k] < out[k]) break;
      index[k] = 0;
    }
  }
}

// Transpose's perm attribute: a permutation of 0..rank-1, reversed when absent.
inline Dims checked_permutation(Dims perm, std::size_t rank, const std::string& what) {
  if (perm.empty())
    for (std::size_t k = rank; k-- > 0;) perm.push_back(static_cast<int64_t>(k));
  check(perm.size() == rank, what, ": perm has ", perm.size(), " entries for rank ", rank);
  std::vector<bool> seen(rank, false);
  for (int64_t p : perm) {
    check(p >= 0 && p < static_cast<int64_t>(rank) && !seen[static_cast<std::size_t>(p)], what,
          ": perm is not a permutation of 0..", rank - 1);
    seen[static_cast<std::size_t>(p)] = true;
  }
  return perm;
}

// dst = src with its axes permuted: output axis k is input axis perm[k] (a checked permutation).
template <class T>
void transpose_copy(const T* src, const Dims& dims, const Dims& perm, T* dst) {
  const Dims s = row_major_strides(dims);
  Dims out(dims.size()), stride(dims.size());
  for (std::size_t k = 0; k < dims.size(); ++k) {
    out[k] = dims[static_cast<std::size_t>(perm[k])];
    stride[k] = s[static_cast<std::size_t>(perm[k])];
  }
  const int64_t n = product(out);
  Dims index(dims.size(), 0);
  int64_t offset = 0;
  for (int64_t i = 0; i < n; ++i) {
    dst[i] = src[offset];
    for (std::size_t k = dims.size(); k-- > 0;) {
      offset += stride[k];
      if (++index[k] < out[k]) break;
      offset -= stride[k] * out[k];
      index[k] = 0;
    }
  }
}

}  // namespace strider::onnx
