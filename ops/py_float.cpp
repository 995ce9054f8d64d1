#include "py_float.hpp"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <ostream>
#include <string>

namespace strider {

std::ostream& operator<<(std::ostream& os, PyFloat v) {
  if (!std::isfinite(v.value)) return os << (std::isnan(v.value) ? "nan" : v.value > 0 ? "inf" : "-inf");
  // The shortest digits that round-trip, as Python's repr, then Python's layout: positional for
  // exponents -4 ... 15 (always with a fraction), else d.ddde-XX.
  char buffer[32];
  const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, v.value, std::chars_format::scientific);
  const std::string text(buffer, end);
  const std::size_t e = text.find('e');
  std::string digits = text.substr(0, e);
  const int exponent = std::atoi(text.c_str() + e + 1);
  const bool negative = digits[0] == '-';
  if (negative) digits.erase(0, 1);
  if (digits.size() > 1) digits.erase(1, 1);  // drop the '.': d.ddd -> dddd
  if (negative) os << '-';
  if (exponent < -4 || exponent >= 16) {
    os << digits[0];
    if (digits.size() > 1) os << '.' << digits.substr(1);
    return os << 'e' << (exponent < 0 ? '-' : '+') << (std::abs(exponent) < 10 ? "0" : "") << std::abs(exponent);
  }
  if (exponent < 0) return os << "0." << std::string(static_cast<std::size_t>(-exponent - 1), '0') << digits;
  const auto point = static_cast<std::size_t>(exponent) + 1;
  if (digits.size() <= point) return os << digits << std::string(point - digits.size(), '0') << ".0";
  return os << digits.substr(0, point) << '.' << digits.substr(point);
}

}  // namespace strider
