// The shape computations torch.onnx.export emits (Shape -> Gather -> Unsqueeze -> Concat -> Reshape,
// Cast -> Mul -> Floor for Resize sizes, ...), evaluated on constants while the plan is built: with the
// input shape fixed they are constants.
#include <cmath>
#include <numeric>

#include "index_ops.hpp"
#include "plan.hpp"

namespace strider::onnx {

namespace {

using Inputs = std::vector<const Const*>;
using ConstFn = Const (*)(const Node&, const Inputs&, int64_t opset);

// The input at `index`, or null when it is absent or omitted.
const Const* optional_input(const Inputs& in, std::size_t index) { return index < in.size() ? in[index] : nullptr; }

const Const& required(const Node& n, const Inputs& in, std::size_t index) {
  const Const* c = optional_input(in, index);
  check(c != nullptr, n.label(), ": input ", index, " is required");
  return *c;
}

// Axes from opset 13's input (or the attribute before), as a list.
std::vector<int64_t> axes_of(const Node& n, const Inputs& in, std::size_t input, int64_t opset, int64_t since) {
  if (opset >= since) return optional_input(in, input) ? in[input]->integers() : std::vector<int64_t>{};
  return n.get_ints("axes", {});
}

Const constant(const Node& n, const Inputs&, int64_t) {
  if (n.has("value")) {
    const Attribute& a = n.attributes.at("value");
    check(a.kind == Attribute::Kind::tensor, n.label(), ": attribute 'value' must be a tensor");
    return a.t;
  }
  if (n.has("value_float")) return make_floats({}, {n.get_float("value_float", 0)});
  if (n.has("value_int")) return make_ints({}, {n.get_int("value_int", 0)});
  if (n.has("value_ints")) {
    auto v = n.get_ints("value_ints", {});
    return make_ints({static_cast<int64_t>(v.size())}, v);
  }
  fail(n.label(), ": needs a 'value', 'value_float', 'value_int' or 'value_ints' attribute");
}

Const shape(const Node& n, const Inputs& in, int64_t) {
  const Dims& d = required(n, in, 0).dims;
  const auto r = slice_range(static_cast<int64_t>(d.size()), n.get_int("start", 0),
                             n.get_int("end", static_cast<int64_t>(d.size())), 1, n.label());
  Dims v(d.begin() + r.start, d.begin() + r.start + r.count);
  return make_ints({static_cast<int64_t>(v.size())}, v);
}

template <class Copy>
Const same_type(const Const& like, Dims dims, Copy copy) {
  Const out{std::move(dims), like.is_float, {}, {}};
  const auto n = static_cast<std::size_t>(product(out.dims));
  if (like.is_float) {
    out.floats.resize(n);
    copy(like.floats.data(), out.floats.data());
  } else {
    out.ints.resize(n);
    copy(like.ints.data(), out.ints.data());
  }
  return out;
}

Const gather(const Node& n, const Inputs& in, int64_t) {
  const Const& data = required(n, in, 0);
  const Const& indices = required(n, in, 1);
  check(!indices.is_float, n.label(), ": indices must be integers");
  const std::size_t axis = normalize_axis(n.get_int("axis", 0), data.dims.size(), n.label());
  const int64_t size = data.dims[axis];
  Dims dims(data.dims.begin(), data.dims.begin() + static_cast<std::ptrdiff_t>(axis));
  dims.insert(dims.end(), indices.dims.begin(), indices.dims.end());
  dims.insert(dims.end(), data.dims.begin() + static_cast<std::ptrdiff_t>(axis) + 1, data.dims.end());
  Dims outer_dims(data.dims.begin(), data.dims.begin() + static_cast<std::ptrdiff_t>(axis));
  Dims inner_dims(data.dims.begin() + static_cast<std::ptrdiff_t>(axis) + 1, data.dims.end());
  const int64_t outer = product(outer_dims), inner = product(inner_dims);
  return same_type(data, dims, [&](const auto* src, auto* dst) {
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t k = 0; k < indices.numel(); ++k) {
        int64_t i = indices.ints[static_cast<std::size_t>(k)];
        check(i >= -size && i < size, n.label(), ": index ", i, " is out of range for axis size ", size);
        if (i < 0) i += size;
        std::copy(src + (o * size + i) * inner, src + (o * size + i + 1) * inner, dst + (o * indices.numel() + k) * inner);
      }
  });
}

}  // namespace

