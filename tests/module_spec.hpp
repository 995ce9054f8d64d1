#pragma once
// nn layers from a JSON description {"op": ..., "args": {...}} with PyTorch's argument names, as
// tests/pytorch/parity.py writes them (its make_layer() is the Python side of this).
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "nn/nn.hpp"

namespace strider::testing {

std::unique_ptr<nn::Module> make_layer(const std::string& op, const nlohmann::json& args);

}  // namespace strider::testing
