#include "files.hpp"

#include <fstream>

#include "check.hpp"

namespace strider {

std::uintmax_t regular_file_size(const std::filesystem::path& path, std::string_view context) {
  namespace fs = std::filesystem;
  std::error_code error;
  const fs::file_status status = fs::status(path, error);  // follows symbolic links
  check(fs::exists(status), context, " '", path.string(), "': no such file");
  check(!fs::is_directory(status), context, " '", path.string(), "': it is a folder");
  check(fs::is_regular_file(status), context, " '", path.string(),
        "': not a regular file (a device or a pipe, which may never end)");
  const std::uintmax_t size = fs::file_size(path, error);
  check(!error, context, " '", path.string(), "': ", error.message());
  return size;
}

std::string read_file(const std::filesystem::path& path, std::uintmax_t size, std::string_view context) {
  std::string bytes(size, '\0');
  std::ifstream file(path, std::ios::binary);
  file.read(bytes.data(), static_cast<std::streamsize>(size));
  check(file.good(), context, " '", path.string(), "': the read failed");
  return bytes;
}

}  // namespace strider
