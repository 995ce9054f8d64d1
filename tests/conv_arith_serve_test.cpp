// `conv-arith serve` run as a user runs it: the program is started on a free port (--port 0 prints the
// one it chose), asked over HTTP with cpp-httplib for the guide's figures, its pictures and invalid
// configurations, then stopped with SIGTERM. The page itself is loaded in Debian's headless chromium,
// which runs its JavaScript, and the rendered grids and relation are read from the DOM.
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

extern char** environ;

namespace {

using nlohmann::json;

// What a shell command prints.
std::string output_of(const std::string& command) {
  std::string printed;
  const std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), pclose);
  char buffer[4096];
  for (std::size_t n; pipe && (n = fread(buffer, 1, sizeof buffer, pipe.get())) > 0;) printed.append(buffer, n);
  return printed;
}

// The program, started in SetUp and stopped in TearDown.
class ConvArithServe : public testing::Test {
 protected:
  void SetUp() override {
    int out[2];
    ASSERT_EQ(pipe(out), 0);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&actions, out[0]);
    const char* argv[] = {CONV_ARITH, "serve", "--port", "0", nullptr};
    ASSERT_EQ(posix_spawn(&pid_, CONV_ARITH, &actions, nullptr, const_cast<char**>(argv), environ), 0);
    posix_spawn_file_actions_destroy(&actions);
    close(out[1]);
    output_ = fdopen(out[0], "r");
    char line[256] = {};
    ASSERT_NE(fgets(line, sizeof line, output_), nullptr) << "conv-arith serve printed nothing";
    const std::string text = line;
    const std::string prefix = "conv-arith: serving http://127.0.0.1:";
    ASSERT_EQ(text.rfind(prefix, 0), 0u) << text;
    port_ = std::stoi(text.substr(prefix.size()));
    client_ = std::make_unique<httplib::Client>("127.0.0.1", port_);
  }

  void TearDown() override {
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    int status = 0;
    waitpid(pid_, &status, 0);
    char line[256] = {};
    const std::string last = fgets(line, sizeof line, output_) ? line : "";
    fclose(output_);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status;
    EXPECT_EQ(last, "conv-arith: stopped\n");
  }

  // The JSON answer to GET path, with its status.
  json get(const std::string& path, int expected_status = 200) {
    const httplib::Result r = client_->Get(path);
    if (!r) {
      ADD_FAILURE() << path << ": no answer";
      return {};
    }
    EXPECT_EQ(r->status, expected_status) << path << ": " << r->body;
    EXPECT_EQ(r->get_header_value("Content-Type"), "application/json; charset=utf-8") << path;
    return json::parse(r->body);
  }
  std::string error(const std::string& path) { return get(path, 400).value("error", ""); }

  pid_t pid_ = 0;
  FILE* output_ = nullptr;
  int port_ = 0;
  std::unique_ptr<httplib::Client> client_;
};

// The guide's figures: output size, relation and drawn input grid (padded, or for the transposes the
// stretched and padded input of the equivalent convolution), per ARITHMETIC.md.
struct FigureCase {
  std::string id;
  int output, relation, grid;
};
const FigureCase figure_cases[] = {
    {"2.1", 2, 1, 4},  {"2.2", 6, 2, 9},  {"2.3", 5, 3, 7},   {"2.4", 7, 4, 9},  {"2.5", 2, 5, 5},
    {"2.6", 3, 6, 7},  {"2.7", 3, 6, 8},  {"4.1", 4, 8, 6},   {"4.2", 5, 9, 8},  {"4.3", 5, 10, 7},
    {"4.4", 5, 11, 7}, {"4.5", 5, 12, 7}, {"4.6", 5, 13, 7},  {"4.7", 6, 14, 8}, {"5.1", 3, 15, 7},
};

