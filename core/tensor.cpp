#include "tensor.hpp"

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cstring>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <new>
#include <ostream>
#include <random>
#include <sstream>
#include <utility>

#include "arena.hpp"
#include "check.hpp"
#include "memory.hpp"

namespace strider {

namespace {

constexpr int64_t max_numel =
    static_cast<int64_t>((std::numeric_limits<std::ptrdiff_t>::max() - Tensor::slack_bytes - Tensor::alignment) /
                         sizeof(float));

template <class Dims>
void init_dims(const Dims& dims, std::array<int64_t, Shape::max_rank>& out, int& rank, int64_t& numel) {
  check(dims.size() >= 1 && dims.size() <= Shape::max_rank, "Shape: rank must be between 1 and 4, but got ",
        dims.size(), " dimensions");
  rank = static_cast<int>(dims.size());
  numel = 1;
  int axis = 0;
  for (int64_t d : dims) {
    check(d >= 0, "Shape: dimension ", axis, " must be non-negative, but got ", d);
    check(d == 0 || numel <= max_numel / d, "Shape: the number of elements overflows (dimension ", axis, " = ", d,
          " after ", numel, " elements)");
    out[axis++] = d;
    numel *= d;
  }
}

constexpr int64_t default_max_tensor_bytes = int64_t{4} << 30;

std::atomic<int64_t>& tensor_byte_limit() {
  static std::atomic<int64_t> limit = [] {
    const char* text = std::getenv("STRIDER_MAX_TENSOR_BYTES");
    if (text == nullptr || *text == '\0') return default_max_tensor_bytes;
    int64_t bytes = 0;
    const auto [end, error] = std::from_chars(text, text + std::strlen(text), bytes);
    check(error == std::errc() && *end == '\0' && bytes > 0,
          "STRIDER_MAX_TENSOR_BYTES: expected a positive number of bytes, but got '", text, "'");
    return bytes;
  }();
  return limit;
}

}  // namespace

int64_t max_tensor_bytes() { return tensor_byte_limit().load(); }

void set_max_tensor_bytes(int64_t bytes) {
  check(bytes > 0, "set_max_tensor_bytes: the limit should be positive, but got ", bytes);
  tensor_byte_limit().store(bytes);
}

Shape::Shape(std::initializer_list<int64_t> dims) { init_dims(dims, dims_, rank_, numel_); }
Shape::Shape(std::span<const int64_t> dims) { init_dims(dims, dims_, rank_, numel_); }

int64_t Shape::operator[](int axis) const {
  check(axis >= -rank_ && axis < rank_, "Shape: axis ", axis, " is out of range for rank ", rank_);
  return dims_[axis < 0 ? axis + rank_ : axis];
}

std::string Shape::str() const {
  std::ostringstream os;
  os << *this;
  return os.str();
}

std::ostream& operator<<(std::ostream& os, const Shape& shape) {
  os << '[';
  for (int i = 0; i < shape.rank(); ++i) os << (i ? ", " : "") << shape[i];
  return os << ']';
}

void Tensor::AlignedFree::operator()(float* p) const { detail::free_tensor_memory(p, bytes); }

Tensor::Tensor(Shape shape) : shape_(shape) {
  check(shape.rank() > 0, "Tensor: shape must have rank 1 to 4");
  check(shape.numel() <= max_tensor_bytes() / static_cast<int64_t>(sizeof(float)), "Tensor: shape ", shape, " needs ",
        shape.numel() * static_cast<int64_t>(sizeof(float)), " bytes, more than the limit of ", max_tensor_bytes(),
        " bytes (raise it with the environment variable STRIDER_MAX_TENSOR_BYTES or strider::set_max_tensor_bytes)");
  if ((data_ = OutputSlot::take(shape.numel())) != nullptr) return;  // a view of a plan's arena (arena.hpp)
  const std::size_t bytes = static_cast<std::size_t>(shape.numel()) * sizeof(float) + slack_bytes;
  const std::size_t rounded = (bytes + alignment - 1) / alignment * alignment;  // aligned_alloc's rule
  void* memory = detail::allocate_tensor_memory(rounded);
  if (memory == nullptr) throw std::bad_alloc();
  storage_ = std::unique_ptr<float, AlignedFree>(static_cast<float*>(memory), AlignedFree{rounded});
  data_ = storage_.get();
  // The slack is read by SIMD tails: keep it initialised so those reads are defined.
  std::fill(data_ + shape.numel(), data_ + (rounded / sizeof(float)), 0.0f);
}

Tensor::Tensor(Tensor&& other) noexcept
    : storage_(std::move(other.storage_)),
      data_(std::exchange(other.data_, nullptr)),
      shape_(std::exchange(other.shape_, Shape())) {}

Tensor& Tensor::operator=(Tensor&& other) noexcept {
  storage_ = std::move(other.storage_);
  data_ = std::exchange(other.data_, nullptr);
  shape_ = std::exchange(other.shape_, Shape());
  return *this;
}

Tensor Tensor::full(Shape shape, float value) {
  Tensor t(shape);
  t.fill(value);
  return t;
}

Tensor Tensor::arange(Shape shape, float start, float step) {
  Tensor t(shape);
  for (int64_t i = 0; i < t.numel(); ++i) t.data_[i] = start + step * static_cast<float>(i);
  return t;
}

Tensor Tensor::uniform(Shape shape, float low, float high, uint64_t seed) {
  check(low < high, "Tensor::uniform: low (", low, ") must be less than high (", high, ")");
  Tensor t(shape);
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> dist(low, high);
  for (float& v : t.values()) v = dist(rng);
  return t;
}

Tensor Tensor::normal(Shape shape, float mean, float stddev, uint64_t seed) {
  check(stddev > 0, "Tensor::normal: stddev must be positive, but got ", stddev);
  Tensor t(shape);
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> dist(mean, stddev);
  for (float& v : t.values()) v = dist(rng);
  return t;
}

Tensor Tensor::from_values(Shape shape, std::initializer_list<float> values) {
  check(static_cast<int64_t>(values.size()) == shape.numel(), "Tensor::from_values: shape ", shape, " holds ",
        shape.numel(), " elements, but got ", values.size(), " values");
  Tensor t(shape);
  std::copy(values.begin(), values.end(), t.data_);
  return t;
}

Tensor Tensor::wrap(float* data, Shape shape) {
  check(shape.rank() > 0, "Tensor::wrap: shape must have rank 1 to 4");
  check(data != nullptr || shape.numel() == 0, "Tensor::wrap: data is null for shape ", shape);
  Tensor t;
  t.data_ = data;
  t.shape_ = shape;
  return t;
}

namespace {

std::string bracketed(std::span<const int64_t> values) {
  std::ostringstream os;
  os << '[';
  for (std::size_t i = 0; i < values.size(); ++i) os << (i ? ", " : "") << values[i];
  return os.str() + ']';
}

// True when `strides` address `shape` in row-major order (axes of size 1 are never stepped over).
bool row_major(const Shape& shape, std::span<const int64_t> strides) {
  check(static_cast<int>(strides.size()) == shape.rank(), "Tensor::wrap: expected ", shape.rank(),
        " strides for shape ", shape, ", but got ", strides.size());
  int64_t expected = 1;
  for (int axis = shape.rank() - 1; axis >= 0; --axis) {
    check(strides[axis] >= 0, "Tensor::wrap: stride ", strides[axis], " of axis ", axis, " must be non-negative");
    if (shape[axis] != 1 && strides[axis] != expected) return false;
    expected *= shape[axis];
  }
  return true;
}

}  // namespace

Tensor Tensor::wrap(float* data, Shape shape, std::span<const int64_t> strides) {
  check(row_major(shape, strides), "Tensor::wrap: strides ", bracketed(strides), " are not row-major for shape ",
        shape, ": a writable view must be contiguous (wrap a const pointer for a packed copy)");
  return wrap(data, shape);
}

ConstTensor Tensor::wrap(const float* data, Shape shape) {
  // The only const_cast of the view: ConstTensor never gives the pointer back as mutable.
  return ConstTensor(wrap(const_cast<float*>(data), shape));
}

ConstTensor Tensor::wrap(const float* data, Shape shape, std::span<const int64_t> strides) {
  if (row_major(shape, strides)) return wrap(data, shape);
  check(data != nullptr || shape.numel() == 0, "Tensor::wrap: data is null for shape ", shape);
  Tensor packed(shape);
  std::array<int64_t, Shape::max_rank> index{};  // odometer over the shape, last axis fastest
  for (int64_t i = 0; i < packed.numel(); ++i) {
    int64_t at = 0;
    for (int axis = 0; axis < shape.rank(); ++axis) at += index[axis] * strides[axis];
    packed.data_[i] = data[at];
    for (int axis = shape.rank() - 1; axis >= 0 && ++index[axis] == shape[axis]; --axis) index[axis] = 0;
  }
  return ConstTensor(std::move(packed));
}

Tensor Tensor::clone() const {
  if (!defined()) return Tensor();
  Tensor t(shape_);
  std::copy(data_, data_ + numel(), t.data_);
  return t;
}

Tensor Tensor::view(Shape shape) const {
  check(shape.numel() == numel(), "Tensor::view: shape ", shape, " is invalid for a tensor of shape ", shape_,
        " (", numel(), " elements)");
  return wrap(data_, shape);
}

Tensor Tensor::reshape(Shape shape) && {
  check(shape.numel() == numel(), "Tensor::reshape: shape ", shape, " is invalid for a tensor of shape ", shape_,
        " (", numel(), " elements)");
  Tensor t = std::move(*this);
  t.shape_ = shape;
  return t;
}

std::array<int64_t, Shape::max_rank> Tensor::strides() const {
  std::array<int64_t, Shape::max_rank> s{};
  int64_t stride = 1;
  for (int axis = rank() - 1; axis >= 0; --axis) {
    s[axis] = stride;
    stride *= shape_[axis];
  }
  return s;
}

void Tensor::fill(float value) { std::fill(data_, data_ + numel(), value); }

int64_t Tensor::offset(std::initializer_list<int64_t> index) const {
  check(static_cast<int>(index.size()) == rank(), "Tensor::at: expected ", rank(), " indices for shape ", shape_,
        ", but got ", index.size());
  // The sizes through the inline begin(), not Shape::operator[]: at() is the weights' packing loop
  // (Winograd's transform reads each weight 36 times), where the out-of-line call doubled the cost.
  int64_t flat = 0;
  const int64_t* size = shape_.begin();
  for (int64_t i : index) {
    if (i < 0 || i >= *size)
      fail("Tensor::at: index ", i, " is out of range for dimension ", size - shape_.begin(), " of size ", *size,
           " (shape ", shape_, ")");
    flat = flat * *size++ + i;
  }
  return flat;
}

std::ostream& operator<<(std::ostream& os, const Tensor& tensor) {
  if (!tensor.defined()) return os << "Tensor(undefined)";
  constexpr int64_t shown = 8;
  os << "Tensor(shape=" << tensor.shape() << ", values=[";
  for (int64_t i = 0; i < std::min(tensor.numel(), shown); ++i) os << (i ? ", " : "") << tensor[i];
  return os << (tensor.numel() > shown ? ", ...])" : "])");
}

namespace {

void check_same_shape(const char* what, const Tensor& a, const Tensor& b) {
  check(a.shape() == b.shape(), what, ": shapes must match, but got ", a.shape(), " and ", b.shape());
}

}  // namespace

double max_abs_diff(const Tensor& a, const Tensor& b) {
  check_same_shape("max_abs_diff", a, b);
  double worst = 0.0;
  for (int64_t i = 0; i < a.numel(); ++i) {
    const double x = a[i], y = b[i];
    if (std::isnan(x) || std::isnan(y)) {
      if (std::isnan(x) != std::isnan(y)) return std::numeric_limits<double>::quiet_NaN();
    } else if (x != y) {  // equal infinities are no difference
      worst = std::max(worst, std::abs(x - y));
    }
  }
  return worst;
}

bool allclose(const Tensor& a, const Tensor& b, double rtol, double atol, bool equal_nan) {
  check_same_shape("allclose", a, b);
  for (int64_t i = 0; i < a.numel(); ++i) {
    const double x = a[i], y = b[i];
    if (std::isnan(x) || std::isnan(y)) {
      if (!(equal_nan && std::isnan(x) && std::isnan(y))) return false;
    } else if (x != y && !(std::abs(x - y) <= atol + rtol * std::abs(y))) {
      return false;
    }
  }
  return true;
}

}  // namespace strider
