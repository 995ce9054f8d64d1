#include "options.hpp"

#include <charconv>
#include <string_view>

#include "arguments.hpp"
#include "core/check.hpp"

namespace strider::conv_arith {

Hw parse_hw(const std::string& option, const std::string& text) {
  const auto number = [&](std::string_view s) {
    int64_t v = 0;
    const auto [end, error] = std::from_chars(s.data(), s.data() + s.size(), v);
    check(error == std::errc() && end == s.data() + s.size() && !s.empty(), option,
          ": expected N or HxW (e.g. 3 or 3x5), but got '", text, "'");
    return v;
  };
  const std::size_t x = text.find('x');
  if (x == std::string::npos) return number(text);
  return {number(std::string_view(text).substr(0, x)), number(std::string_view(text).substr(x + 1))};
}

Params parse_params(const ParamsText& text) {
  Params p;
  bool known = false;
  for (const Kind k : {Kind::conv, Kind::transposed, Kind::maxpool, Kind::avgpool})
    if (kind_name(k) == text.kind) p.kind = k, known = true;
  check(known, "--kind: expected conv, transposed, maxpool or avgpool, but got '", text.kind, "'");
  p.input = parse_hw("--input", text.input);
  p.kernel = parse_hw("--kernel", text.kernel);
  const bool pool = is_pool(p.kind);
  p.stride = text.stride.empty() ? (pool ? p.kernel : Hw(1)) : parse_hw("--stride", text.stride);
  p.padding = parse_hw("--padding", text.padding);
  p.dilation = parse_hw("--dilation", text.dilation);
  p.output_padding = parse_hw("--output-padding", text.output_padding);
  p.ceil_mode = text.ceil_mode;
  check(p.kind == Kind::transposed || p.output_padding == Hw(0), "--output-padding applies to --kind transposed only");
  check(pool || !p.ceil_mode, "--ceil-mode applies to --kind maxpool and avgpool only");
  check_argument_bounds(p);
  return p;
}

}  // namespace strider::conv_arith
