// The only translation unit that sees protobuf: ModelProto -> onnx::Model.
#include <onnx/onnx_pb.h>
#include <onnx/version_converter/convert.h>

#include <bit>
#include <cctype>
#include <cstring>
#include <set>

#include "../core/check.hpp"
#include "model.hpp"

namespace strider::onnx {

static_assert(std::endian::native == std::endian::little, "ONNX raw_data is little-endian");

namespace {

using Proto = ::onnx::TensorProto;

// Element counts must stay far from int64 overflow; 2^40 elements exceeds any file protobuf can parse.
constexpr int64_t max_elements = int64_t{1} << 40;

int64_t element_count(const std::vector<int64_t>& dims, const std::string& what) {
  int64_t n = 1;
  for (int64_t d : dims) {
    check(d >= 0, what, ": negative dimension ", d);
    check(d == 0 || n <= max_elements / d, what, ": too many elements");
    n *= d;
  }
  return n;
}

template <class T, class Repeated>
std::vector<T> values_of(const Proto& t, const Repeated& field, int64_t n, const std::string& what) {
  // The sizes are checked against the data actually present before anything is allocated.
  if (t.has_raw_data()) {
    const std::string& raw = t.raw_data();
    check(raw.size() == static_cast<std::size_t>(n) * sizeof(T), what, ": raw_data holds ", raw.size(),
          " bytes, but the shape needs ", n, " x ", sizeof(T));
    std::vector<T> out(static_cast<std::size_t>(n));
    if (n > 0) std::memcpy(out.data(), raw.data(), raw.size());
    return out;
  }
  check(field.size() == n, what, ": holds ", field.size(), " values, but the shape needs ", n);
  std::vector<T> out(static_cast<std::size_t>(n));
  for (int64_t i = 0; i < n; ++i) out[static_cast<std::size_t>(i)] = static_cast<T>(field.Get(static_cast<int>(i)));
  return out;
}

// float32 stays float; the integer types and bool become int64 (shape computations); double becomes
// float. Everything else (strings, float16 constants, external data) is rejected.
Const to_const(const Proto& t, const std::string& what) {
  check(t.data_location() != Proto::EXTERNAL, what, ": external data is not supported");
  std::vector<int64_t> dims(t.dims().begin(), t.dims().end());
  const int64_t n = element_count(dims, what);
  switch (t.data_type()) {
    case Proto::FLOAT: return make_floats(dims, values_of<float>(t, t.float_data(), n, what));
    case Proto::DOUBLE: {
      const auto d = values_of<double>(t, t.double_data(), n, what);
      return make_floats(dims, std::vector<float>(d.begin(), d.end()));
    }
    case Proto::INT64: return make_ints(dims, values_of<int64_t>(t, t.int64_data(), n, what));
    case Proto::INT32: {
      const auto v = values_of<int32_t>(t, t.int32_data(), n, what);
      return make_ints(dims, std::vector<int64_t>(v.begin(), v.end()));
    }
    case Proto::BOOL: {  // raw: one byte each; int32_data otherwise
      if (t.has_raw_data()) {
        const auto v = values_of<uint8_t>(t, t.int32_data(), n, what);
        return make_ints(dims, std::vector<int64_t>(v.begin(), v.end()));
      }
      const auto v = values_of<int32_t>(t, t.int32_data(), n, what);
      return make_ints(dims, std::vector<int64_t>(v.begin(), v.end()));
    }
    default: fail(what, ": data type ", t.data_type(), " is not supported (float32, float64, int32, int64, bool)");
  }
}

Attribute to_attribute(const ::onnx::AttributeProto& a, const std::string& what) {
  Attribute out;
  using A = ::onnx::AttributeProto;
  switch (a.type()) {
    case A::INT: out.kind = Attribute::Kind::integer; out.i = a.i(); break;
    case A::FLOAT: out.kind = Attribute::Kind::real; out.f = a.f(); break;
    case A::STRING: out.kind = Attribute::Kind::text; out.s = a.s(); break;
    case A::INTS: out.kind = Attribute::Kind::integers; out.ints.assign(a.ints().begin(), a.ints().end()); break;
    case A::FLOATS: out.kind = Attribute::Kind::reals; out.floats.assign(a.floats().begin(), a.floats().end()); break;
    case A::TENSOR: out.kind = Attribute::Kind::tensor; out.t = to_const(a.t(), what + " attribute '" + a.name() + "'"); break;
    default: break;  // graphs, sparse tensors...: only an error if an operator asks for them
  }
  return out;
}

ValueInfo value_info(const ::onnx::ValueInfoProto& v) {
  ValueInfo info{v.name(), {}, {}};
  if (!v.type().has_tensor_type()) return info;
  const auto& t = v.type().tensor_type();
  if (t.has_elem_type() && t.elem_type() != Proto::UNDEFINED) {
    info.type = Proto::DataType_Name(static_cast<Proto::DataType>(t.elem_type()));
    for (char& c : info.type) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (info.type.empty()) info.type = "type " + std::to_string(t.elem_type());  // not in this ONNX's enum
    if (info.type == "float") info.type = "float32";  // numpy's names, as torch prints them
    if (info.type == "double") info.type = "float64";
  }
  if (t.has_shape())
    for (const auto& d : t.shape().dim()) info.dims.push_back(d.has_dim_value() ? d.dim_value() : -1);
  return info;
}

}  // namespace

Const parse_tensor(std::string_view bytes, std::string_view name) {
  check(bytes.size() < static_cast<std::size_t>(std::numeric_limits<int>::max()), name,
        ": larger than protobuf's 2 GB limit");
  Proto proto;
  check(proto.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())), name,
        ": not a TensorProto (the protobuf does not parse)");
  return to_const(proto, std::string(name));
}

