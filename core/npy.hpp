#pragma once
// NumPy .npy files: how tensors travel between Strider and PyTorch (numpy.save / numpy.load).
// Reads format versions 1-3, little-endian float32 ('<f4') or float64 ('<f8', converted), C order,
// rank 1-4; anything else is rejected with a message naming the file and the rule. Writes version 1.0
// '<f4', atomically (core/files.hpp: a file it replaces stays whole until the new one is complete).
#include <filesystem>
#include <string_view>

#include "tensor.hpp"

namespace strider {

Tensor load_npy(const std::filesystem::path& path);
// Parses the bytes of a .npy file; `name` only labels error messages.
Tensor parse_npy(std::string_view bytes, std::string_view name = "<memory>");
void save_npy(const std::filesystem::path& path, const Tensor& tensor);

}  // namespace strider
