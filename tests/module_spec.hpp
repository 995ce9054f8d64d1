#pragma once
// nn layers from a JSON description {"op": ..., "args": {...}} with PyTorch's argument names, as the
// Python scripts write them: tests/pytorch/parity.py (its make_layer() is the Python side of this) and
// tests/pytorch/make_module_golden.py.
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "nn/nn.hpp"

namespace strider::testing {

// The layer, its parameters left at their defaults. Throws std::logic_error for an op it does not know.
std::unique_ptr<nn::Module> make_layer(const std::string& op, const nlohmann::json& args);

}  // namespace strider::testing
