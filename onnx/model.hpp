#pragma once
// The loader's own picture of an ONNX file, free of protobuf: nodes with their attributes, and small
// constant tensors (initializers, Constant nodes, folded shape computations). Internal to strider_onnx.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "../core/tensor.hpp"

namespace strider::onnx {

// A constant of any rank (0 included) holding float32 or int64 values: ONNX's shape tensors are int64
// and may be scalars, which a Strider Tensor (float, rank 1-4) cannot represent.
struct Const {
  std::vector<int64_t> dims;
  bool is_float = false;
  std::vector<float> floats;  // is_float
  std::vector<int64_t> ints;  // !is_float

  int64_t numel() const;
  // Value i as a double / an int64 (floats are truncated, as ONNX's Cast does).
  double number(int64_t i) const;
  int64_t integer(int64_t i) const;
  std::vector<int64_t> integers() const;
  // A float Tensor of the same shape (rank 0 becomes [1]); rejects rank > 4. `what` labels errors.
  Tensor to_tensor(std::string_view what) const;
  std::string describe() const;  // "int64 [2]" / "float [16, 3, 3, 3]"
};
Const make_ints(std::vector<int64_t> dims, std::vector<int64_t> values);
Const make_floats(std::vector<int64_t> dims, std::vector<float> values);

struct Attribute {
  enum class Kind { integer, real, text, integers, reals, tensor, other } kind = Kind::other;
  int64_t i = 0;
  float f = 0;
  std::string s;
  std::vector<int64_t> ints;
  std::vector<float> floats;
  Const t;
};

struct Node {
  std::string name;  // the node's name, or "#index" when the file gives none
  std::string op;
  std::vector<std::string> inputs;   // "" marks an omitted optional input
  std::vector<std::string> outputs;
  std::map<std::string, Attribute> attributes;

  // "Conv node 'conv1'": how errors name the node.
  std::string label() const;
  bool has(const std::string& attribute) const { return attributes.count(attribute) != 0; }
  int64_t get_int(const std::string& attribute, int64_t fallback) const;
  float get_float(const std::string& attribute, float fallback) const;
  std::string get_string(const std::string& attribute, const std::string& fallback) const;
  std::vector<int64_t> get_ints(const std::string& attribute, std::vector<int64_t> fallback) const;
  // The input at `index`, if present and not omitted.
  std::optional<std::string> input(std::size_t index) const;
};

struct ValueInfo {
  std::string name;
  std::vector<int64_t> dims;  // -1 for a symbolic or unknown dimension; empty when the rank is unknown
  std::string type;           // ONNX's element type: "float32", "int64"...; "" when the file gives none
};

struct Model {
  int64_t opset = 0;  // of the default ("ai.onnx") domain
  std::vector<Node> nodes;  // topologically sorted, as ONNX requires (checked)
  std::map<std::string, Const> initializers;
  std::vector<ValueInfo> inputs;   // graph inputs that are not initializers
  std::vector<ValueInfo> outputs;
};

// Parses a ModelProto; `name` labels errors. Checks what the rest of the loader relies on: supported
// opset and domains, the node order, names defined once, initializer sizes, float32 / int64 data.
Model parse_model(std::string_view bytes, std::string_view name);
// Parses a serialized TensorProto (the ONNX test suite's input_*.pb / output_*.pb); `name` labels errors.
Const parse_tensor(std::string_view bytes, std::string_view name);

}  // namespace strider::onnx
