#pragma once
// `conv-arith serve`: the interactive page (web/) and its JSON (api.hpp) over HTTP, with cpp-httplib.
#include <string>

namespace strider::conv_arith {

struct ServeOptions {
  std::string host = "127.0.0.1";  // only this machine, unless told otherwise
  int port = 8080;                 // 0: any free port
};

// Serves until SIGINT or SIGTERM, then returns 0. Prints "conv-arith: serving http://HOST:PORT/" on
// stdout once it listens (with the chosen port). Throws std::invalid_argument if it cannot listen.
int serve(const ServeOptions& options);

}  // namespace strider::conv_arith