// Slice on any rank: opset 10+ takes starts/ends/axes/steps as inputs, older opsets as attributes.
std::vector<AxisRange> slice_ranges(const Node& n, const Dims& dims, const std::vector<const Const*>& in,
                                    int64_t opset) {
  std::vector<int64_t> starts, ends, axes, steps;
  if (opset >= 10) {
    starts = required(n, in, 1).integers();
    ends = required(n, in, 2).integers();
    if (optional_input(in, 3)) axes = in[3]->integers();
    if (optional_input(in, 4)) steps = in[4]->integers();
  } else {
    starts = n.get_ints("starts", {});
    ends = n.get_ints("ends", {});
    axes = n.get_ints("axes", {});
  }
  if (axes.empty())
    for (std::size_t k = 0; k < starts.size(); ++k) axes.push_back(static_cast<int64_t>(k));
  if (steps.empty()) steps.assign(starts.size(), 1);
  check(ends.size() == starts.size() && axes.size() == starts.size() && steps.size() == starts.size(), n.label(),
        ": starts, ends, axes and steps must have the same length");
  std::vector<AxisRange> ranges;
  for (int64_t d : dims) ranges.push_back({0, 1, d});
  for (std::size_t k = 0; k < starts.size(); ++k) {
    const std::size_t axis = normalize_axis(axes[k], dims.size(), n.label());
    check(steps[k] > -(int64_t{1} << 62) && steps[k] < (int64_t{1} << 62), n.label(), ": step ", steps[k],
          " is out of range");
    ranges[axis] = slice_range(dims[axis], starts[k], ends[k], steps[k], n.label());
  }
  return ranges;
}

namespace {

Const slice(const Node& n, const Inputs& in, int64_t opset) {
  const Const& data = required(n, in, 0);
  const auto ranges = slice_ranges(n, data.dims, in, opset);
  Dims dims;
  for (const AxisRange& r : ranges) dims.push_back(r.count);
  return same_type(data, dims, [&](const auto* src, auto* dst) { slice_copy(src, data.dims, ranges, dst); });
}

Const cast(const Node& n, const Inputs& in, int64_t) {
  const Const& x = required(n, in, 0);
  const int64_t to = n.get_int("to", 0);
  if (to == 1 || to == 11) {  // float, double
    std::vector<float> v(static_cast<std::size_t>(x.numel()));
    for (int64_t i = 0; i < x.numel(); ++i) v[static_cast<std::size_t>(i)] = static_cast<float>(x.number(i));
    return make_floats(x.dims, v);
  }
  check(to == 7 || to == 6 || to == 9, n.label(), ": cast to data type ", to, " is not supported");
  std::vector<int64_t> v = x.integers();
  if (to == 9)
    for (auto& b : v) b = b != 0;
  return make_ints(x.dims, v);
}

Const reshape(const Node& n, const Inputs& in, int64_t) {
  Const out = required(n, in, 0);
  out.dims = reshape_target(n, out.dims, required(n, in, 1).integers());
  return out;
}

}  // namespace

// Unsqueeze / Squeeze / Flatten dims; shared with the tensor path.
Dims unsqueezed_dims(const Node& n, const Dims& from, std::vector<int64_t> axes) {
  Dims dims = from;
  const std::size_t rank = from.size() + axes.size();
  for (auto& a : axes) a = static_cast<int64_t>(normalize_axis(a, rank, n.label()));
  std::sort(axes.begin(), axes.end());
  check(std::adjacent_find(axes.begin(), axes.end()) == axes.end(), n.label(), ": repeated axis");
  for (int64_t a : axes) dims.insert(dims.begin() + a, 1);
  return dims;
}

Dims squeezed_dims(const Node& n, const Dims& from, const std::vector<int64_t>& axes) {
  std::vector<bool> drop(from.size(), axes.empty());
  if (axes.empty())
    for (std::size_t k = 0; k < from.size(); ++k) drop[k] = from[k] == 1;
  for (int64_t a : axes) {
    const std::size_t k = normalize_axis(a, from.size(), n.label());
    check(from[k] == 1, n.label(), ": cannot squeeze axis ", a, " of size ", from[k]);
    drop[k] = true;
  }
  Dims dims;
  for (std::size_t k = 0; k < from.size(); ++k)
    if (!drop[k]) dims.push_back(from[k]);
  return dims;
}