TEST_F(ConvArithServe, ExplainsEveryFigureOfTheGuide) {
  const json figures = get("/api/figures");
  ASSERT_EQ(figures.size(), std::size(figure_cases));
  for (std::size_t f = 0; f < figures.size(); ++f) {
    const FigureCase& c = figure_cases[f];
    SCOPED_TRACE("Fig " + c.id);
    EXPECT_EQ(figures[f]["id"], c.id);
    const json by_id = get("/api/explain?figure=" + c.id);
    // The preset's query, the URL the page shows, explains the same configuration.
    const json by_query = get("/api/explain?" + figures[f]["query"].get<std::string>());
    EXPECT_EQ(by_query["params"], by_id["params"]);
    EXPECT_EQ(by_query["axes"], by_id["axes"]);
    EXPECT_EQ(by_id["figure"], c.id);
    EXPECT_EQ(by_id["output"], json::array({c.output, c.output}));
    for (const json& axis : by_id["axes"]) {
      EXPECT_EQ(axis["relation"], c.relation);
      EXPECT_EQ(axis["lines"][0].get<std::string>().rfind("relation " + std::to_string(c.relation) + ", ", 0), 0u);
    }
    const json& trace = by_id["trace"];
    ASSERT_FALSE(trace.contains("error")) << trace["error"];
    ASSERT_EQ(trace["grid"].size(), std::size_t(c.grid));
    EXPECT_EQ(trace["grid"][0].get<std::string>().size(), std::size_t(c.grid));
    EXPECT_TRUE(trace["picture"]["ok"].get<bool>());

    // The matrix and the windows say the same: entry (o, j) exactly when output o reads input j.
    const json& m = trace["matrix"];
    const int input = by_id["params"]["i"][0];
    EXPECT_EQ(m["rows"], c.output * c.output);
    EXPECT_EQ(m["cols"], input * input);
    EXPECT_EQ(m["name"], c.id[0] == '4' ? "Cᵀ" : "C");
    std::size_t reads = 0;
    for (const json& w : trace["windows"]) reads += w["reads"].size();
    EXPECT_EQ(reads, m["entries"].size());
    for (const json& e : m["entries"]) {
      const json& at = trace["inputs"][e[1].get<std::size_t>()];
      const json& read = trace["windows"][e[0].get<std::size_t>()]["reads"];
      EXPECT_NE(std::find(read.begin(), read.end(), at), read.end()) << e;
      EXPECT_EQ(trace["grid"][at[0].get<std::size_t>()].get<std::string>()[at[1].get<std::size_t>()], 'i');
    }
  }
}

TEST_F(ConvArithServe, Fig4_7HasItsEquivalentConvolutionAndTheValidOutputPadding) {
  const json j = get("/api/explain?kind=transposed&i=3&k=3&s=2&p=1&a=1");
  EXPECT_EQ(j["query"], "kind=transposed&i=3&k=3&s=2&p=1&a=1");
  const json& axis = j["axes"][0];
  EXPECT_EQ(axis["equivalent"],
            json({{"kernel", 3}, {"stride", 1}, {"dilation", 1}, {"zeros_inserted", 1}, {"stretched_size", 5},
                  {"padding", 1}, {"output_padding", 1}, {"output_size", 6}}));
  EXPECT_EQ(axis["output_size_range"], json::array({5, 6}));
  EXPECT_EQ(axis["max_output_padding"], 1);
  EXPECT_EQ(axis["lines"][1], "  = s(i' - 1) - 2p + k̂ + a = 2·(3 - 1) - 2·1 + 3 + 1 = 6");
  // The bottom row and right column of the drawn grid are the output_padding.
  EXPECT_EQ(j["trace"]["grid"].back(), "aaaaaaaa");
  EXPECT_EQ(j["trace"]["matrix"]["note"].get<std::string>().rfind("the transpose of C", 0), 0u);
  EXPECT_EQ(j["operator"], "ConvTranspose2d(1, 1, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1), "
                           "output_padding=(1, 1), bias=False)");
}

