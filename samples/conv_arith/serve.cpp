#include "serve.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <iostream>
#include <sstream>
#include <thread>

#include <httplib.h>
#include <opencv2/imgcodecs.hpp>

#include "api.hpp"
#include "core/check.hpp"
#include "draw.hpp"
#include "gif.hpp"
#include "report.hpp"
#include "web_assets.hpp"

namespace strider::conv_arith {

namespace {

// Requests are small GETs; anything larger or slower is cut off. Four workers bound the memory the
// pictures and operator traces take at once (the page's limits bound each one).
constexpr std::size_t max_payload = 4096;
constexpr time_t io_timeout_s = 5;
constexpr std::size_t workers = 4;

std::string_view content_type(std::string_view path) {
  if (path.ends_with(".html")) return "text/html; charset=utf-8";
  if (path.ends_with(".js")) return "text/javascript; charset=utf-8";
  if (path.ends_with(".css")) return "text/css; charset=utf-8";
  return "application/octet-stream";
}

void send_json(httplib::Response& res, const nlohmann::json& j) {
  res.status = j.contains("error") ? 400 : 200;
  res.set_content(j.dump(), "application/json; charset=utf-8");
}

void send_error(httplib::Response& res, const std::exception& e) {
  send_json(res, {{"error", e.what()}});
}

// A picture of the query's configuration, drawn as `conv-arith -o` draws it.
template <class Draw>
void send_picture(const httplib::Request& req, httplib::Response& res, const std::string& format, Draw draw) {
  try {
    const PageRequest r = parse_query(req.params);
    const Geometry g = page_geometry(r.params);
    check_drawable(g);
    res.set_content(draw(g, picture_title(summarize(r.params), r.figure)), "image/" + format);
    std::string name = r.figure.empty() ? "conv_arith" : "fig" + r.figure;
    std::replace(name.begin(), name.end(), '.', '_');  // fig2_7.png, as conv-arith --figure all names it
    res.set_header("Content-Disposition", "inline; filename=\"" + name + "." + format + "\"");
  } catch (const std::invalid_argument& e) {
    send_error(res, e);
  }
}

void add_routes(httplib::Server& server) {
  for (const WebAsset& asset : web_assets()) {
    const std::string_view path = asset.path == "/index.html" ? "/" : asset.path;
    std::string route;  // a regular expression: "/app\.js"
    for (const char c : path) route += c == '.' ? "\\." : std::string(1, c);
    server.Get(route, [asset](const httplib::Request&, httplib::Response& res) {
      res.set_content(asset.body.data(), asset.body.size(), std::string(content_type(asset.path)).c_str());
    });
  }
  server.Get("/api/explain", [](const httplib::Request& req, httplib::Response& res) {
    try {
      send_json(res, explain(parse_query(req.params)));
    } catch (const std::invalid_argument& e) {
      send_error(res, e);
    }
  });
  server.Get("/api/figures",
             [](const httplib::Request&, httplib::Response& res) { send_json(res, figure_list()); });
  server.Get(R"(/sheet\.png)", [](const httplib::Request& req, httplib::Response& res) {
    send_picture(req, res, "png", [](const Geometry& g, const std::vector<std::string>& title) {
      std::vector<uchar> png;
      cv::imencode(".png", draw_sheet(g, title), png, {cv::IMWRITE_PNG_COMPRESSION, 9});
      return std::string(png.begin(), png.end());
    });
  });
  server.Get(R"(/animation\.gif)", [](const httplib::Request& req, httplib::Response& res) {
    send_picture(req, res, "gif", [](const Geometry& g, const std::vector<std::string>& title) {
      std::ostringstream gif;
      write_gif(gif, "animation.gif", draw_frames(g, title), 70);
      return gif.str();
    });
  });
  // Everything is computed from the query: nothing to keep, nothing another site may read or load.
  server.set_post_routing_handler([](const httplib::Request&, httplib::Response& res) {
    res.set_header("X-Content-Type-Options", "nosniff");
    res.set_header("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'");
    res.set_header("Cache-Control", "no-store");
  });
  // A bug (the operator disagreeing with the arithmetic) answers 500 with its message, never kills the server.
  server.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
    try {
      std::rethrow_exception(ep);
    } catch (const std::exception& e) {
      send_error(res, e);
    } catch (...) {
      send_json(res, {{"error", "unknown error"}});
    }
    res.status = 500;
  });
}

// SIGINT and SIGTERM write a byte to this pipe, which a thread waits on to stop the server: a signal
// handler may do little more, and a thread a library started before main may receive the signal rather
// than the thread that waits.
int stop_pipe = -1;
extern "C" void request_stop(int) {
  const char byte = 1;
  [[maybe_unused]] const ssize_t written = write(stop_pipe, &byte, 1);
}

}  // namespace

int serve(const ServeOptions& options) {
  httplib::Server server;
  server.new_task_queue = [] { return new httplib::ThreadPool(workers); };
  // SO_REUSEADDR only: httplib's default, SO_REUSEPORT, lets a second server share a busy port silently.
  server.set_socket_options([](int socket) {
    const int yes = 1;
    setsockopt(socket, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  server.set_payload_max_length(max_payload);
  server.set_read_timeout(io_timeout_s);
  server.set_write_timeout(io_timeout_s);
  add_routes(server);

  const int port = options.port == 0 ? server.bind_to_any_port(options.host)
                                     : (server.bind_to_port(options.host, options.port) ? options.port : -1);
  check(port > 0, "serve: cannot listen on ", options.host, " port ", options.port,
        " (in use, or not an address of this machine?)");
  std::array<int, 2> pipe_fds{};
  check(pipe2(pipe_fds.data(), O_CLOEXEC) == 0, "serve: cannot create a pipe");
  stop_pipe = pipe_fds[1];
  struct sigaction on_stop = {}, old_int = {}, old_term = {};
  on_stop.sa_handler = request_stop;
  sigemptyset(&on_stop.sa_mask);
  // A SIGINT ignored from the start (a shell's background job) stays ignored, as the shell intends.
  sigaction(SIGINT, nullptr, &old_int);
  if (old_int.sa_handler != SIG_IGN) sigaction(SIGINT, &on_stop, nullptr);
  sigaction(SIGTERM, &on_stop, &old_term);

  const bool v6 = options.host.find(':') != std::string::npos;
  std::cout << "conv-arith: serving http://" << (v6 ? "[" : "") << options.host << (v6 ? "]" : "") << ':' << port
            << "/  (Ctrl-C stops)" << std::endl;
  if (options.host != "127.0.0.1" && options.host != "localhost" && options.host != "::1")
    std::cout << "conv-arith: listening on " << options.host << ": other machines may reach this page" << std::endl;

  std::atomic<bool> finished = false;
  std::thread stopper([&] {
    char byte = 0;
    while (read(pipe_fds[0], &byte, 1) < 0 && errno == EINTR) {
    }
    // stop() does nothing before listening has begun: repeat it until listening has ended.
    while (!finished) {
      server.stop();
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });
  const bool listened = server.listen_after_bind();
  finished = true;
  // Listening ended without a signal (an accept error): wake the stopper so it can be joined.
  if (!listened) request_stop(0);
  stopper.join();
  sigaction(SIGINT, &old_int, nullptr);
  sigaction(SIGTERM, &old_term, nullptr);
  close(pipe_fds[0]);
  close(pipe_fds[1]);
  std::cout << "conv-arith: stopped" << std::endl;
  return listened ? 0 : 1;
}

}  // namespace strider::conv_arith
