#include <strider/strider.hpp>

#include <iostream>

int main() {
  const strider::Conv2d conv(3, 8, 3, {.stride = 2, .padding = 1});
  const strider::Tensor y = conv(strider::Tensor::uniform({1, 3, 16, 16}, -1, 1, 0));
  std::cout << conv << " -> " << y.shape() << '\n';
  return y.shape() == strider::Shape{1, 8, 8, 8} ? 0 : 1;
}
