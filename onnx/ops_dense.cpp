// Gemm and MatMul (a classifier's head after global pooling and Flatten) and InstanceNormalization:
// plain loops with double accumulation, each operand a constant or a computed tensor.
#include <cmath>
#include <memory>

#include "../core/check.hpp"
#include "index_ops.hpp"
#include "plan.hpp"

namespace strider::onnx {

namespace {

// numpy.matmul for ranks 1-4: batch axes broadcast, a rank-1 operand is a row (left) or column (right).
Tensor matmul(const Tensor& a, const Tensor& b, const std::string& label) {
  Dims ad = dims_of(a), bd = dims_of(b);
  const bool a_vector = ad.size() == 1, b_vector = bd.size() == 1;
  if (a_vector) ad.insert(ad.begin(), 1);
  if (b_vector) bd.push_back(1);
  const int64_t m = ad[ad.size() - 2], k = ad.back(), n = bd.back();
  check(bd[bd.size() - 2] == k, label, ": cannot multiply ", a.shape(), " by ", b.shape(), " (inner sizes ", k,
        " and ", bd[bd.size() - 2], " differ)");
  const Dims batch = broadcast_dims(Dims(ad.begin(), ad.end() - 2), Dims(bd.begin(), bd.end() - 2), label);
  Dims out_dims = batch;
  if (!a_vector) out_dims.push_back(m);
  if (!b_vector) out_dims.push_back(n);
  Tensor out{Shape(std::span<const int64_t>(out_dims.empty() ? Dims{1} : out_dims))};
  const Dims a_batch(ad.begin(), ad.end() - 2), b_batch(bd.begin(), bd.end() - 2);
  const Dims as = broadcast_strides(a_batch, batch), bs = broadcast_strides(b_batch, batch);
  const int64_t batches = product(batch);
  for (int64_t t = 0; t < batches; ++t) {
    int64_t a_off = 0, b_off = 0, rest = t;
    for (std::size_t axis = batch.size(); axis-- > 0;) {
      const int64_t i = rest % batch[axis];
      rest /= batch[axis];
      a_off += i * as[axis];
      b_off += i * bs[axis];
    }
    const float* pa = a.data() + a_off * m * k;
    const float* pb = b.data() + b_off * k * n;
    float* po = out.data() + t * m * n;
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        double sum = 0;
        for (int64_t q = 0; q < k; ++q) sum += static_cast<double>(pa[i * k + q]) * pb[q * n + j];
        po[i * n + j] = static_cast<float>(sum);
      }
  }
  return out;
}

void matmul_node(Builder& b, const Node& n) {
  const Operands o = b.operands(n, 2, 2);
  const std::string label = n.label();
  b.emit(n, o.slots, n.outputs.at(0),
         [o, label](std::span<const Tensor* const> x) { return matmul(*o.get(x, 0), *o.get(x, 1), label); });
}

// Y = alpha · A' · B' + beta · C, A' = transA ? Aᵀ : A (2-D), C broadcast to [M, N].
void gemm(Builder& b, const Node& n) {
  const Operands o = b.operands(n, 3, 2);
  const double alpha = n.get_float("alpha", 1.0f), beta = n.get_float("beta", 1.0f);
  const bool ta = n.get_int("transA", 0) != 0, tb = n.get_int("transB", 0) != 0;
  const std::string label = n.label();
  b.emit(n, o.slots, n.outputs.at(0), [o, alpha, beta, ta, tb, label](std::span<const Tensor* const> x) {
    const Tensor &a = *o.get(x, 0), &w = *o.get(x, 1);
    const Tensor* c = o.get(x, 2);
    check(a.rank() == 2 && w.rank() == 2, label, ": A and B must be 2-D, but got ", a.shape(), " and ", w.shape());
    const int64_t m = ta ? a.size(1) : a.size(0), k = ta ? a.size(0) : a.size(1);
    const int64_t n2 = tb ? w.size(0) : w.size(1), kb = tb ? w.size(1) : w.size(0);
    check(k == kb, label, ": A' is [", m, ", ", k, "] but B' is [", kb, ", ", n2, "]");
    Tensor y({m, n2});
    Dims cd;
    if (c) {
      cd = dims_of(*c);
      check(broadcast_dims(cd, {m, n2}, label) == Dims({m, n2}), label, ": C ", c->shape(),
            " does not broadcast to [", m, ", ", n2, "]");
    }
    const Dims cs = c ? broadcast_strides(cd, {m, n2}) : Dims{0, 0};
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n2; ++j) {
        double sum = 0;
        for (int64_t q = 0; q < k; ++q)
          sum += static_cast<double>(ta ? a[q * m + i] : a[i * k + q]) * (tb ? w[j * k + q] : w[q * n2 + j]);
        const double bias = c ? (*c)[i * cs[0] + j * cs[1]] : 0.0;
        y[i * n2 + j] = static_cast<float>(alpha * sum + beta * bias);
      }
    return y;
  });
}

// y = scale[c] · (x - mean) / sqrt(var + epsilon) + B[c] over each (n, c) plane (population variance).
void instance_norm(Builder& b, const Node& n) {
  const Tensor& x = b.tensor(n, 0);
  check(x.rank() >= 3, n.label(), ": expects an input [N, C, ...] of rank 3 or 4, but got ", x.shape());
  const auto scale = std::make_shared<const Tensor>(b.constant(n, 1).to_tensor(n.label()));
  const auto bias = std::make_shared<const Tensor>(b.constant(n, 2).to_tensor(n.label()));
  check(scale->numel() == x.size(1) && bias->numel() == x.size(1), n.label(), ": scale and B must have ", x.size(1),
        " values (the channels), but got ", scale->shape(), " and ", bias->shape());
  const double epsilon = n.get_float("epsilon", 1e-5f);
  b.emit(n, {n.inputs[0]}, n.outputs.at(0), [scale, bias, epsilon](std::span<const Tensor* const> in) {
    const Tensor& x = *in[0];
    Tensor y(x.shape());
    const int64_t channels = x.size(1);
    int64_t plane = 1;  // a product, not numel / (N·C): an empty batch would divide by zero
    for (int k = 2; k < x.rank(); ++k) plane *= x.size(k);
    for (int64_t p = 0; p < x.size(0) * channels; ++p) {
      const float* src = x.data() + p * plane;
      double mean = 0, var = 0;
      for (int64_t i = 0; i < plane; ++i) mean += src[i];
      mean /= static_cast<double>(plane);
      for (int64_t i = 0; i < plane; ++i) var += (src[i] - mean) * (src[i] - mean);
      var /= static_cast<double>(plane);
      const double s = (*scale)[p % channels] / std::sqrt(var + epsilon), t = (*bias)[p % channels];
      for (int64_t i = 0; i < plane; ++i) y[p * plane + i] = static_cast<float>((src[i] - mean) * s + t);
    }
    return y;
  });
}

}  // namespace

void register_dense_ops(HandlerTable& table) {
  table["MatMul"] = matmul_node;
  table["Gemm"] = gemm;
  table["InstanceNormalization"] = instance_norm;
}

}  // namespace strider::onnx
