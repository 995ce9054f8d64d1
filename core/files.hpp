#pragma once
// Whole files read for the loaders (ONNX, safetensors, npy, images): only regular files, whose size is
// known before anything is allocated. A device or a pipe could be read forever: /dev/zero, given as a
// model, filled the memory.
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace strider {

// The size of the regular file at `path`. Throws std::invalid_argument, as "<context> '<path>': <why>",
// when it is missing, a folder, or not a regular file.
std::uintmax_t regular_file_size(const std::filesystem::path& path, std::string_view context);

// The first `size` bytes of that file (its regular_file_size, checked against the caller's limit), read
// whole; a shorter read throws as above.
std::string read_file(const std::filesystem::path& path, std::uintmax_t size, std::string_view context);

}  // namespace strider
