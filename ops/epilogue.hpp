#pragma once
// What a convolution applies to each output after adding the bias, fused into the kernel's store so
// that a following activation costs no extra pass over memory.

namespace strider {

struct Epilogue {
  enum class Kind { none, relu, leaky_relu };
  Kind kind = Kind::none;
  float negative_slope = 0.01f;  // leaky_relu only, as torch.nn.LeakyReLU

  static constexpr Epilogue relu() { return {Kind::relu, 0.0f}; }
  static constexpr Epilogue leaky_relu(float negative_slope = 0.01f) { return {Kind::leaky_relu, negative_slope}; }
};

// The epilogue applied to one value, for the reference paths.
inline float apply(const Epilogue& e, float v) {
  switch (e.kind) {
    case Epilogue::Kind::relu: return v < 0.0f ? 0.0f : v;  // NaN stays NaN, as in torch.relu
    case Epilogue::Kind::leaky_relu: return v < 0.0f ? v * e.negative_slope : v;
    case Epilogue::Kind::none: break;
  }
  return v;
}

}  // namespace strider
