#pragma once
// Argument checks that read like PyTorch's TORCH_CHECK: the message names the operator, the argument,
// its value and the rule. The message is only built when the check fails.
#include <sstream>
#include <stdexcept>

namespace strider {

template <class... Parts>
[[noreturn]] void fail(const Parts&... parts) {
  std::ostringstream message;
  (message << ... << parts);
  throw std::invalid_argument(message.str());
}

template <class... Parts>
void check(bool condition, const Parts&... parts) {
  if (!condition) fail(parts...);
}

}  // namespace strider
