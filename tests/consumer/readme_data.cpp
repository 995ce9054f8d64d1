// Writes the files the README's examples read, into the current directory: image.npy, down.weight.npy
// and net.safetensors (the state_dict of the README's Net: body.0 Conv2d(3, 16, 3), body.1
// BatchNorm2d(16), head Conv2d(16, 12, 3)).
#include <strider/strider.hpp>

using namespace strider;

int main() {
  save_npy("image.npy", Tensor::uniform({1, 3, 16, 16}, 0, 1, 1));
  save_npy("down.weight.npy", Tensor::uniform({32, 3, 3, 3}, -0.2f, 0.2f, 2));
  nn::Sequential body(nn::Conv2d(3, 16, 3, {.padding = 1}), nn::BatchNorm2d(16), nn::ReLU());
  nn::Conv2d head(16, 12, 3, {.padding = 1});
  StateDict state;
  for (auto& [name, tensor] : body.state_dict()) state.emplace("body." + name, std::move(tensor));
  for (auto& [name, tensor] : head.state_dict()) state.emplace("head." + name, std::move(tensor));
  save_safetensors("net.safetensors", state);
}
