#include "epilogue.hpp"

#include "../core/check.hpp"

namespace strider {

namespace {

// Value c of a parameter vector: shared (one value) or per channel.
float at(const std::vector<float>& v, int64_t c) { return v[v.size() == 1 ? 0 : static_cast<std::size_t>(c)]; }

}  // namespace

Epilogue& Epilogue::then(Activation a) {
  Step s;
  s.activation = std::move(a);
  steps.push_back(std::move(s));
  return *this;
}

Epilogue& Epilogue::then_affine(std::vector<float> scale, std::vector<float> shift) {
  check(!scale.empty() && !shift.empty(), "Epilogue: an affine step needs a scale and a shift");
  Step s;
  s.kind = Step::Kind::affine;
  s.scale = std::move(scale);
  s.shift = std::move(shift);
  steps.push_back(std::move(s));
  return *this;
}

Epilogue& Epilogue::then_residual(const Tensor* tensor) {
  check(residual() == nullptr, "Epilogue: at most one residual step");
  Step s;
  s.kind = Step::Kind::residual;
  s.residual = tensor;
  steps.push_back(std::move(s));
  return *this;
}

const Tensor* Epilogue::residual() const {
  for (const Step& s : steps)
    if (s.kind == Step::Kind::residual) return s.residual;
  return nullptr;
}

void Epilogue::check_for(const char* op, int64_t channels, const Shape& output) const {
  for (const Step& s : steps) {
    const auto fits = [&](const std::vector<float>& v) {
      return v.size() == 1 || static_cast<int64_t>(v.size()) == channels;
    };
    if (s.kind == Step::Kind::activation && s.activation.kind == Activation::Kind::prelu)
      check(fits(s.activation.weight), op, ": the fused prelu has ", s.activation.weight.size(),
            " parameters for ", channels, " output channels");
    if (s.kind == Step::Kind::affine)
      check(fits(s.scale) && fits(s.shift), op, ": the fused affine has ", s.scale.size(), " scales and ",
            s.shift.size(), " shifts for ", channels, " output channels");
    if (s.kind == Step::Kind::residual)
      check(s.residual && s.residual->defined() && s.residual->shape() == output, op, ": the fused residual has shape ",
            s.residual && s.residual->defined() ? s.residual->shape().str() : "undefined", ", but the output has ",
            output);
  }
}

std::string Epilogue::str() const {
  std::string out;
  for (const Step& s : steps) {
    if (!out.empty()) out += ", ";
    if (s.kind == Step::Kind::activation) out += activation_name(s.activation.kind);
    else out += s.kind == Step::Kind::affine ? "affine" : "residual";
  }
  return out;
}

RegisterChain register_chain(const Epilogue& e) {
  using A = Activation::Kind;
  using Kind = Epilogue::Step::Kind;
  RegisterChain c;
  std::size_t next = 0;
  const auto is = [&](Kind kind) { return next < e.steps.size() && e.steps[next].kind == kind; };
  if (is(Kind::activation)) {
    const A a = e.steps[next].activation.kind;
    if (a == A::relu || a == A::leaky_relu || a == A::prelu) c.piecewise = &e.steps[next++].activation;
  }
  if (is(Kind::affine)) c.affine = &e.steps[next++];
  if (is(Kind::residual)) c.add_residual = true, ++next;
  c.inlined = next == e.steps.size();
  return c;
}

float apply(const Epilogue& e, float v, int64_t channel, float residual) {
  for (const Epilogue::Step& s : e.steps) {
    switch (s.kind) {
      case Epilogue::Step::Kind::activation: {
        const double slope = s.activation.weight.empty() ? 0.0 : at(s.activation.weight, channel);
        v = static_cast<float>(activation_reference(s.activation, v, slope));
        break;
      }
      case Epilogue::Step::Kind::affine: v = v * at(s.scale, channel) + at(s.shift, channel); break;
      case Epilogue::Step::Kind::residual: v = residual + v; break;
    }
  }
  return v;
}

}  // namespace strider