TEST_F(ConvArithServe, DrawsThePngAndGifTheCliWrites) {
  for (const auto& [path, magic, type] :
       {std::tuple{"/sheet.png?figure=2.7", "\x89PNG", "image/png"},
        {"/animation.gif?figure=2.7", "GIF89a", "image/gif"},
        {"/sheet.png?kind=maxpool&i=7x5&k=3&s=2&ceil-mode=1", "\x89PNG", "image/png"}}) {
    const httplib::Result r = client_->Get(path);
    ASSERT_TRUE(r) << path;
    EXPECT_EQ(r->status, 200) << path << ": " << r->body;
    EXPECT_EQ(r->get_header_value("Content-Type"), type);
    EXPECT_EQ(r->body.rfind(magic, 0), 0u) << path;
  }
  const httplib::Result r = client_->Get("/sheet.png?figure=2.7");
  EXPECT_EQ(r->get_header_value("Content-Disposition"), "inline; filename=\"fig2_7.png\"");
}

TEST_F(ConvArithServe, RejectsWithTheOperatorsMessageAndBoundsTheSizes) {
  EXPECT_EQ(error("/api/explain?kind=maxpool&k=3&p=2"),
            "MaxPool2d: pad should be at most half of kernel size, but got padding=(2, 2) and kernel_size=(3, 3)");
  EXPECT_NE(error("/api/explain?i=2&k=3").find("Conv2d"), std::string::npos);
  EXPECT_EQ(error("/api/explain?i=3y"), "--input: expected N or HxW (e.g. 3 or 3x5), but got '3y'");
  EXPECT_EQ(error("/api/explain?kind=conv&a=1"), "--output-padding applies to --kind transposed only");
  EXPECT_NE(error("/api/explain?kind=deconv").find("--kind"), std::string::npos);
  EXPECT_NE(error("/api/explain?x=1").find("unknown parameter 'x'"), std::string::npos);
  EXPECT_NE(error("/api/explain?i=3&i=4").find("given 2 times"), std::string::npos);
  // A NUL in the query must not cut the message short.
  EXPECT_EQ(error("/api/explain?i=3%00x"), "parameter 'i': control characters are not allowed, but got '3\\x00x'");
  EXPECT_EQ(error("/api/explain?%1Bk=3"), "parameter '\\x1Bk': control characters are not allowed, but got '3'");
  EXPECT_NE(error("/api/explain?figure=9.9").find("'9.9'"), std::string::npos);
  EXPECT_NE(error("/api/explain?figure=2.7&i=4").find("give it alone"), std::string::npos);
  EXPECT_EQ(error("/api/explain?i=100000000000"),
            "--input: (100000000000, 100000000000) is too large: conv-arith takes sizes up to 1024 per axis");
  EXPECT_NE(error("/api/explain?i=99999999999999999999999").find("--input"), std::string::npos);
  EXPECT_EQ(error("/api/explain?p=-9223372036854775808"),
            "Conv2d: negative padding is not supported, but got padding=(-9223372036854775808, "
            "-9223372036854775808)");

  // Valid but too large for the grids: the sizes, and a message instead of the grids.
  const json big = get("/api/explain?i=40");
  EXPECT_EQ(big["output"], json::array({38, 38}));
  EXPECT_NE(big["trace"]["error"].get<std::string>().find("at most 32 input and output cells per axis"),
            std::string::npos);
  const json wide = get("/api/explain?i=4&k=2&d=80&p=40");
  EXPECT_NE(wide["trace"]["error"].get<std::string>().find("at most 80 drawn input cells"), std::string::npos);
  EXPECT_NE(get("/api/explain?i=32&k=16&p=7")["trace"]["error"].get<std::string>().find("at most 40000 kernel taps"),
            std::string::npos);
  // Shown, but too large to draw as a sheet of panels.
  const json no_picture = get("/api/explain?i=20&k=3");
  EXPECT_FALSE(no_picture["trace"]["picture"]["ok"].get<bool>());
  EXPECT_NE(error("/sheet.png?i=20&k=3").find("too large to draw"), std::string::npos);
  EXPECT_NE(error("/animation.gif?kind=maxpool&k=3&p=2").find("MaxPool2d"), std::string::npos);

  EXPECT_EQ(client_->Get("/nothing")->status, 404);
  EXPECT_EQ(client_->Get("/app_js")->status, 404);
  EXPECT_EQ(client_->Get("/api/explain?i=" + std::string(10000, '1'))->status, 414);
  EXPECT_EQ(client_->Post("/api/explain", std::string(100000, 'x'), "text/plain")->status, 413);
}

