// The reference operators against PyTorch 1.13 outputs recorded by tests/pytorch/make_golden.py, and
// every argument combination PyTorch rejects (plus the few Strider rejects on purpose) rejected here.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <variant>
#include <vector>

#include "core/npy.hpp"
#include "ops/conv2d.hpp"
#include "ops/conv_transpose2d.hpp"
#include "ops/pool2d.hpp"
#include "test_util.hpp"

namespace strider {
namespace {

using nlohmann::json;
using testing::abs;
using testing::as_conv2d_weight;
using testing::near;
using testing::rejects;
using testing::summation_tolerance;
using testing::winograd_tolerance;

const std::filesystem::path golden_dir = std::filesystem::path(STRIDER_TEST_DATA) / "golden";

const json& manifest() {
  static const json m = [] {
    std::ifstream file(golden_dir / "manifest.json");
    return json::parse(file);
  }();
  return m;
}

Hw hw(const json& v) { return v.is_array() ? Hw(v.at(0).get<int64_t>(), v.at(1).get<int64_t>()) : Hw(v.get<int64_t>()); }
OptionalHw optional_hw(const json& v) { return v.is_null() ? OptionalHw() : OptionalHw(hw(v)); }

using Op = std::variant<Conv2d, ConvTranspose2d, MaxPool2d, AvgPool2d>;

// The operator a record describes, built from PyTorch's argument names.
Op make_op(const json& record) {
  const std::string op = record.at("op");
  const json& a = record.at("args");
  if (op == "Conv2d") {
    const json& p = a.at("padding");
    Conv2dPadding padding = p.is_string() ? Conv2dPadding(p.get<std::string>())
                            : p.is_array() ? Conv2dPadding(p[0].get<int64_t>(), p[1].get<int64_t>())
                                           : Conv2dPadding(p.get<int64_t>());
    return Conv2d(a.at("in_channels"), a.at("out_channels"), hw(a.at("kernel_size")),
                  {.stride = hw(a.at("stride")), .padding = padding, .dilation = hw(a.at("dilation")),
                   .groups = a.at("groups"), .bias = a.at("bias"), .padding_mode = a.at("padding_mode")});
  }
  if (op == "ConvTranspose2d") {
    return ConvTranspose2d(a.at("in_channels"), a.at("out_channels"), hw(a.at("kernel_size")),
                           {.stride = hw(a.at("stride")), .padding = hw(a.at("padding")),
                            .output_padding = hw(a.at("output_padding")), .groups = a.at("groups"),
                            .bias = a.at("bias"), .dilation = hw(a.at("dilation")),
                            .padding_mode = a.value("padding_mode", "zeros")});
  }
  if (op == "MaxPool2d") {
    return MaxPool2d(hw(a.at("kernel_size")),
                     {.stride = optional_hw(a.at("stride")), .padding = hw(a.at("padding")),
                      .dilation = hw(a.at("dilation")), .return_indices = a.at("return_indices"),
                      .ceil_mode = a.at("ceil_mode")});
  }
  if (op == "AvgPool2d") {
    const json& divisor = a.at("divisor_override");
    return AvgPool2d(hw(a.at("kernel_size")),
                     {.stride = optional_hw(a.at("stride")), .padding = hw(a.at("padding")),
                      .ceil_mode = a.at("ceil_mode"), .count_include_pad = a.at("count_include_pad"),
                      .divisor_override = divisor.is_null() ? std::nullopt : std::optional<int64_t>(divisor)});
  }
  throw std::logic_error("manifest names an unknown op " + op);
}

// forward(), with the record's output_size for a transposed convolution.
Tensor run(const Op& op, const json& record, const Tensor& input) {
  return std::visit(
      [&](const auto& module) -> Tensor {
        if constexpr (std::is_same_v<std::decay_t<decltype(module)>, ConvTranspose2d>) {
          if (record.contains("output_size"))
            return module.forward(input, record.at("output_size").get<std::vector<int64_t>>());
        }
        return module.forward(input);
      },
      op);
}

Tensor load(const json& record, const char* name) {
  return load_npy(golden_dir / record.at("tensors").at(name).get<std::string>());
}

template <class Conv>
void set_parameters(Conv& conv, Tensor weight, Tensor bias) {
  conv.set_weight(std::move(weight));
  if (bias.defined()) conv.set_bias(std::move(bias));
}

std::vector<std::string> names(const char* list) {
  std::vector<std::string> out;
  for (const json& record : manifest().at(list)) out.push_back(record.at("name"));
  return out;
}

const json& find(const char* list, const std::string& name) {
  for (const json& record : manifest().at(list))
    if (record.at("name") == name) return record;
  throw std::logic_error("no record " + name);
}

std::string test_name(const ::testing::TestParamInfo<std::string>& info) { return info.param; }

class GoldenCase : public ::testing::TestWithParam<std::string> {};

// Tolerances. The reference accumulates in double and rounds once; PyTorch accumulates n float32 terms
// in some order, which is off by at most gamma_n · Σ|terms| (Higham). The bound is computed per element
// by running the same operator on |x|, |w|, |b|. Max pooling selects, it does not compute: exact.
TEST_P(GoldenCase, MatchesPyTorch) {
  const json& record = find("cases", GetParam());
  SCOPED_TRACE(record.dump());
  Op op = make_op(record);
  const Tensor input = load(record, "input");
  const Tensor expected = load(record, "output");
  const json& tensors = record.at("tensors");
  const auto has = [&](const char* name) { return tensors.contains(name); };

  if (auto* pool = std::get_if<MaxPool2d>(&op)) {
    if (has("indices")) {
      const MaxPool2dResult r = pool->forward_with_indices(input);
      EXPECT_TRUE(near(r.output, expected, 0.0));
      const Tensor indices = load(record, "indices");
      ASSERT_EQ(indices.shape(), expected.shape());
      for (int64_t i = 0; i < indices.numel(); ++i)
        EXPECT_EQ(r.indices[static_cast<std::size_t>(i)], static_cast<int64_t>(indices[i])) << "element " << i;
    } else {
      EXPECT_TRUE(near(pool->forward(input), expected, 0.0));
    }
    return;
  }
  if (auto* pool = std::get_if<AvgPool2d>(&op)) {
    const Hw k = pool->params().kernel;
    const Tensor output = pool->forward(input);
    Tensor bound = pool->forward(abs(input));  // Σ|x| / divisor
    bound = abs(bound);                         // a negative divisor_override
    EXPECT_TRUE(near(output, expected, summation_tolerance(bound, expected, k.h * k.w)));
    return;
  }
  Tensor weight = load(record, "weight");
  Tensor bias = has("bias") ? load(record, "bias") : Tensor();
  Tensor abs_weight = abs(weight), abs_bias = bias.defined() ? abs(bias) : Tensor();
  std::visit(
      [&](auto& conv) {
        if constexpr (!std::is_same_v<std::decay_t<decltype(conv)>, MaxPool2d> &&
                      !std::is_same_v<std::decay_t<decltype(conv)>, AvgPool2d>) {
          const int64_t terms = conv.in_channels() / conv.options().groups * conv.kernel_size().h *
                                    conv.kernel_size().w + 1;
          set_parameters(conv, std::move(weight), std::move(bias));
          const Tensor output = run(op, record, input);
          // Winograd's own error adds to PyTorch's (the bound comes from the direct kernel on |x|, |w|).
          Tensor winograd;
          const int64_t groups = conv.options().groups;
          if constexpr (std::is_same_v<std::decay_t<decltype(conv)>, Conv2d>) {
            if (conv.algorithm_for(input.shape()) == ConvAlgorithm::winograd)
              winograd = winograd_tolerance(input, conv.weight(), conv.bias(), groups, expected);
          } else if (conv.uses_winograd(input.shape())) {
            winograd = winograd_tolerance(input, as_conv2d_weight(conv.weight(), groups), conv.bias(), groups, expected);
          }
          conv.set_algorithm(ConvAlgorithm::direct);
          set_parameters(conv, std::move(abs_weight), std::move(abs_bias));
          const Tensor bound = run(op, record, abs(input));
          Tensor tolerance = summation_tolerance(bound, expected, terms);
          for (int64_t i = 0; winograd.defined() && i < tolerance.numel(); ++i) tolerance[i] += winograd[i];
          EXPECT_TRUE(near(output, expected, tolerance));
        }
      },
      op);
}
INSTANTIATE_TEST_SUITE_P(PyTorch, GoldenCase, ::testing::ValuesIn(names("cases")), test_name);

// Rejected where PyTorch rejects, with a message naming the operator and the offending argument.
class GoldenRejection : public ::testing::TestWithParam<std::string> {};

void expect_rejected(const json& record) {
  SCOPED_TRACE(record.dump());
  const std::vector<int64_t> dims = record.at("input_shape");
  if (dims.size() > Shape::max_rank) {  // a 5-D input cannot even be built: Tensor rank is 1 to 4
    EXPECT_TRUE(rejects([&] { Shape(std::span<const int64_t>(dims)); }, {"rank", "5 dimensions"}));
    return;
  }
  EXPECT_TRUE(rejects(
      [&] {
        const Op op = make_op(record);
        run(op, record, Tensor::zeros(Shape(std::span<const int64_t>(dims))));
      },
      {record.at("op").get<std::string>(), record.at("argument").get<std::string>()}));
}

TEST_P(GoldenRejection, RejectedLikePyTorch) { expect_rejected(find("rejected", GetParam())); }
INSTANTIATE_TEST_SUITE_P(PyTorch, GoldenRejection, ::testing::ValuesIn(names("rejected")), test_name);

// PyTorch accepts these and returns something meaningless (-inf with an index outside the plane) or
// silently crops; Strider rejects them.
class StriderRejection : public ::testing::TestWithParam<std::string> {};
TEST_P(StriderRejection, RejectedByStriderOnly) { expect_rejected(find("strider_rejects", GetParam())); }
INSTANTIATE_TEST_SUITE_P(PyTorchAccepts, StriderRejection, ::testing::ValuesIn(names("strider_rejects")), test_name);

TEST(Golden, ManifestCoversEveryOperator) {
  std::map<std::string, int> per_op;
  for (const json& record : manifest().at("cases")) ++per_op[record.at("op")];
  EXPECT_GE(manifest().at("cases").size(), 250u);
  for (const char* op : {"Conv2d", "ConvTranspose2d", "MaxPool2d", "AvgPool2d"}) EXPECT_GE(per_op[op], 50) << op;
}

}  // namespace
}  // namespace strider
