#include "module_spec.hpp"

#include <optional>
#include <stdexcept>

namespace strider::testing {

namespace {

using nlohmann::json;

Hw hw(const json& v) { return {v.at(0).get<int64_t>(), v.at(1).get<int64_t>()}; }

// size and scale_factor: one number for both axes or a pair, as in PyTorch.
UpsampleOptions upsample_options(const json& a) {
  UpsampleOptions o;
  if (a.contains("size")) {
    const json& s = a["size"];
    o.size = s.is_array() ? OptionalSize(s[0].get<int64_t>(), s[1].get<int64_t>()) : OptionalSize(s.get<int64_t>());
  }
  if (a.contains("scale_factor")) {
    const json& s = a["scale_factor"];
    o.scale_factor = s.is_array() ? OptionalScale(s[0].get<double>(), s[1].get<double>()) : OptionalScale(s.get<double>());
  }
  o.mode = a.at("mode");
  if (a.contains("align_corners")) o.align_corners = a["align_corners"].get<bool>();
  if (a.contains("recompute_scale_factor")) o.recompute_scale_factor = a["recompute_scale_factor"].get<bool>();
  return o;
}

// momentum only shows in the repr; parity.py's records leave it out, null is PyTorch's None.
nn::BatchNorm2dOptions batch_norm_options(const json& a) {
  nn::BatchNorm2dOptions o{.eps = a.at("eps"), .affine = a.at("affine")};
  if (a.contains("momentum")) {
    const json& momentum = a["momentum"];
    o.momentum = momentum.is_null() ? std::nullopt : std::optional<double>(momentum.get<double>());
  }
  return o;
}

}  // namespace

std::unique_ptr<nn::Module> make_layer(const std::string& op, const json& a) {
  if (op == "Conv2d") {
    const json& p = a.at("padding");
    return std::make_unique<nn::Conv2d>(
        a.at("in").get<int64_t>(), a.at("out").get<int64_t>(), hw(a.at("kernel")),
        Conv2dOptions{.stride = hw(a.at("stride")),
                      .padding = p.is_string() ? Conv2dPadding(p.get<std::string>()) : Conv2dPadding(p[0], p[1]),
                      .dilation = hw(a.at("dilation")),
                      .groups = a.at("groups"),
                      .bias = a.at("bias"),
                      .padding_mode = a.at("padding_mode")});
  }
  if (op == "ConvTranspose2d")
    return std::make_unique<nn::ConvTranspose2d>(
        a.at("in").get<int64_t>(), a.at("out").get<int64_t>(), hw(a.at("kernel")),
        ConvTranspose2dOptions{.stride = hw(a.at("stride")), .padding = hw(a.at("padding")),
                               .output_padding = hw(a.at("output_padding")), .groups = a.at("groups"),
                               .bias = a.at("bias"), .dilation = hw(a.at("dilation"))});
  if (op == "MaxPool2d")
    return std::make_unique<nn::MaxPool2d>(
        hw(a.at("kernel")), MaxPool2dOptions{.stride = hw(a.at("stride")), .padding = hw(a.at("padding")),
                                             .dilation = hw(a.at("dilation")), .ceil_mode = a.at("ceil_mode")});
  if (op == "AvgPool2d")
    return std::make_unique<nn::AvgPool2d>(
        hw(a.at("kernel")), AvgPool2dOptions{.stride = hw(a.at("stride")), .padding = hw(a.at("padding")),
                                             .ceil_mode = a.at("ceil_mode"),
                                             .count_include_pad = a.at("count_include_pad")});
  if (op == "BatchNorm2d")
    return std::make_unique<nn::BatchNorm2d>(a.at("num_features").get<int64_t>(), batch_norm_options(a));
  if (op == "Upsample") return std::make_unique<nn::Upsample>(upsample_options(a));
  if (op == "PixelShuffle") return std::make_unique<nn::PixelShuffle>(a.at("upscale_factor").get<int64_t>());
  if (op == "PixelUnshuffle") return std::make_unique<nn::PixelUnshuffle>(a.at("downscale_factor").get<int64_t>());
  if (op == "Identity") return std::make_unique<nn::Identity>();
  if (op == "relu") return std::make_unique<nn::ReLU>();
  if (op == "relu6") return std::make_unique<nn::ReLU6>();
  if (op == "sigmoid") return std::make_unique<nn::Sigmoid>();
  if (op == "tanh") return std::make_unique<nn::Tanh>();
  if (op == "silu") return std::make_unique<nn::SiLU>();
  if (op == "gelu") return std::make_unique<nn::GELU>(a.at("approximate").get<std::string>());
  if (op == "leaky_relu") return std::make_unique<nn::LeakyReLU>(a.at("negative_slope").get<double>());
  if (op == "prelu") return std::make_unique<nn::PReLU>(a.at("num_parameters").get<int64_t>());
  if (op == "hardtanh")
    return std::make_unique<nn::Hardtanh>(a.at("min_val").get<double>(), a.at("max_val").get<double>());
  throw std::logic_error("module_spec: unknown op " + op);
}

}  // namespace strider::testing
