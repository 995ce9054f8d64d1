#pragma once
// What a convolution applies to each output after adding the bias, fused into the kernel's store so
// that the pointwise ops after it cost no extra pass over memory: a chain of steps, applied in order —
// an activation (any of ops/activation.hpp), a per-channel or scalar affine v·scale + shift (a
// BatchNorm after the activation, a Mul / Add by a constant), and the add of a residual tensor of the
// output's shape (the ResBlock's y = x + s·conv(...), as affine(s) then residual).
//
//   Epilogue e = Epilogue::of(prelu_activation(w)).then_affine({0.1f}, {0.0f}).then_residual(&x);
//   Tensor y = conv.forward(h, e);     // = x + 0.1 · prelu(conv(h))
//
// The kernels apply it per output vector (ops/epilogue_simd.hpp); apply() below is the reference.
#include <cstdint>
#include <string>
#include <vector>

#include "../core/tensor.hpp"
#include "activation.hpp"

namespace strider {

struct Epilogue {
  struct Step {
    enum class Kind { activation, affine, residual };
    Kind kind = Kind::activation;
    Activation activation;
    std::vector<float> scale, shift;  // affine: one value each, or one per output channel
    const Tensor* residual = nullptr;  // residual: not owned; must outlive the call
  };
  std::vector<Step> steps;

  static Epilogue of(Activation a) { return Epilogue().then(std::move(a)); }
  static Epilogue relu() { return of(relu_activation()); }
  static Epilogue leaky_relu(float negative_slope = 0.01f) { return of(leaky_relu_activation(negative_slope)); }

  Epilogue& then(Activation a);
  Epilogue& then_affine(std::vector<float> scale, std::vector<float> shift);
  Epilogue& then_residual(const Tensor* tensor);

  bool empty() const { return steps.empty(); }
  // The residual step's tensor, or null.
  const Tensor* residual() const;
  // Rejects per-channel parameters that do not have `channels` values and a residual whose shape is not
  // `output` (the message names `op`).
  void check_for(const char* op, int64_t channels, const Shape& output) const;
  // "prelu, affine, residual": what was fused, for printing plans.
  std::string str() const;
};

// The chain the convolution kernels apply in registers as they store, the one most CNNs end their layers
// with: a ReLU, LeakyReLU or PReLU, then an affine, then the residual, each optional (the upsampler's
// skips, EDSR's scaled blocks x + 0.1·conv, SRVGGNet's, a BatchNorm after the activation). Any other
// chain is walked over the stored outputs.
struct RegisterChain {
  const Activation* piecewise = nullptr;        // the ReLU, LeakyReLU or PReLU
  const Epilogue::Step* affine = nullptr;       // the affine
  bool add_residual = false;                    // the residual
  bool inlined = false;                         // and nothing else: the kernels inline the whole chain
};
RegisterChain register_chain(const Epilogue& e);

// The epilogue applied to value v of output channel `channel`, whose residual value is `residual`: the
// reference (activations by their double definition).
float apply(const Epilogue& e, float v, int64_t channel = 0, float residual = 0.0f);

}  // namespace strider
