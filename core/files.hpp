#pragma once
// Whole files: read for the loaders (ONNX, safetensors, npy, images), only regular files, whose size is
// known before anything is allocated (a device or a pipe could be read forever: /dev/zero, given as a
// model, filled the memory); written atomically, so no failure ever leaves a partial file.
#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <string>
#include <string_view>

namespace strider {

// The size of the regular file at `path`. Throws std::invalid_argument, as "<context> '<path>': <why>",
// when it is missing, a folder, not a regular file, or cannot be examined (then the system's reason).
std::uintmax_t regular_file_size(const std::filesystem::path& path, std::string_view context);

// The first `size` bytes of that file (its regular_file_size, checked against the caller's limit), read
// whole; a shorter read throws as above.
std::string read_file(const std::filesystem::path& path, std::uintmax_t size, std::string_view context);

// Whether the paths name one file, existing or not: spelled differently, through symbolic links, or hard
// links to it. A writer checks it before replacing a file it reads.
bool same_file(const std::filesystem::path& a, const std::filesystem::path& b);

// The temporary file write_file_atomically writes first: `path` + ".part<process id>", in the same folder
// so that the rename cannot cross file systems.
std::filesystem::path temporary_path(const std::filesystem::path& path);

// Writes the parts one after another to temporary_path(path), fsyncs it, renames it over `path` and
// fsyncs the folder: an existing file stays whole until the new one replaces it. On failure (a full disk,
// a missing folder) the temporary file is removed and std::invalid_argument says
// "<context> '<path>': <reason>".
void write_file_atomically(const std::filesystem::path& path, std::initializer_list<std::string_view> parts,
                           std::string_view context);

}  // namespace strider
