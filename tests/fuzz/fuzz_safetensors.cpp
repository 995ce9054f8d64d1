// libFuzzer target: parse_safetensors on arbitrary bytes must return tensors or throw
// std::invalid_argument — never crash, overflow or read out of bounds.
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string_view>

#include "core/safetensors.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  try {
    const strider::Safetensors file =
        strider::parse_safetensors(std::string_view(reinterpret_cast<const char*>(data), size));
    for (const auto& [name, t] : file.tensors) {
      volatile float sink = t.numel() > 0 ? t[t.numel() - 1] : 0.0f;
      (void)sink;
    }
  } catch (const std::invalid_argument&) {
  }
  return 0;
}
