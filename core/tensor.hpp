#pragma once
// Tensor: float32, rank 1-4 (NCHW for images), row-major, 64-byte aligned. Owning tensors are move-only
// (copy with clone()); views wrap caller memory without owning it. A tensor may be read from any number
// of threads at once; writing it needs exclusive access (nothing inside is synchronised).
#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <iosfwd>
#include <memory>
#include <span>
#include <string>
#include <utility>

namespace strider {

class Shape {
 public:
  static constexpr int max_rank = 4;

  Shape() = default;  // rank 0: the shape of an undefined Tensor
  Shape(std::initializer_list<int64_t> dims);
  explicit Shape(std::span<const int64_t> dims);

  int rank() const { return rank_; }
  // Size of one axis; a negative axis counts from the end, as in PyTorch (shape[-1] is W).
  int64_t operator[](int axis) const;
  int64_t numel() const { return numel_; }
  const int64_t* begin() const { return dims_.data(); }
  const int64_t* end() const { return dims_.data() + rank_; }
  std::string str() const;  // "[1, 3, 5, 5]"

  friend bool operator==(const Shape&, const Shape&) = default;

 private:
  std::array<int64_t, max_rank> dims_{};
  int rank_ = 0;
  int64_t numel_ = 0;
};
std::ostream& operator<<(std::ostream& os, const Shape& shape);

class ConstTensor;

class Tensor {
 public:
  static constexpr std::size_t alignment = 64;
  // Owned storage ends with this many readable bytes (one AVX-512 register), so SIMD tails may load
  // past the last element; they never store there. Views carry no slack.
  static constexpr std::size_t slack_bytes = 64;

  Tensor() = default;  // undefined: rank 0, no data
  explicit Tensor(Shape shape);  // uninitialized values
  Tensor(Tensor&& other) noexcept;
  Tensor& operator=(Tensor&& other) noexcept;
  Tensor(const Tensor&) = delete;  // deep copies are explicit: clone()
  Tensor& operator=(const Tensor&) = delete;
  ~Tensor() = default;

  static Tensor empty(Shape shape) { return Tensor(shape); }
  static Tensor zeros(Shape shape) { return full(shape, 0.0f); }
  static Tensor full(Shape shape, float value);
  // start, start + step, ... in row-major order (numpy's arange(n).reshape(shape)).
  static Tensor arange(Shape shape, float start = 0.0f, float step = 1.0f);
  static Tensor uniform(Shape shape, float low, float high, uint64_t seed);
  static Tensor normal(Shape shape, float mean, float stddev, uint64_t seed);
  static Tensor from_values(Shape shape, std::initializer_list<float> values);
  // A non-owning view of caller memory holding shape.numel() floats; the memory must outlive it.
  static Tensor wrap(float* data, Shape shape);
  // The same over a strided buffer (strides in elements, one per axis, as numpy's divided by 4): a view
  // when the strides are row-major ones (axes of size 1 may have any stride); otherwise it throws, since
  // Strider's operators read contiguous memory and a copy would silently stop writes reaching `data`.
  static Tensor wrap(float* data, Shape shape, std::span<const int64_t> strides);
  // Read-only memory: a view that cannot be written through (ConstTensor below). Strided memory that is
  // not row-major is packed into an owned copy (owns_data()), which is harmless since no one writes it.
  static ConstTensor wrap(const float* data, Shape shape);
  static ConstTensor wrap(const float* data, Shape shape, std::span<const int64_t> strides);

  Tensor clone() const;
  // The same data under another shape with as many elements; shares (does not own) this tensor's data.
  Tensor view(Shape shape) const;
  // The same data under another shape, taking over this tensor's storage.
  Tensor reshape(Shape shape) &&;

  bool defined() const { return shape_.rank() > 0; }
  bool owns_data() const { return static_cast<bool>(storage_); }
  const Shape& shape() const { return shape_; }
  int rank() const { return shape_.rank(); }
  int64_t size(int axis) const { return shape_[axis]; }
  int64_t numel() const { return shape_.numel(); }
  // Row-major strides in elements, one per axis.
  std::array<int64_t, Shape::max_rank> strides() const;

  float* data() { return data_; }
  const float* data() const { return data_; }
  std::span<float> values() { return {data_, static_cast<std::size_t>(numel())}; }
  std::span<const float> values() const { return {data_, static_cast<std::size_t>(numel())}; }
  float& operator[](int64_t flat_index) { return data_[flat_index]; }
  float operator[](int64_t flat_index) const { return data_[flat_index]; }

  // Bounds-checked element access: one index per axis.
  template <class... Index>
  float& at(Index... index) { return data_[offset({static_cast<int64_t>(index)...})]; }
  template <class... Index>
  float at(Index... index) const { return data_[offset({static_cast<int64_t>(index)...})]; }

  void fill(float value);

 private:
  struct AlignedFree {
    std::size_t bytes;  // what the memory module needs back (core/memory.hpp); 0 when value-initialised
    void operator()(float* p) const;
  };
  int64_t offset(std::initializer_list<int64_t> index) const;

  std::unique_ptr<float, AlignedFree> storage_;
  float* data_ = nullptr;
  Shape shape_;
};
std::ostream& operator<<(std::ostream& os, const Tensor& tensor);

// A tensor that may only be read: what Tensor::wrap gives for a const buffer (a const cv::Mat, a
// read-only mapping). It converts to `const Tensor&`, so it passes to every operator and module without
// a copy, and it never hands out a mutable Tensor or float*. A type of its own, because returning a
// `const Tensor` by value would not protect the memory: `Tensor t = f();` makes a mutable Tensor.
class ConstTensor {
 public:
  ConstTensor() = default;
  explicit ConstTensor(Tensor tensor) : tensor_(std::move(tensor)) {}

  operator const Tensor&() const { return tensor_; }
  const Tensor& tensor() const { return tensor_; }
  const Shape& shape() const { return tensor_.shape(); }
  const float* data() const { return tensor_.data(); }
  bool owns_data() const { return tensor_.owns_data(); }

 private:
  Tensor tensor_;
};
// The largest tensor Strider allocates, in bytes: a bigger one is a std::invalid_argument naming its shape,
// so a hostile file, image or argument cannot exhaust memory. The default is 4 GiB; the environment
// variable STRIDER_MAX_TENSOR_BYTES (read once, at the first allocation) or set_max_tensor_bytes() changes it.
int64_t max_tensor_bytes();
void set_max_tensor_bytes(int64_t bytes);

// Largest |a - b| over all elements; NaN where exactly one side is NaN, 0 where both are NaN or the
// same infinity. Shapes must match.
double max_abs_diff(const Tensor& a, const Tensor& b);
// torch.allclose: |a - b| <= atol + rtol * |b| everywhere; NaNs compare equal only with equal_nan.
bool allclose(const Tensor& a, const Tensor& b, double rtol = 1e-5, double atol = 1e-8, bool equal_nan = false);

}  // namespace strider
