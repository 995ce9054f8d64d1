// libFuzzer target: parse_npy on arbitrary bytes must return a tensor or throw std::invalid_argument —
// never crash, overflow or read out of bounds (AddressSanitizer + UBSan watch).
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string_view>

#include "core/npy.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  try {
    const strider::Tensor t = strider::parse_npy(std::string_view(reinterpret_cast<const char*>(data), size));
    volatile float sink = t.numel() > 0 ? t[t.numel() - 1] : 0.0f;  // touch the last element
    (void)sink;
  } catch (const std::invalid_argument&) {
  }
  return 0;
}
