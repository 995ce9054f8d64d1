#include "files.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "check.hpp"

namespace strider {

std::uintmax_t regular_file_size(const std::filesystem::path& path, std::string_view context) {
  namespace fs = std::filesystem;
  std::error_code error;
  const fs::file_status status = fs::status(path, error);  // follows symbolic links
  check(fs::exists(status), context, " '", path.string(), "': ",
        status.type() == fs::file_type::not_found ? "no such file" : error.message());  // else ELOOP, EACCES…
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

namespace {

// Writes every part to a new file at `path` and fsyncs it; false with errno set on any failure.
bool write_durably(const std::filesystem::path& path, std::initializer_list<std::string_view> parts) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return false;
  bool ok = true;
  for (const std::string_view part : parts)
    for (std::size_t written = 0; ok && written < part.size();) {
      const ssize_t n = ::write(fd, part.data() + written, part.size() - written);
      if (n < 0 && errno == EINTR) continue;
      ok = n > 0;
      written += ok ? static_cast<std::size_t>(n) : 0;
    }
  ok = ok && ::fsync(fd) == 0;
  const int saved = errno;
  ok = ::close(fd) == 0 && ok;
  if (!ok && saved != 0) errno = saved;
  return ok;
}

}  // namespace

bool same_file(const std::filesystem::path& a, const std::filesystem::path& b) {
  std::error_code error_a, error_b, error;
  const auto canonical_a = std::filesystem::weakly_canonical(a, error_a);
  const auto canonical_b = std::filesystem::weakly_canonical(b, error_b);
  return (!error_a && !error_b && canonical_a == canonical_b) || std::filesystem::equivalent(a, b, error);
}

std::filesystem::path temporary_path(const std::filesystem::path& path) {
  std::filesystem::path temporary = path;
  return temporary += ".part" + std::to_string(::getpid());
}

void write_file_atomically(const std::filesystem::path& path, std::initializer_list<std::string_view> parts,
                           std::string_view context) {
  const std::filesystem::path temporary = temporary_path(path);
  errno = 0;
  const bool written = write_durably(temporary, parts);
  const std::string reason = errno != 0 ? std::strerror(errno) : "a short write";
  std::error_code renamed;
  if (written) std::filesystem::rename(temporary, path, renamed);
  if (!written || renamed) ::unlink(temporary.c_str());
  check(written && !renamed, context, " '", path.string(), "': ", written ? renamed.message() : reason);
  // The rename is durable once the folder's entry is.
  const std::filesystem::path folder = path.parent_path().empty() ? "." : path.parent_path();
  if (const int fd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

}  // namespace strider