Dims reshape_target(const Node& n, const Dims& from, const std::vector<int64_t>& target) {
  const bool allow_zero = n.get_int("allowzero", 0) != 0;
  Dims dims;
  int infer = -1;
  for (std::size_t k = 0; k < target.size(); ++k) {
    int64_t d = target[k];
    if (d == 0 && !allow_zero) {
      check(k < from.size(), n.label(), ": shape entry 0 at position ", k, " copies a dimension the input lacks");
      d = from[k];
    } else if (d == -1) {
      check(infer < 0, n.label(), ": shape has more than one -1");
      infer = static_cast<int>(k);
      d = 1;
    }
    check(d >= 0, n.label(), ": invalid shape entry ", target[k]);
    dims.push_back(d);
  }
  const int64_t known = product(dims), total = product(from);
  if (infer >= 0) {
    check(known > 0 && total % known == 0, n.label(), ": cannot infer the -1 in the target shape");
    dims[static_cast<std::size_t>(infer)] = total / known;
  }
  check(product(dims) == total, n.label(), ": cannot reshape ", total, " elements to ", product(dims));
  return dims;
}


std::vector<int64_t> squeeze_axes(const Node& n, const std::vector<const Const*>& in, int64_t opset) {
  return axes_of(n, in, 1, opset, 13);
}

namespace {

Const unsqueeze(const Node& n, const Inputs& in, int64_t opset) {
  Const out = required(n, in, 0);
  out.dims = unsqueezed_dims(n, out.dims, axes_of(n, in, 1, opset, 13));
  return out;
}

Const squeeze(const Node& n, const Inputs& in, int64_t opset) {
  Const out = required(n, in, 0);
  out.dims = squeezed_dims(n, out.dims, axes_of(n, in, 1, opset, 13));
  return out;
}

Const concat(const Node& n, const Inputs& in, int64_t) {
  check(!in.empty() && in[0], n.label(), ": needs at least one input");
  const Const& first = *in[0];
  const std::size_t axis = normalize_axis(n.get_int("axis", 0), first.dims.size(), n.label());
  Dims dims = first.dims;
  dims[axis] = 0;
  bool is_float = false;
  for (const Const* c : in) {
    check(c && c->dims.size() == first.dims.size(), n.label(), ": inputs must have the same rank");
    for (std::size_t k = 0; k < dims.size(); ++k)
      check(k == axis || c->dims[k] == first.dims[k], n.label(), ": sizes must match except along axis ", axis);
    dims[axis] += c->dims[axis];
    is_float = is_float || c->is_float;
  }
  Dims before(first.dims.begin(), first.dims.begin() + static_cast<std::ptrdiff_t>(axis));
  const int64_t outer = product(before);
  Const out{dims, is_float, {}, {}};
  for (int64_t o = 0; o < outer; ++o)
    for (const Const* c : in) {
      const int64_t block = c->numel() / std::max<int64_t>(outer, 1);
      for (int64_t i = o * block; i < (o + 1) * block; ++i) {
        if (is_float) out.floats.push_back(static_cast<float>(c->number(i)));
        else out.ints.push_back(c->ints[static_cast<std::size_t>(i)]);
      }
    }
  return out;
}

Const constant_of_shape(const Node& n, const Inputs& in, int64_t) {
  const Dims dims = required(n, in, 0).integers();
  for (int64_t d : dims) check(d >= 0 && d <= (1 << 20), n.label(), ": dimension ", d, " out of range");
  Const value = n.has("value") ? n.attributes.at("value").t : make_floats({1}, {0.0f});
  check(value.numel() == 1, n.label(), ": 'value' must hold one element");
  const auto count = static_cast<std::size_t>(product(dims));
  if (value.is_float) return make_floats(dims, std::vector<float>(count, value.floats[0]));
  return make_ints(dims, std::vector<int64_t>(count, value.ints[0]));
}

Const transpose(const Node& n, const Inputs& in, int64_t) {
  const Const& x = required(n, in, 0);
  const Dims perm = checked_permutation(n.get_ints("perm", {}), x.dims.size(), n.label());
  Dims dims;
  for (int64_t p : perm) dims.push_back(x.dims[static_cast<std::size_t>(p)]);
  return same_type(x, dims, [&](const auto* src, auto* dst) { transpose_copy(src, x.dims, perm, dst); });
}

template <class IntOp, class FloatOp>
Const binary(const Node& n, const Inputs& in, IntOp int_op, FloatOp float_op) {
  const Const& a = required(n, in, 0);
  const Const& b = required(n, in, 1);
  const Dims dims = broadcast_dims(a.dims, b.dims, n.label());
  if (!a.is_float && !b.is_float) {
    Const out = make_ints(dims, std::vector<int64_t>(static_cast<std::size_t>(product(dims))));
    broadcast_apply(a.ints.data(), a.dims, b.ints.data(), b.dims, dims, out.ints.data(), int_op);
    return out;
  }
  const Const fa = a.is_float ? a : make_floats(a.dims, std::vector<float>(a.ints.begin(), a.ints.end()));
  const Const fb = b.is_float ? b : make_floats(b.dims, std::vector<float>(b.ints.begin(), b.ints.end()));
  Const out = make_floats(dims, std::vector<float>(static_cast<std::size_t>(product(dims))));
  broadcast_apply(fa.floats.data(), fa.dims, fb.floats.data(), fb.dims, dims, out.floats.data(), float_op);
  return out;
}

// Shape arithmetic must not overflow int64 (undefined behaviour): a file may hold any numbers. `op` is
// one of GCC's __builtin_*_overflow, which return true on overflow.
template <class Op>
auto checked(const Node& n, Op op) {
  return [&n, op](int64_t x, int64_t y) {
    int64_t r = 0;
    check(!op(x, y, &r), n.label(), ": integer overflow computing with ", x, " and ", y);
    return r;
  };
}

Const add(const Node& n, const Inputs& in, int64_t) {
  return binary(n, in, checked(n, [](int64_t a, int64_t b, int64_t* r) { return __builtin_add_overflow(a, b, r); }),
                std::plus<float>());
}
Const sub(const Node& n, const Inputs& in, int64_t) {
  return binary(n, in, checked(n, [](int64_t a, int64_t b, int64_t* r) { return __builtin_sub_overflow(a, b, r); }),
                std::minus<float>());
}
Const mul(const Node& n, const Inputs& in, int64_t) {
  return binary(n, in, checked(n, [](int64_t a, int64_t b, int64_t* r) { return __builtin_mul_overflow(a, b, r); }),
                std::multiplies<float>());
}
Const div(const Node& n, const Inputs& in, int64_t) {
  return binary(n, in, [&](int64_t x, int64_t y) {
    check(y != 0 && !(x == INT64_MIN && y == -1), n.label(), ": integer division ", x, " / ", y, " is undefined");
    return x / y;
  }, std::divides<float>());
}

template <float (*F)(float)>
Const unary(const Node& n, const Inputs& in, int64_t) {
  Const x = required(n, in, 0);
  check(x.is_float, n.label(), ": expects a float input");
  for (float& v : x.floats) v = F(v);
  return x;
}

Const identity(const Node& n, const Inputs& in, int64_t) { return required(n, in, 0); }

const std::map<std::string, ConstFn>& const_ops() {
  static const std::map<std::string, ConstFn> ops = {
      {"Add", add}, {"Cast", cast}, {"Ceil", unary<std::ceil>}, {"Concat", concat}, {"Constant", constant},
      {"ConstantOfShape", constant_of_shape}, {"Div", div}, {"Dropout", identity}, {"Floor", unary<std::floor>},
      {"Gather", gather}, {"Identity", identity}, {"Mul", mul}, {"Reshape", reshape}, {"Shape", shape},
      {"Slice", slice}, {"Squeeze", squeeze}, {"Sub", sub}, {"Transpose", transpose}, {"Unsqueeze", unsqueeze}};
  return ops;
}

}  // namespace

