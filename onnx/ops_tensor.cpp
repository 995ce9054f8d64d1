// Element-wise, layout and padding nodes on tensors computed from the model input. Each falls back to
// the constant path when all its inputs are constants (shape computations).
#include <cmath>
#include <memory>
#include <numbers>

#include "../core/arithmetic.hpp"
#include "../ops/activation.hpp"
#include "../ops/binary.hpp"
#include "../ops/join.hpp"
#include "../ops/pixel_shuffle.hpp"
#include "activation_nodes.hpp"
#include "index_ops.hpp"
#include "plan.hpp"

namespace strider::onnx {

namespace {

Shape to_shape(const Node& n, const Dims& dims) {
  check(!dims.empty() && dims.size() <= static_cast<std::size_t>(Shape::max_rank), n.label(), ": a result of rank ",
        dims.size(), " is not supported (tensors have rank 1-4)");
  return Shape(std::span<const int64_t>(dims));
}

// Registers `op` as a unary tensor function of input 0.
template <class F>
void unary(HandlerTable& table, const char* op, F f) {
  table[op] = [f](Builder& b, const Node& n) {
    b.emit(n, {n.inputs.at(0)}, n.outputs.at(0), [f](std::span<const Tensor* const> x) { return f(*x[0]); });
  };
}

// The constant inputs of a node (null where absent or not constant), for the shape rules. The inputs
// after the first are parameters (axes, starts...): they must be constants (a graph input is frozen).
std::vector<const Const*> const_inputs(const Builder& b, const Node& n) {
  std::vector<const Const*> in;
  for (std::size_t k = 0; k < n.inputs.size(); ++k)
    in.push_back(!n.inputs[k].empty() && (k > 0 || b.is_const(n.inputs[k])) ? &b.constant(n, k) : nullptr);
  return in;
}

// A node that only changes the shape: its output holds the input's values under `dims_for(input dims)`.
template <class DimsFor>
void emit_reshape(Builder& b, const Node& n, DimsFor dims_for) {
  const Shape shape = to_shape(n, dims_for(dims_of(b.tensor(n, 0))));
  b.emit(n, {n.inputs.at(0)}, n.outputs.at(0),
         [shape](std::span<const Tensor* const> x) { return x[0]->clone().reshape(shape); });
}

// Whether input k of n is a constant of one value close to v.
bool is_number(const Builder& b, const Node& n, std::size_t k, double v) {
  if (k >= n.inputs.size() || !b.is_const(n.inputs[k])) return false;
  const Const& c = b.constant(n, k);
  return c.numel() == 1 && std::abs(c.number(0) - v) <= 1e-6 * std::abs(v);
}

// torch's export of the erf GELU, x · (1 + Erf(x / √2)) · 0.5 as Div, Erf, Add, Mul, Mul, starting at
// the Div n: the name of the last Mul's output (its nodes absorbed), or empty if n starts no such chain.
std::string absorb_erf_gelu(Builder& b, const Node& n) {
  if (n.inputs.size() != 2 || !is_number(b, n, 1, std::numbers::sqrt2)) return {};
  const std::string& x = n.inputs[0];
  const Node* erf = b.sole_consumer(n.outputs.at(0));
  if (!erf || erf->op != "Erf") return {};
  const Node* add = b.sole_consumer(erf->outputs.at(0));
  if (!add || add->op != "Add" || add->inputs.size() != 2) return {};
  const std::size_t one = add->inputs[0] == erf->outputs[0] ? 1 : 0;
  if (!is_number(b, *add, one, 1.0)) return {};
  const Node* mul = b.sole_consumer(add->outputs.at(0));
  if (!mul || mul->op != "Mul" || mul->inputs.size() != 2 ||
      mul->inputs[mul->inputs[0] == add->outputs[0] ? 1 : 0] != x)
    return {};
  const Node* half = b.sole_consumer(mul->outputs.at(0));
  if (!half || half->op != "Mul" || half->inputs.size() != 2 ||
      !is_number(b, *half, half->inputs[0] == mul->outputs[0] ? 1 : 0, 0.5))
    return {};
  for (const Node* absorbed : {erf, add, mul, half}) b.absorb(*absorbed);
  return half->outputs.at(0);
}

void binary_node(HandlerTable& table, const char* op, BinaryOp kind) {
  table[op] = [kind](Builder& b, const Node& n) {
    if (all_const(b, n)) return fold(b, n);
    if (kind == BinaryOp::div && !b.is_const(n.inputs.at(0))) {
      if (const std::string out = absorb_erf_gelu(b, n); !out.empty()) {
        b.emit(n, {n.inputs[0]}, out, [](std::span<const Tensor* const> x) { return gelu(*x[0]); });
        return;
      }
    }
    // A constant operand (a scale, a bias) is captured as a tensor; the other comes from its slot.
    std::array<std::shared_ptr<const Tensor>, 2> constant;
    std::vector<std::string> inputs;
    for (std::size_t k = 0; k < 2; ++k) {
      if (b.is_const(n.inputs.at(k)))
        constant[k] = std::make_shared<const Tensor>(b.constant(n, k).to_tensor(n.label()));
      else inputs.push_back(n.inputs[k]);
    }
    const std::string label = n.label();
    b.emit(n, inputs, n.outputs.at(0), [kind, constant, label](std::span<const Tensor* const> x) {
      const Tensor& a = constant[0] ? *constant[0] : *x[0];
      const Tensor& c = constant[1] ? *constant[1] : *x[constant[0] ? 0 : 1];
      broadcast_dims(dims_of(a), dims_of(c), label);  // the node's message for incompatible shapes
      return binary(kind, a, c);
    });
  };
}

void pad(Builder& b, const Node& n) {
  const std::string mode = n.get_string("mode", "constant");
  const Tensor& x = b.tensor(n, 0);
  const auto rank = static_cast<std::size_t>(x.rank());
  Dims pads;
  float value = 0;
  if (b.model().opset >= 11) {
    pads = b.constant(n, 1).integers();
    if (n.input(2)) value = static_cast<float>(b.scalar(n, 2).number(0));
    check(!n.input(3), n.label(), ": the 'axes' input is not supported");
  } else {
    pads = n.get_ints("pads", {});
    value = n.get_float("value", 0.0f);
  }
  check(pads.size() == 2 * rank, n.label(), ": pads has ", pads.size(), " entries for a rank-", rank, " input");
  PaddingMode padding_mode = PaddingMode::zeros;
  if (mode == "reflect") padding_mode = PaddingMode::reflect;
  else if (mode == "edge") padding_mode = PaddingMode::replicate;
  else check(mode == "constant", n.label(), ": mode '", mode, "' is not supported (constant, reflect, edge)");
  auto sources = std::make_shared<std::vector<Dims>>();
  for (std::size_t k = 0; k < rank; ++k)
    sources->push_back(pad_sources(n, x.size(static_cast<int>(k)), pads[k], pads[k + rank], padding_mode));
  b.emit(n, {n.inputs[0]}, n.outputs.at(0),
         [sources, value](std::span<const Tensor* const> in) { return apply_pad(*in[0], *sources, value); });
}

}  // namespace

Dims pad_sources(const Node& n, int64_t size, int64_t before, int64_t after, PaddingMode mode) {
  check(before >= 0 && after >= 0, n.label(), ": negative pads are not supported, but got ", before, " and ", after);
  check(before <= (1 << 20) && after <= (1 << 20), n.label(), ": pads ", before, " and ", after, " are too large");
  if (mode != PaddingMode::zeros && (before > 0 || after > 0)) {  // pads of 0 copy any axis, even an empty one
    check(size > 0, n.label(), ": ", mode == PaddingMode::reflect ? "reflect" : "edge",
          " padding needs values to copy, but got pads ", before, " and ", after, " on an axis of size 0");
    check(mode != PaddingMode::reflect || (before < size && after < size), n.label(),
          ": reflect padding must be smaller than the input size ", size, ", but got ", before, " and ", after);
  }
  Dims source;
  for (int64_t i = -before; i < size + after; ++i)
    source.push_back(mode == PaddingMode::zeros ? (i >= 0 && i < size ? i : -1) : padded_source_index(i, size, mode));
  return source;
}

Tensor apply_pad(const Tensor& x, const std::vector<Dims>& sources, float value) {
  // Pad to 4 axes at the front, so that one loop nest serves every rank.
  std::vector<Dims> s(4 - sources.size(), Dims{0});
  s.insert(s.end(), sources.begin(), sources.end());
  Dims in(4 - sources.size(), 1), out;
  for (int k = 0; k < x.rank(); ++k) in.push_back(x.size(k));
  for (const Dims& axis : sources) out.push_back(static_cast<int64_t>(axis.size()));
  Tensor y{Shape(std::span<const int64_t>(out))};
  int64_t i = 0;
  for (int64_t a : s[0])
    for (int64_t b : s[1])
      for (int64_t c : s[2])
        for (int64_t d : s[3])
          y[i++] = a < 0 || b < 0 || c < 0 || d < 0 ? value : x[((a * in[1] + b) * in[2] + c) * in[3] + d];
  return y;
}

namespace {

// DepthToSpace: CRD is pixel_shuffle; DCR takes channel (i·r + j)·C + c for output channel c.
void depth_to_space(Builder& b, const Node& n) {
  const int64_t r = n.get_int("blocksize", 0);
  const std::string mode = n.get_string("mode", "DCR");
  check(r > 0, n.label(), ": blocksize must be positive, but got ", r);
  check(mode == "DCR" || mode == "CRD", n.label(), ": mode must be DCR or CRD, but got '", mode, "'");
  check(b.tensor(n, 0).rank() == 4, n.label(), ": expects a 4-D input");
  b.emit(n, {n.inputs.at(0)}, n.outputs.at(0), [r, mode](std::span<const Tensor* const> in) {
    return mode == "CRD" ? pixel_shuffle(*in[0], r) : depth_to_space_dcr(*in[0], r);
  });
}

// PixelShuffle as older torch exports it: Reshape [N, C·r², H, W] -> [N, C, r, r, H, W], then Transpose
// (0, 1, 4, 2, 5, 3), whose rank-6 result [N, C, H, r, W, r] has the layout of pixel_shuffle's
// [N, C, H·r, W·r] (the Reshape that follows is then a no-op). Emits pixel_shuffle for both nodes.
bool pixel_shuffle_pattern(Builder& b, const Node& n, const Dims& target) {
  const Tensor& x = b.tensor(n, 0);
  if (x.rank() != 4 || target.size() != 6) return false;
  const Dims d = reshape_target(n, dims_of(x), target);
  const int64_t r = d[2];
  const bool shape = d[0] == x.size(0) && d[2] == d[3] && d[4] == x.size(2) && d[5] == x.size(3) && r > 0 &&
                     d[1] * r * r == x.size(1);
  const Node* transpose = b.sole_consumer(n.outputs.at(0));
  if (!shape || transpose == nullptr || transpose->op != "Transpose" ||
      transpose->get_ints("perm", {}) != Dims{0, 1, 4, 2, 5, 3})
    return false;
  b.absorb(*transpose);
  b.emit(n, {n.inputs[0]}, transpose->outputs.at(0),
         [r](std::span<const Tensor* const> in) { return pixel_shuffle(*in[0], r); });
  return true;
}

// SpaceToDepth, DepthToSpace's DCR inverse: output channel (i·r + j)·C + c holds x[c, h·r + i, w·r + j].
void space_to_depth(Builder& b, const Node& n) {
  const int64_t r = n.get_int("blocksize", 0);
  check(r > 0, n.label(), ": blocksize must be positive, but got ", r);
  check(b.tensor(n, 0).rank() == 4, n.label(), ": expects a 4-D input");
  b.emit(n, {n.inputs.at(0)}, n.outputs.at(0), [r](std::span<const Tensor* const> in) {
    const Tensor& x = *in[0];
    const int64_t N = x.size(0), C = x.size(1), H = x.size(2), W = x.size(3);
    check(H % r == 0 && W % r == 0, "SpaceToDepth: height and width (", H, ", ", W,
          ") must be divisible by blocksize ", r);
    Tensor y({N, checked_mul(C, checked_mul(r, r, "SpaceToDepth: blocksize²"), "SpaceToDepth: output channels"),
              H / r, W / r});
    for (int64_t b2 = 0; b2 < N; ++b2)
      for (int64_t c = 0; c < C; ++c)
        for (int64_t h = 0; h < H; ++h)
          for (int64_t w = 0; w < W; ++w) y.at(b2, ((h % r) * r + w % r) * C + c, h / r, w / r) = x.at(b2, c, h, w);
    return y;
  });
}

}  // namespace

void register_tensor_ops(HandlerTable& table) {
  // Activations: the same description the convolutions fuse (activation_nodes.hpp).
  for (const char* op : {"Relu", "Sigmoid", "Tanh", "LeakyRelu", "PRelu", "Clip", "Elu", "Selu", "Celu", "HardSigmoid",
                         "HardSwish", "Softplus"})
    table[op] = [](Builder& b, const Node& n) {
      const Tensor& x = b.tensor(n, 0);
      const std::optional<Activation> a = activation_of(b, n, x.rank() >= 2 ? x.size(1) : 1);
      check(a.has_value(), n.label(), ": its parameters must be constants");
      auto shared = std::make_shared<const Activation>(*a);
      b.emit(n, {n.inputs[0]}, n.outputs.at(0),
             [shared](std::span<const Tensor* const> in) { return activate(*in[0], *shared); });
    };
  // torch exports the erf form of GELU as x · 0.5 · (1 + Erf(x / √2)).
  unary(table, "Erf", [](const Tensor& x) {
    Tensor y(x.shape());
    for (int64_t i = 0; i < x.numel(); ++i) y[i] = static_cast<float>(std::erf(static_cast<double>(x[i])));
    return y;
  });
  binary_node(table, "Add", BinaryOp::add);
  binary_node(table, "Sub", BinaryOp::sub);
  binary_node(table, "Mul", BinaryOp::mul);
  binary_node(table, "Div", BinaryOp::div);
  table["Identity"] = [](Builder& b, const Node& n) { b.alias(n.outputs.at(0), n.inputs.at(0)); };
  table["Dropout"] = [](Builder& b, const Node& n) {
    // Inference: the identity. Training mode drops at random, and the mask output is not computed.
    check(!n.input(2) || b.scalar(n, 2).integer(0) == 0, n.label(), ": training_mode=",
          n.input(2) ? b.scalar(n, 2).integer(0) : 0, " is not supported (inference only)");
    check(n.outputs.size() < 2 || n.outputs[1].empty(), n.label(), ": the mask output '", n.outputs.back(),
          "' is not supported");
    b.alias(n.outputs.at(0), n.inputs.at(0));
  };
  table["Cast"] = [](Builder& b, const Node& n) {
    if (all_const(b, n)) return fold(b, n);
    check(n.get_int("to", 0) == 1, n.label(), ": only casts of constants, or of float tensors to float, are supported");
    b.alias(n.outputs.at(0), n.inputs.at(0));
  };
  table["Concat"] = [](Builder& b, const Node& n) {
    if (all_const(b, n)) return fold(b, n);
    // Constant operands (a learned token, a fixed channel) are captured as tensors, in their places.
    const Operands o = b.operands(n, n.inputs.size(), n.inputs.size());
    const Tensor& first = o.constant[0] ? *o.constant[0] : b.tensor(n, 0);
    const std::size_t rank = static_cast<std::size_t>(first.rank());
    const auto axis = static_cast<int>(normalize_axis(n.get_int("axis", 0), rank, n.label()));
    b.emit(n, o.slots, n.outputs.at(0), [axis, o](std::span<const Tensor* const> x) {
      std::vector<const Tensor*> parts;
      for (std::size_t k = 0; k < o.constant.size(); ++k) parts.push_back(o.get(x, k));
      return cat(parts, axis);
    });
  };
  table["Reshape"] = [](Builder& b, const Node& n) {
    if (all_const(b, n)) return fold(b, n);
    const auto target = b.constant(n, 1).integers();
    if (pixel_shuffle_pattern(b, n, target)) return;
    emit_reshape(b, n, [&](const Dims& d) { return reshape_target(n, d, target); });
  };
  table["Flatten"] = [](Builder& b, const Node& n) {
    emit_reshape(b, n, [&](const Dims& d) {
      // axis is in [-r, r]: a negative one counts from r, not r + 1.
      const int64_t a = n.get_int("axis", 1), r = static_cast<int64_t>(d.size());
      const std::size_t axis = d.size() == 0 ? 0 : normalize_axis(a < 0 ? a + r : a, d.size() + 1, n.label());
      return Dims{product(Dims(d.begin(), d.begin() + static_cast<std::ptrdiff_t>(axis))),
                  product(Dims(d.begin() + static_cast<std::ptrdiff_t>(axis), d.end()))};
    });
  };
  table["Unsqueeze"] = [](Builder& b, const Node& n) {
    if (all_const(b, n)) return fold(b, n);
    const auto axes = squeeze_axes(n, const_inputs(b, n), b.model().opset);
    emit_reshape(b, n, [&](const Dims& d) { return unsqueezed_dims(n, d, axes); });
  };
  table["Squeeze"] = [](Builder& b, const Node& n) {
    if (all_const(b, n)) return fold(b, n);
    const auto axes = squeeze_axes(n, const_inputs(b, n), b.model().opset);
    emit_reshape(b, n, [&](const Dims& d) { return squeezed_dims(n, d, axes); });
  };
  table["Transpose"] = [](Builder& b, const Node& n) {
    if (all_const(b, n)) return fold(b, n);
    const Dims from = dims_of(b.tensor(n, 0));
    const Dims perm = checked_permutation(n.get_ints("perm", {}), from.size(), n.label());
    Dims dims;
    for (int64_t p : perm) dims.push_back(from[static_cast<std::size_t>(p)]);
    const Shape shape = to_shape(n, dims);
    b.emit(n, {n.inputs[0]}, n.outputs.at(0), [from, perm, shape](std::span<const Tensor* const> x) {
      Tensor out(shape);
      transpose_copy(x[0]->data(), from, perm, out.data());
      return out;
    });
  };
  table["Slice"] = [](Builder& b, const Node& n) {
    if (all_const(b, n)) return fold(b, n);
    const Dims from = dims_of(b.tensor(n, 0));
    const auto ranges = slice_ranges(n, from, const_inputs(b, n), b.model().opset);
    Dims dims;
    for (const AxisRange& r : ranges) dims.push_back(r.count);
    check(product(dims) > 0, n.label(), ": the slice is empty");
    const Shape shape = to_shape(n, dims);
    b.emit(n, {n.inputs[0]}, n.outputs.at(0), [from, ranges, shape](std::span<const Tensor* const> x) {
      Tensor out(shape);
      slice_copy(x[0]->data(), from, ranges, out.data());
      return out;
    });
  };
  table["Pad"] = pad;
  table["DepthToSpace"] = depth_to_space;
  table["SpaceToDepth"] = space_to_depth;
}

}  // namespace strider::onnx