namespace {

// The graph's nodes, initializers, inputs and outputs, with the checks the loader relies on.
Model read_graph(const ::onnx::GraphProto& g, std::string_view name) {
  Model model;
  std::set<std::string> defined;
  for (const auto& t : g.initializer()) {
    check(!t.name().empty(), name, ": an initializer has no name");
    check(defined.insert(t.name()).second, name, ": initializer '", t.name(), "' is defined twice");
    model.initializers.emplace(t.name(), to_const(t, "initializer '" + t.name() + "'"));
  }
  for (const auto& v : g.input()) {
    if (model.initializers.count(v.name())) continue;  // old exporters list initializers as inputs too
    check(defined.insert(v.name()).second, name, ": input '", v.name(), "' is defined twice");
    model.inputs.push_back(value_info(v));
  }
  for (int i = 0; i < g.node_size(); ++i) {
    const auto& n = g.node(i);
    Node node;
    node.name = n.name();
    if (node.name.empty()) node.name.append("#").append(std::to_string(i));  // not "#" + ...: GCC 12's -Wrestrict false positive
    node.op = n.op_type();
    check(n.domain().empty() || n.domain() == "ai.onnx", name, ": ", node.label(), " is in domain '", n.domain(),
          "'; only the default ONNX domain is supported");
    for (const auto& in : n.input()) {
      check(in.empty() || defined.count(in), name, ": ", node.label(), " reads '", in,
            "', which no earlier node, input or initializer defines (nodes must be topologically sorted)");
      node.inputs.push_back(in);
    }
    for (const auto& a : n.attribute()) node.attributes[a.name()] = to_attribute(a, node.label());
    for (const auto& out : n.output()) {
      check(out.empty() || defined.insert(out).second, name, ": ", node.label(), " defines '", out,
            "', which is already defined");
      node.outputs.push_back(out);
    }
    model.nodes.push_back(std::move(node));
  }
  for (const auto& v : g.output()) {
    check(defined.count(v.name()), name, ": output '", v.name(), "' is never computed");
    model.outputs.push_back(value_info(v));
  }
  check(!model.inputs.empty() && !model.outputs.empty(), name, ": the graph needs at least one input and one output");
  return model;
}

}  // namespace

Model parse_model(std::string_view bytes, std::string_view name) {
  ::onnx::ModelProto proto;
  check(bytes.size() < static_cast<std::size_t>(std::numeric_limits<int>::max()), name,
        ": larger than protobuf's 2 GB limit");
  check(proto.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())), name,
        ": not an ONNX model (the protobuf does not parse)");
  check(proto.has_graph(), name, ": the model has no graph");

  int64_t opset = 0;
  for (const auto& o : proto.opset_import())
    if (o.domain().empty() || o.domain() == "ai.onnx") opset = o.version();
  check(opset >= 1 && opset <= 18, name, ": opset ", opset, " is not supported (1-18; torch.onnx.export writes 9-17)");
  if (opset < 7) {
    // Older files go through ONNX's own version converter, which rewrites the operators whose
    // semantics changed (BatchNormalization's spatial, Dropout's is_test, ...). It trusts the graph: a
    // graph output no node computes crashed it (a null dereference in graphProtoToGraph, found by
    // fuzz_onnx), so the graph passes the loader's checks first.
    read_graph(proto.graph(), name);
    try {
      proto = ::onnx::version_conversion::ConvertVersion(proto, 7);
    } catch (const std::exception& e) {
      fail(name, ": opset ", opset, " could not be upgraded to opset 7 by ONNX's version converter: ", e.what());
    }
    opset = 7;
  }
  Model model = read_graph(proto.graph(), name);
  model.opset = opset;
  return model;
}

}  // namespace strider::onnx
