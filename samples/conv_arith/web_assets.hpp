#pragma once
// The page's files (web/), compiled into the program by embed.cmake so it runs offline from anywhere.
#include <string_view>
#include <vector>

namespace strider::conv_arith {

struct WebAsset {
  std::string_view path;  // "/app.js"
  std::string_view body;
};
const std::vector<WebAsset>& web_assets();

}  // namespace strider::conv_arith
