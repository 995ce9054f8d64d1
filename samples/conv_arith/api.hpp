#pragma once
// The server's JSON: everything the page shows about one configuration, computed by the code the CLI
// runs (geometry, report); the page only lays it out. No HTTP here, so it can be tested directly.
#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "geometry.hpp"

namespace strider::conv_arith {

// The query parameters, named as the CLI's options: kind, i, k, s, p, d, a, ceil-mode (N or HxW; a
// bare ceil-mode or 1 / true turns it on), or figure alone.
using Query = std::multimap<std::string, std::string>;
struct PageRequest {
  Params params;
  std::string figure;  // "2.7" when the query named a figure of the guide
};
// Throws std::invalid_argument for an unknown or repeated parameter, text that is not a size, and
// values beyond the CLI's bound (arguments.hpp); the operator checks the rest when the configuration
// is explained.
PageRequest parse_query(const Query& query);

// Grids, windows and the matrix are sent up to these sizes (cells per axis); beyond them, the sizes
// and relations only, with a message saying why.
inline constexpr int64_t max_page_cells = 32;  // input and output
inline constexpr int64_t max_page_grid = 80;   // the drawn input grid (padding, inserted zeros)
inline constexpr int64_t max_page_taps = 40000;  // output cells x kernel cells: the windows sent
// The checked geometry within those bounds; std::invalid_argument (the operator's message, or which
// bound) otherwise.
Geometry page_geometry(const Params& params);

// The configuration explained, or {"error": the operator's message} for invalid parameters.
nlohmann::json explain(const PageRequest& request);

// The guide's figures as the page's presets: id, query string and headline.
nlohmann::json figure_list();

// The query string of a configuration with the CLI's names, default values left out.
std::string query_string(const Params& params);

}  // namespace strider::conv_arith
