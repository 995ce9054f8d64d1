// The ONNX project's backend test suite (Debian's libonnx-testdata) through OnnxModel: every case is a
// model.onnx with test_data_set_*/input_*.pb and output_*.pb (TensorProto, read with the loader's own
// reader). A case passes when every output matches (rtol 1e-3, atol 1e-5, the suite's own tolerance
// scale); it is rejected when loading, reading its tensors or running throws std::invalid_argument,
// whose message must name the node (or the file); it is wrong otherwise. Any other exception or a crash
// fails the test. Prints a table by operator family and fails if a case is wrong or fewer pass than
// `min_passing` (raise it as operators are added).
//
//   onnx_backend_test DATA_DIR [--verbose]   DATA_DIR holds node/, pytorch-converted/, ...
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "onnx/model.hpp"
#include "onnx/onnx_model.hpp"

namespace fs = std::filesystem;
using namespace strider;

namespace {

constexpr int min_passing = 225;  // measured: 225 pass, 0 wrong, 847 rejected

std::string read_file(const fs::path& path) {
  std::ifstream file(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
}

enum class Verdict { pass, wrong, rejected };

struct Result {
  Verdict verdict = Verdict::rejected;
  std::string detail;  // why wrong / the rejection message
};

// The family of a model: its operators, "Conv" or "MatMul+Add" (Constant nodes left out).
std::string family_of(const onnx::Model& model) {
  std::vector<std::string> ops;
  for (const onnx::Node& n : model.nodes)
    if (n.op != "Constant" && std::find(ops.begin(), ops.end(), n.op) == ops.end()) ops.push_back(n.op);
  std::string family;
  for (const std::string& op : ops) family += (family.empty() ? "" : "+") + op;
  return family.empty() ? "(none)" : family;
}

// The tensors input_0.pb, input_1.pb, ... (or output_*) of a data set, in order.
std::vector<onnx::Const> read_tensors(const fs::path& set, const char* prefix) {
  std::vector<onnx::Const> out;
  for (int i = 0;; ++i) {
    const fs::path file = set / (prefix + std::to_string(i) + ".pb");
    if (!fs::exists(file)) break;
    out.push_back(onnx::parse_tensor(read_file(file), file.string()));
  }
  return out;
}

std::string compare(const Tensor& got, const onnx::Const& want, std::size_t k) {
  std::ostringstream why;
  const std::vector<int64_t> want_dims = want.dims.empty() ? std::vector<int64_t>{1} : want.dims;
  if (!std::equal(got.shape().begin(), got.shape().end(), want_dims.begin(), want_dims.end())) {
    why << "output " << k << " has shape " << got.shape() << ", expected " << want.describe();
    return why.str();
  }
  for (int64_t i = 0; i < got.numel(); ++i) {
    const double g = got[i], w = want.number(i);
    if (g == w || (std::isnan(g) && std::isnan(w))) continue;  // infinities compare equal
    if (!(std::fabs(g - w) <= 1e-5 + 1e-3 * std::fabs(w))) {
      why << "output " << k << " element " << i << " is " << g << ", expected " << w;
      return why.str();
    }
  }
  return "";
}

Result run_case(const fs::path& dir, std::string& family) {
  const std::string bytes = read_file(dir / "model.onnx");
  try {
    family = family_of(onnx::parse_model(bytes, (dir / "model.onnx").string()));
  } catch (const std::invalid_argument&) {
    family = "(unreadable)";
  }
  try {
    OnnxModel model = parse_onnx(bytes, (dir / "model.onnx").string());
    std::vector<fs::path> sets;
    for (const auto& entry : fs::directory_iterator(dir))
      if (entry.is_directory() && entry.path().filename().string().rfind("test_data_set_", 0) == 0)
        sets.push_back(entry.path());
    std::sort(sets.begin(), sets.end());
    for (const fs::path& set : sets) {
      std::vector<Tensor> inputs;
      for (const onnx::Const& c : read_tensors(set, "input_")) inputs.push_back(c.to_tensor(set.string() + " input"));
      std::vector<const Tensor*> pointers;
      for (const Tensor& t : inputs) pointers.push_back(&t);
      const std::vector<onnx::Const> expected = read_tensors(set, "output_");
      const std::vector<Tensor> outputs = model.run(pointers);
      if (outputs.size() != expected.size())
        return {Verdict::wrong, std::to_string(outputs.size()) + " outputs, expected " + std::to_string(expected.size())};
      for (std::size_t k = 0; k < outputs.size(); ++k) {
        const std::string why = compare(outputs[k], expected[k], k);
        if (!why.empty()) return {Verdict::wrong, set.filename().string() + ": " + why};
      }
    }
    return {Verdict::pass, ""};
  } catch (const std::invalid_argument& e) {
    return {Verdict::rejected, e.what()};
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: onnx_backend_test DATA_DIR [--verbose]\n";
    return 2;
  }
  const fs::path root = argv[1];
  const bool verbose = argc > 2 && std::strcmp(argv[2], "--verbose") == 0;
  if (!fs::exists(root / "node")) {
    std::cerr << root.string() << ": no ONNX test data (install libonnx-testdata)\n";
    return 77;
  }
  struct Count {
    int pass = 0, wrong = 0, rejected = 0;
  };
  std::map<std::string, Count> families;
  Count total;
  int unnamed = 0;
  for (const char* suite : {"node", "pytorch-converted", "pytorch-operator", "simple"}) {
    std::vector<fs::path> cases;
    for (const auto& entry : fs::directory_iterator(root / suite))
      if (fs::exists(entry.path() / "model.onnx")) cases.push_back(entry.path());
    std::sort(cases.begin(), cases.end());
    for (const fs::path& dir : cases) {
      std::string family;
      const Result r = run_case(dir, family);
      Count& c = families[family];
      const std::string name = std::string(suite) + "/" + dir.filename().string();
      switch (r.verdict) {
        case Verdict::pass: ++c.pass, ++total.pass; break;
        case Verdict::wrong:
          ++c.wrong, ++total.wrong;
          std::cout << "WRONG " << name << ": " << r.detail << '\n';
          break;
        case Verdict::rejected:
          ++c.rejected, ++total.rejected;
          // The message must say where: a node ("Conv node 'x'"), a graph input or output, or the file.
          if (r.detail.find(" node '") == std::string::npos && r.detail.find("output '") == std::string::npos &&
              r.detail.find("input '") == std::string::npos &&
              r.detail.find(dir.string()) == std::string::npos) {
            ++unnamed;
            std::cout << "UNNAMED " << name << ": " << r.detail << '\n';
          } else if (verbose) {
            std::cout << "rejected " << name << ": " << r.detail << '\n';
          }
          break;
      }
    }
  }
  std::printf("\n%-48s %6s %6s %9s\n", "operator family", "pass", "wrong", "rejected");
  for (const auto& [family, c] : families)
    if (c.pass + c.wrong > 0 || verbose) std::printf("%-48s %6d %6d %9d\n", family.c_str(), c.pass, c.wrong, c.rejected);
  int rejected_only = 0, rejected_cases = 0;
  for (const auto& [family, c] : families)
    if (c.pass + c.wrong == 0) ++rejected_only, rejected_cases += c.rejected;
  std::ostringstream only;
  only << '(' << rejected_only << " families only rejected)";
  std::printf("%-48s %6s %6s %9d\n", only.str().c_str(), "", "", rejected_cases);
  std::printf("%-48s %6d %6d %9d\n", "total", total.pass, total.wrong, total.rejected);
  const bool ok = total.wrong == 0 && unnamed == 0 && total.pass >= min_passing;
  if (!ok)
    std::printf("FAILED: %d wrong, %d rejections without a node or file name, %d passing (at least %d expected)\n",
                total.wrong, unnamed, total.pass, min_passing);
  return ok ? 0 : 1;
}
