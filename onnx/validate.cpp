// What can be checked of a model before any input shape is known: every operator is supported, and the
// attributes the handlers read have the right kind and a legal value. The shape-dependent rules stay in
// the handlers, which run when a plan is built.
#include <algorithm>
#include <map>
#include <sstream>

#include "../core/check.hpp"
#include "plan.hpp"

namespace strider::onnx {

namespace {

using Kind = Attribute::Kind;
enum class Values { any, positive, non_negative, flag, pads };

struct AttributeRule {
  std::vector<std::string> ops;
  std::string name;
  Kind kind;
  Values values = Values::any;
  std::vector<std::string> allowed = {};  // for strings; empty: any
  bool required = false;
};

const std::vector<std::string> conv_like = {"Conv", "ConvTranspose", "MaxPool", "AveragePool"};

const std::vector<AttributeRule>& rules() {
  static const std::vector<AttributeRule> table = {
      {conv_like, "kernel_shape", Kind::integers, Values::positive},
      {conv_like, "strides", Kind::integers, Values::positive},
      {conv_like, "dilations", Kind::integers, Values::positive},
      {conv_like, "pads", Kind::integers, Values::pads},
      {conv_like, "auto_pad", Kind::text, Values::any, {"NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID"}},
      {{"Conv", "ConvTranspose"}, "group", Kind::integer, Values::positive},
      {{"ConvTranspose"}, "output_padding", Kind::integers, Values::non_negative},
      {{"ConvTranspose"}, "output_shape", Kind::integers, Values::positive},
      {{"MaxPool", "AveragePool"}, "ceil_mode", Kind::integer, Values::flag},
      {{"AveragePool"}, "count_include_pad", Kind::integer, Values::flag},
      {{"MaxPool"}, "storage_order", Kind::integer, Values::flag},
      {{"BatchNormalization"}, "epsilon", Kind::real},
      {{"BatchNormalization"}, "training_mode", Kind::integer, Values::flag},
      {{"LeakyRelu"}, "alpha", Kind::real},
      {{"Clip"}, "min", Kind::real},
      {{"Clip"}, "max", Kind::real},
      {{"Resize", "Upsample"}, "mode", Kind::text, Values::any, {"nearest", "linear", "bilinear", "cubic"}},
      {{"Resize"}, "coordinate_transformation_mode", Kind::text, Values::any,
       {"half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric", "tf_half_pixel_for_nn"}},
      {{"Resize"}, "nearest_mode", Kind::text, Values::any,
       {"round_prefer_floor", "round_prefer_ceil", "floor", "ceil"}},
      {{"Pad"}, "mode", Kind::text, Values::any, {"constant", "reflect", "edge"}},
      {{"DepthToSpace"}, "blocksize", Kind::integer, Values::positive, {}, true},
      {{"DepthToSpace"}, "mode", Kind::text, Values::any, {"DCR", "CRD"}},
      {{"Concat"}, "axis", Kind::integer, Values::any, {}, true},
      {{"Flatten", "Gather"}, "axis", Kind::integer},
      {{"Cast"}, "to", Kind::integer, Values::any, {}, true},
      {{"Transpose"}, "perm", Kind::integers, Values::non_negative},
      {{"Squeeze", "Unsqueeze"}, "axes", Kind::integers},
      {{"Reshape"}, "allowzero", Kind::integer, Values::flag},
  };
  return table;
}

const char* kind_name(Kind kind) {
  switch (kind) {
    case Kind::integer: return "an int";
    case Kind::real: return "a float";
    case Kind::text: return "a string";
    case Kind::integers: return "a list of ints";
    default: return "a list of floats";
  }
}

void check_values(const Node& n, const AttributeRule& rule, const Attribute& a) {
  const std::vector<int64_t> ints = rule.kind == Kind::integer ? std::vector<int64_t>{a.i} : a.ints;
  const auto where = [&] { return n.label() + ": attribute '" + rule.name + "'"; };
  for (int64_t v : ints) {
    check(rule.values != Values::positive || v > 0, where(), " must be positive, but got ", v);
    check((rule.values != Values::non_negative && rule.values != Values::pads) || v >= 0, where(),
          " must not be negative, but got ", v);
    check(rule.values != Values::flag || v == 0 || v == 1, where(), " must be 0 or 1, but got ", v);
  }
  check(rule.values != Values::pads || ints.size() % 2 == 0, where(),
        " must hold a begin and an end per axis, but has ", ints.size(), " values");
  if (!rule.allowed.empty() &&
      std::find(rule.allowed.begin(), rule.allowed.end(), a.s) == rule.allowed.end()) {
    std::string allowed;
    for (const std::string& s : rule.allowed) allowed += (allowed.empty() ? "" : ", ") + s;
    fail(n.label(), ": ", rule.name, " '", a.s, "' is not supported (", allowed, ")");
  }
}

}  // namespace

void validate(const Model& model) {
  std::map<std::string, std::vector<std::string>> unsupported;  // op -> its nodes
  for (const Node& n : model.nodes)
    if (handlers().count(n.op) == 0) unsupported[n.op].push_back(n.label());
  if (!unsupported.empty()) {
    std::ostringstream message;
    for (const auto& [op, nodes] : unsupported) {
      message << (message.tellp() > 0 ? "; " : "") << "operator " << op << " is not supported (";
      for (std::size_t k = 0; k < nodes.size(); ++k) message << (k ? ", " : "") << nodes[k];
      message << ')';
    }
    fail(message.str());
  }
  for (const Node& n : model.nodes) {
    for (const AttributeRule& rule : rules()) {
      if (std::find(rule.ops.begin(), rule.ops.end(), n.op) == rule.ops.end()) continue;
      if (!n.has(rule.name)) {
        check(!rule.required, n.label(), ": attribute '", rule.name, "' is required");
        continue;
      }
      const Attribute& a = n.attributes.at(rule.name);
      check(a.kind == rule.kind, n.label(), ": attribute '", rule.name, "' must be ", kind_name(rule.kind));
      check_values(n, rule, a);
    }
  }
}

}  // namespace strider::onnx
