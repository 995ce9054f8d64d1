#pragma once
// ONNX models built by hand in tests (ModelProto from Debian's onnx_proto): what torch.onnx.export does
// not emit, broken files, and graphs of any shape for the runtime's tests.
#include <onnx/onnx_pb.h>

#include <string>
#include <vector>

#include "core/tensor.hpp"
#include "onnx/onnx_model.hpp"

namespace strider::testing {

// A graph built node by node: by default one input "x" and one output "y".
class ModelBuilder {
 public:
  explicit ModelBuilder(std::vector<int64_t> input_dims, int64_t opset = 13) : ModelBuilder(opset) {
    input("x", input_dims);
    output("y");
  }
  // No inputs or outputs yet.
  explicit ModelBuilder(int64_t opset) {
    model_.set_ir_version(8);
    model_.add_opset_import()->set_version(opset);
  }
  // A float input; a negative dimension is symbolic ("d0", "d1"...).
  void input(const std::string& name, const std::vector<int64_t>& dims) {
    auto* in = graph()->add_input();
    in->set_name(name);
    auto* shape = in->mutable_type()->mutable_tensor_type();
    shape->set_elem_type(::onnx::TensorProto::FLOAT);
    for (std::size_t k = 0; k < dims.size(); ++k) {
      auto* d = shape->mutable_shape()->add_dim();
      if (dims[k] >= 0) d->set_dim_value(dims[k]);
      else d->mutable_dim_param()->append("d").append(std::to_string(k));  // not "d" + ...: GCC 12's -Wrestrict
    }
  }
  void output(const std::string& name) { graph()->add_output()->set_name(name); }
  ::onnx::NodeProto* node(const std::string& op, std::vector<std::string> inputs, const std::string& output) {
    auto* n = graph()->add_node();
    n->set_op_type(op);
    n->set_name("n");
    n->mutable_name()->append(std::to_string(graph()->node_size() - 1));  // not "n" + ...: GCC 12's -Wrestrict
    for (const auto& i : inputs) n->add_input(i);
    n->add_output(output);
    return n;
  }
  void weight(const std::string& name, const Tensor& t) {
    auto* init = graph()->add_initializer();
    init->set_name(name);
    init->set_data_type(::onnx::TensorProto::FLOAT);
    for (int64_t d : t.shape()) init->add_dims(d);
    init->set_raw_data(std::string(reinterpret_cast<const char*>(t.data()), t.numel() * sizeof(float)));
  }
  void ints(const std::string& name, std::vector<int64_t> values) {
    auto* init = graph()->add_initializer();
    init->set_name(name);
    init->set_data_type(::onnx::TensorProto::INT64);
    init->add_dims(static_cast<int64_t>(values.size()));
    for (int64_t v : values) init->add_int64_data(v);
  }
  std::string bytes() const { return model_.SerializeAsString(); }
  OnnxModel load() const { return parse_onnx(bytes()); }

 private:
  ::onnx::GraphProto* graph() { return model_.mutable_graph(); }
  ::onnx::ModelProto model_;
};

inline void set_int(::onnx::NodeProto* n, const std::string& name, int64_t value) {
  auto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(::onnx::AttributeProto::INT);
  a->set_i(value);
}

inline void set_ints(::onnx::NodeProto* n, const std::string& name, std::vector<int64_t> values) {
  auto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(::onnx::AttributeProto::INTS);
  for (int64_t v : values) a->add_ints(v);
}

inline void set_string(::onnx::NodeProto* n, const std::string& name, const std::string& value) {
  auto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(::onnx::AttributeProto::STRING);
  a->set_s(value);
}

}  // namespace strider::testing
