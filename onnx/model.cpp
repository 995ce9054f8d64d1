#include "model.hpp"

#include <cmath>
#include <limits>
#include <sstream>

#include "../core/check.hpp"

namespace strider::onnx {

int64_t Const::numel() const {
  return is_float ? static_cast<int64_t>(floats.size()) : static_cast<int64_t>(ints.size());
}

double Const::number(int64_t i) const {
  const auto k = static_cast<std::size_t>(i);
  return is_float ? floats.at(k) : static_cast<double>(ints.at(k));
}

int64_t Const::integer(int64_t i) const {
  const auto k = static_cast<std::size_t>(i);
  if (!is_float) return ints.at(k);
  const float v = floats.at(k);
  // Out of int64's range (or NaN) the conversion would be undefined.
  check(std::isfinite(v) && std::fabs(v) < 9.2e18f, "cannot convert the float ", v, " to int64");
  return static_cast<int64_t>(v);
}

std::vector<int64_t> Const::integers() const {
  std::vector<int64_t> out(static_cast<std::size_t>(numel()));
  for (int64_t i = 0; i < numel(); ++i) out[static_cast<std::size_t>(i)] = integer(i);
  return out;
}

Tensor Const::to_tensor(std::string_view what) const {
  check(dims.size() <= static_cast<std::size_t>(Shape::max_rank), what, ": a constant of rank ", dims.size(),
        " cannot be a Tensor (rank 1-4)");
  check(numel() > 0, what, ": an empty constant cannot be a Tensor");
  Tensor t(dims.empty() ? Shape{1} : Shape(std::span<const int64_t>(dims)));
  for (int64_t i = 0; i < numel(); ++i) t[i] = static_cast<float>(number(i));
  return t;
}

std::string Const::describe() const {
  std::ostringstream os;
  os << (is_float ? "float [" : "int64 [");
  for (std::size_t i = 0; i < dims.size(); ++i) os << (i ? ", " : "") << dims[i];
  os << ']';
  return os.str();
}

Const make_ints(std::vector<int64_t> dims, std::vector<int64_t> values) {
  return Const{std::move(dims), false, {}, std::move(values)};
}

Const make_floats(std::vector<int64_t> dims, std::vector<float> values) {
  return Const{std::move(dims), true, std::move(values), {}};
}

std::string Node::label() const { return op + " node '" + name + "'"; }

namespace {
const Attribute& typed(const Node& node, const std::string& name, Attribute::Kind kind, const char* kind_name) {
  const Attribute& a = node.attributes.at(name);
  check(a.kind == kind, node.label(), ": attribute '", name, "' must be ", kind_name);
  return a;
}
}  // namespace

int64_t Node::get_int(const std::string& attribute, int64_t fallback) const {
  return has(attribute) ? typed(*this, attribute, Attribute::Kind::integer, "an int").i : fallback;
}

float Node::get_float(const std::string& attribute, float fallback) const {
  return has(attribute) ? typed(*this, attribute, Attribute::Kind::real, "a float").f : fallback;
}

std::string Node::get_string(const std::string& attribute, const std::string& fallback) const {
  return has(attribute) ? typed(*this, attribute, Attribute::Kind::text, "a string").s : fallback;
}

std::vector<int64_t> Node::get_ints(const std::string& attribute, std::vector<int64_t> fallback) const {
  return has(attribute) ? typed(*this, attribute, Attribute::Kind::integers, "a list of ints").ints : fallback;
}

std::optional<std::string> Node::input(std::size_t index) const {
  if (index >= inputs.size() || inputs[index].empty()) return std::nullopt;
  return inputs[index];
}

}  // namespace strider::onnx
