#include <strider/strider.hpp>

#include <iostream>

#ifdef CONSUMER_HAS_ONNX
bool onnx_rejects_garbage();  // onnx.cpp
#endif

int main() {
  const strider::Conv2d conv(3, 8, 3, {.stride = 2, .padding = 1});
  const strider::Tensor y = conv(strider::Tensor::uniform({1, 3, 16, 16}, -1, 1, 0));
  std::cout << conv << " -> " << y.shape() << '\n';
  // The module system and safetensors I/O, through the installed headers and library.
  strider::nn::Sequential model(strider::nn::Conv2d(8, 4, 3, {.padding = 1}), strider::nn::ReLU());
  model.load_state_dict(strider::parse_safetensors(strider::serialize_safetensors(model.state_dict())));
  std::cout << model << '\n';
  bool ok = y.shape() == strider::Shape{1, 8, 8, 8} && model(y).shape() == strider::Shape{1, 4, 8, 8};
#ifdef CONSUMER_HAS_ONNX
  ok = ok && onnx_rejects_garbage();
#endif
  return ok ? 0 : 1;
}