TEST_F(ConvArithServe, RefusesABusyPort) {
  const std::string command =
      std::string(CONV_ARITH) + " serve --port " + std::to_string(port_) + " 2>&1; echo \"exit $?\"";
  EXPECT_EQ(output_of(command), "conv-arith: serve: cannot listen on 127.0.0.1 port " + std::to_string(port_) +
                         " (in use, or not an address of this machine?)\nexit 2\n");
}

TEST_F(ConvArithServe, ServesThePageWithItsOwnFilesOnly) {
  const httplib::Result r = client_->Get("/");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->get_header_value("Content-Type"), "text/html; charset=utf-8");
  EXPECT_NE(r->body.find("<script src=\"/app.js\""), std::string::npos);
  EXPECT_EQ(r->body.find("http"), std::string::npos) << "the page loads nothing from elsewhere";
  EXPECT_EQ(r->get_header_value("Content-Security-Policy").rfind("default-src 'self'", 0), 0u);
  for (const char* asset : {"/app.js", "/style.css"}) {
    const httplib::Result a = client_->Get(asset);
    ASSERT_TRUE(a);
    EXPECT_EQ(a->status, 200);
    EXPECT_EQ(a->body.find("http"), std::string::npos) << asset;
  }
}

// The page as chromium renders it, after its scripts have fetched and drawn the configuration.
std::string rendered(int port, const std::string& query) {
  const std::filesystem::path profile = std::filesystem::temp_directory_path() /
                                        ("conv_arith_chromium_" + std::to_string(getpid()));
  const std::string command = "/usr/bin/chromium --headless --no-sandbox --disable-gpu --disable-dev-shm-usage "
                              "--no-first-run --user-data-dir=" + profile.string() +
                              " --virtual-time-budget=10000 --dump-dom 'http://127.0.0.1:" +
                              std::to_string(port) + "/?" + query + "' 2>/dev/null";
  const std::string dom = output_of(command);
  std::filesystem::remove_all(profile);
  return dom;
}

TEST_F(ConvArithServe, ChromiumRendersAConfigurationUrl) {
  if (!std::filesystem::exists("/usr/bin/chromium")) GTEST_SKIP() << "no /usr/bin/chromium";
  const std::string dom = rendered(port_, "kind=transposed&i=3&k=3&s=2&p=1&a=1");
  ASSERT_NE(dom.find("</html>"), std::string::npos) << "chromium printed no page";
  EXPECT_NE(dom.find("<body data-state=\"ok\">"), std::string::npos);
  EXPECT_NE(dom.find("<div id=\"output-grid\" class=\"grid\" data-rows=\"6\" data-cols=\"6\""), std::string::npos);
  EXPECT_NE(dom.find("<div id=\"input-grid\" class=\"grid\" data-rows=\"8\" data-cols=\"8\""), std::string::npos)
      << "the input grid is ĩ' + 2p' + a = 8 cells";
  EXPECT_NE(dom.find("Fig 4.7  transposed: input 3x3, k=3, s=2, p=1, a=1 → output 6x6"), std::string::npos);
  EXPECT_NE(dom.find("= s(i' - 1) - 2p + k̂ + a = 2·(3 - 1) - 2·1 + 3 + 1 = 6"), std::string::npos);
  EXPECT_NE(dom.find("<span class=\"badge\">14</span>"), std::string::npos);
  EXPECT_NE(dom.find("Cᵀ (36 × 9)"), std::string::npos);
}

TEST_F(ConvArithServe, ChromiumShowsTheOperatorsMessage) {
  if (!std::filesystem::exists("/usr/bin/chromium")) GTEST_SKIP() << "no /usr/bin/chromium";
  const std::string dom = rendered(port_, "kind=maxpool&k=3&p=2");
  ASSERT_NE(dom.find("</html>"), std::string::npos) << "chromium printed no page";
  EXPECT_NE(dom.find("<body data-state=\"error\">"), std::string::npos);
  EXPECT_NE(dom.find("MaxPool2d: pad should be at most half of kernel size, but got padding=(2, 2) and "
                     "kernel_size=(3, 3)"),
            std::string::npos);
}

}  // namespace