bool all_const(const Builder& builder, const Node& node) {
  for (const std::string& in : node.inputs)
    if (!in.empty() && !builder.is_const(in)) return false;
  return true;
}

void fold(Builder& builder, const Node& node) {
  const auto op = const_ops().find(node.op);
  check(op != const_ops().end(), node.label(), ": operator ", node.op, " on constant inputs is not supported");
  Inputs in;
  for (std::size_t k = 0; k < node.inputs.size(); ++k)
    in.push_back(node.inputs[k].empty() ? nullptr : &builder.constant(node, k));
  check(!node.outputs.empty(), node.label(), ": has no output");
  builder.set_const(node.outputs[0], op->second(node, in, builder.model().opset));
}

void register_shape_ops(HandlerTable& table) {
  for (const char* op : {"Constant", "ConstantOfShape", "Gather", "Floor", "Ceil"}) table[op] = fold;
  // Shape reads only the shape of a tensor: a constant once the input shape is fixed.
  table["Shape"] = [](Builder& b, const Node& n) {
    if (all_const(b, n)) return fold(b, n);
    const Shape& s = b.tensor(n, 0).shape();
    Const dims_only;  // shape() reads only the dims
    dims_only.dims.assign(s.begin(), s.end());
    b.set_const(n.outputs.at(0), shape(n, {&dims_only}, b.model().opset));
  };
}

}  // namespace strider::onnx
