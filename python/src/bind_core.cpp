// Threads, the SIMD level, and strider.arithmetic: core/arithmetic.hpp under its C++ names.
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include <pybind11/stl.h>

#include "bindings.hpp"
#include "core/arithmetic.hpp"
#include "core/check.hpp"
#include "core/memory.hpp"
#include "core/parallel.hpp"
#include "core/simd.hpp"

namespace strider::python {

namespace py = pybind11;

namespace {

PaddingMode padding_mode(const std::string& name) {
  const std::pair<const char*, PaddingMode> modes[] = {{"zeros", PaddingMode::zeros},
                                                       {"reflect", PaddingMode::reflect},
                                                       {"replicate", PaddingMode::replicate},
                                                       {"circular", PaddingMode::circular}};
  for (const auto& [mode_name, mode] : modes)
    if (name == mode_name) return mode;
  fail("padded_source_index: mode must be one of 'zeros', 'reflect', 'replicate', 'circular', but got '", name, "'");
}

}  // namespace

void bind_core(py::module_& m) {
  m.def("set_num_threads", &set_num_threads, py::arg("n"), "Caps the threads Strider uses (process-wide), n >= 1");
  m.def("get_num_threads", &get_num_threads);
  m.def("cached_memory_bytes", &cached_memory_bytes,
        "Bytes of freed tensors of 32 MiB or more kept for the next tensor of their size (at most 256 MiB)");
  m.def("release_cached_memory", &release_cached_memory, "Gives the cached blocks back to the system");
  m.def("simd_level", [] { return std::string(simd_level_name(simd_level())); },
        "The instruction set the kernels use: 'avx512', 'avx2', 'sse4.2' or 'scalar'");
  m.def("available_simd_levels", [] {
    std::vector<std::string> names;
    for (SimdLevel level : available_simd_levels()) names.emplace_back(simd_level_name(level));
    return names;
  });
  m.def("set_simd_level", [](const std::string& name) {
    for (SimdLevel level : available_simd_levels())
      if (simd_level_name(level) == name) return set_simd_level(level);
    fail("set_simd_level: '", name, "' is not an available level on this CPU");
  });

  py::module_ a = m.def_submodule("arithmetic", "The convolution arithmetic of core/arithmetic.hpp");
  using P = std::pair<int64_t, int64_t>;
  const auto pad = [](const std::variant<int64_t, P>& p) {
    return std::holds_alternative<P>(p) ? Pad(std::get<P>(p).first, std::get<P>(p).second) : Pad(std::get<int64_t>(p));
  };
  a.def("padded_source_index", [](int64_t pos, int64_t size, const std::string& mode) {
    return padded_source_index(pos, size, padding_mode(mode));
  }, py::arg("pos"), py::arg("size"), py::arg("mode"));
  a.def("floor_div", &floor_div, py::arg("a"), py::arg("b"));
  a.def("ceil_div", &ceil_div, py::arg("a"), py::arg("b"));
  a.def("dilated_kernel_size", &dilated_kernel_size, py::arg("k"), py::arg("d") = 1);
  a.def("conv_output_size", [pad](int64_t i, int64_t k, int64_t s, const std::variant<int64_t, P>& p, int64_t d) {
    return conv_output_size(i, k, s, pad(p), d);
  }, py::arg("i"), py::arg("k"), py::arg("s") = 1, py::arg("p") = 0, py::arg("d") = 1);
  a.def("pool_output_size", &pool_output_size, py::arg("i"), py::arg("k"), py::arg("s"), py::arg("p") = 0,
        py::arg("d") = 1, py::arg("ceil_mode") = false);
  a.def("conv_transpose_output_size", &conv_transpose_output_size, py::arg("i"), py::arg("k"), py::arg("s") = 1,
        py::arg("p") = 0, py::arg("d") = 1, py::arg("output_padding") = 0);
  a.def("pool_window_taps", &pool_window_taps, py::arg("o"), py::arg("i"), py::arg("k"), py::arg("s"), py::arg("p"),
        py::arg("d"), py::arg("include_padding"));
  a.def("same_padding", [](int64_t k, int64_t d) {
    const Pad p = same_padding(k, d);
    return P(p.begin, p.end);
  }, py::arg("k"), py::arg("d") = 1, "(begin, end)");
  a.def("conv_transpose_output_size_range", [](int64_t i, int64_t k, int64_t s, int64_t p, int64_t d) {
    const SizeRange r = conv_transpose_output_size_range(i, k, s, p, d);
    return P(r.min, r.max);
  }, py::arg("i"), py::arg("k"), py::arg("s") = 1, py::arg("p") = 0, py::arg("d") = 1, "(min, max)");
  a.def("conv_input_size_range", [](int64_t o, int64_t k, int64_t s, int64_t p, int64_t d) {
    const SizeRange r = conv_input_size_range(o, k, s, p, d);
    return P(r.min, r.max);
  }, py::arg("o"), py::arg("k"), py::arg("s") = 1, py::arg("p") = 0, py::arg("d") = 1, "(min, max)");
  py::class_<TransposedConvEquivalent>(a, "TransposedConvEquivalent")
      .def_readonly("kernel", &TransposedConvEquivalent::kernel)
      .def_readonly("dilation", &TransposedConvEquivalent::dilation)
      .def_readonly("stride", &TransposedConvEquivalent::stride)
      .def_readonly("zeros_inserted", &TransposedConvEquivalent::zeros_inserted)
      .def_readonly("stretched_size", &TransposedConvEquivalent::stretched_size)
      .def_readonly("padding", &TransposedConvEquivalent::padding)
      .def_readonly("output_padding", &TransposedConvEquivalent::output_padding)
      .def_readonly("output_size", &TransposedConvEquivalent::output_size)
      .def("__repr__", [](const TransposedConvEquivalent& e) {
        return "TransposedConvEquivalent(kernel=" + std::to_string(e.kernel) + ", dilation=" +
               std::to_string(e.dilation) + ", stride=" + std::to_string(e.stride) + ", zeros_inserted=" +
               std::to_string(e.zeros_inserted) + ", stretched_size=" + std::to_string(e.stretched_size) +
               ", padding=" + std::to_string(e.padding) + ", output_padding=" + std::to_string(e.output_padding) +
               ", output_size=" + std::to_string(e.output_size) + ")";
      });
  a.def("transposed_conv_equivalent", &transposed_conv_equivalent, py::arg("i"), py::arg("k"), py::arg("s") = 1,
        py::arg("p") = 0, py::arg("d") = 1, py::arg("output_padding") = 0);
}

}  // namespace strider::python
