#pragma once
// safetensors files: how whole models travel between Strider and PyTorch (tests/pytorch/export_safetensors.py
// writes them without the `safetensors` package). The format: an 8-byte little-endian header length N, N bytes
// of JSON {"name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}, ..., "__metadata__": {...}},
// then the data region, which the tensors' byte ranges must cover exactly.
//
// Reading enforces the format's safety rules (those of the reference implementation) and names the file,
// the tensor and the rule when one is broken: the header at most 100,000,000 bytes and inside the file; a
// JSON object of objects with exactly dtype, shape and data_offsets; no duplicate names; byte ranges
// contiguous, non-overlapping and covering the data region; end - begin == numel × dtype size, computed
// with overflow checks. F32, F16 and BF16 become float32 Tensors. Tensors of the other dtypes (I64,
// F64, ...) or of rank 0 or above 4 are valid files but not Tensors: they are listed in `unsupported`,
// so that Module::load_state_dict can report them together with every other problem (or ignore
// BatchNorm2d's num_batches_tracked). Writing produces F32 only.
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "tensor.hpp"

namespace strider {

// Named float32 tensors, sorted by name (PyTorch's dotted state_dict keys: "encoder.0.weight").
using StateDict = std::map<std::string, Tensor>;

struct UnsupportedTensor {
  std::string dtype;            // as stored: "I64", "F64", "F32", ...
  std::vector<int64_t> shape;   // as stored; [] for a scalar
  std::string reason;           // "dtype I64 is not supported" / "rank 0 is not supported (...)"
};

struct Safetensors {
  StateDict tensors;
  std::map<std::string, UnsupportedTensor> unsupported;
  std::map<std::string, std::string> metadata;  // the optional "__metadata__" (string to string)
};

// The largest header the reader accepts, as in the reference implementation.
constexpr uint64_t safetensors_max_header_size = 100'000'000;

Safetensors load_safetensors(const std::filesystem::path& path);
// Parses the bytes of a safetensors file; `name` only labels error messages. The entry point for fuzzing.
Safetensors parse_safetensors(std::string_view bytes, std::string_view name = "<memory>");

// Writes the tensors as F32 (header keys sorted, padded with spaces to a multiple of 8 bytes so the data
// region is aligned, as the Python package does), atomically (core/files.hpp).
void save_safetensors(const std::filesystem::path& path, const StateDict& tensors,
                      const std::map<std::string, std::string>& metadata = {});
std::string serialize_safetensors(const StateDict& tensors, const std::map<std::string, std::string>& metadata = {});

// IEEE half and bfloat16 bit patterns to float (exact: every value of both is a float).
float half_to_float(uint16_t bits);
float bfloat16_to_float(uint16_t bits);

}  // namespace strider
