#pragma once
// A configuration as text, named as the CLI's options and the server's query parameters name it, and
// its parsing, shared by both so that a URL and a command line mean the same thing.
#include <string>

#include "geometry.hpp"

namespace strider::conv_arith {

struct ParamsText {
  std::string kind = "conv";  // conv | transposed | maxpool | avgpool
  std::string input = "5";    // each size: "N" or "HxW"
  std::string kernel = "3";
  std::string stride;  // empty: 1, or the kernel size for the pools (PyTorch's default)
  std::string padding = "0";
  std::string dilation = "1";
  std::string output_padding = "0";
  bool ceil_mode = false;
};

// "5" or "5x7" (H x W); `option` names the argument in the message. Negative values pass, so the
// operator rejects them with its own message.
Hw parse_hw(const std::string& option, const std::string& text);
// Throws std::invalid_argument naming the option for text that is not a size, an unknown kind, or an
// option that does not apply to the kind; the operator checks the values themselves later.
Params parse_params(const ParamsText& text);

}  // namespace strider::conv_arith
