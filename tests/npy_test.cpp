#include <gtest/gtest.h>
#include <sys/resource.h>
#include <unistd.h>

#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include "core/files.hpp"
#include "core/npy.hpp"
#include "test_util.hpp"

namespace strider {
namespace {

using testing::rejects;

std::string header(int major, const std::string& dict) {
  std::string h = dict;
  const std::size_t prefix = major == 1 ? 10 : 12;
  h.append(63 - (prefix + h.size()) % 64, ' ');
  h.push_back('\n');
  std::string bytes = "\x93NUMPY";
  bytes.push_back(static_cast<char>(major));
  bytes.push_back(0);
  const uint32_t length = static_cast<uint32_t>(h.size());
  for (std::size_t i = 0; i < (major == 1 ? 2u : 4u); ++i) bytes.push_back(static_cast<char>(length >> (8 * i)));
  return bytes + h;
}

template <class T>
std::string data(std::initializer_list<T> values) {
  std::string bytes;
  for (T v : values) bytes.append(reinterpret_cast<const char*>(&v), sizeof v);
  return bytes;
}

TEST(Npy, RoundTripsEveryRank) {
  const auto dir = std::filesystem::temp_directory_path();
  for (const Shape& shape : {Shape{5}, Shape{2, 3}, Shape{2, 1, 3}, Shape{2, 3, 4, 5}, Shape{0, 3}}) {
    const Tensor source = Tensor::uniform(shape, -1, 1, 3);
    const auto path = dir / ("strider_npy_" + shape.str() + ".npy");
    save_npy(path, source);
    const Tensor back = load_npy(path);
    EXPECT_EQ(back.shape(), shape);
    EXPECT_EQ(max_abs_diff(back, source), 0.0);
    std::filesystem::remove(path);
  }
}

// A failed save leaves the file it would have replaced whole, and no temporary file beside it.
TEST(Npy, FailedSavesLeaveTheOldFileWhole) {
  const auto path = std::filesystem::temp_directory_path() / ("strider_npy_" + std::to_string(::getpid()) + ".npy");
  const Tensor old = Tensor::uniform({4}, -1, 1, 1);
  save_npy(path, old);
  // Files may grow to 1 KiB while a 4 KiB tensor is saved: the write fails with EFBIG (SIGXFSZ ignored),
  // as on a full disk.
  rlimit saved{};
  ASSERT_EQ(getrlimit(RLIMIT_FSIZE, &saved), 0);
  rlimit small = saved;
  small.rlim_cur = 1024;
  const auto handler = std::signal(SIGXFSZ, SIG_IGN);
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &small), 0);
  const ::testing::AssertionResult failed =
      rejects([&] { save_npy(path, Tensor::zeros({1024})); }, {"save_npy: cannot write", "File too large"});
  setrlimit(RLIMIT_FSIZE, &saved);
  std::signal(SIGXFSZ, handler);
  EXPECT_TRUE(failed);
  EXPECT_EQ(max_abs_diff(load_npy(path), old), 0.0);
  EXPECT_FALSE(std::filesystem::exists(temporary_path(path)));
  std::filesystem::remove(path);
  EXPECT_TRUE(rejects([&] { save_npy("/nonexistent/x.npy", old); },
                      {"save_npy: cannot write '/nonexistent/x.npy': No such file or directory"}));
}

TEST(Npy, ReadsVersions2And3AndFloat64) {
  const std::string f4 = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }";
  for (int major : {2, 3}) {
    const Tensor t = parse_npy(header(major, f4) + data<float>({1.5f, -2.0f}));
    EXPECT_EQ(t.shape(), (Shape{2}));
    EXPECT_EQ(t[1], -2.0f);
  }
  const Tensor d = parse_npy(header(1, "{\"descr\": \"<f8\", \"shape\": (1, 3), \"fortran_order\": False}") +
                             data<double>({0.25, 1e10, -3}));
  EXPECT_EQ(d.shape(), (Shape{1, 3}));
  EXPECT_EQ(d[0], 0.25f);
  EXPECT_EQ(d[1], 1e10f);
}

TEST(Npy, RejectsWhatItCannotRepresent) {
  const std::string good = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }";
  const std::string two = data<float>({1, 2});
  EXPECT_TRUE(rejects([&] { parse_npy("PK\x03\x04 not npy at all", "x.npy"); }, {"x.npy", "magic"}));
  EXPECT_TRUE(rejects([&] { parse_npy("\x93NUMPY"); }, {"magic"}));
  std::string v4 = header(1, good) + two;
  v4[6] = 4;
  EXPECT_TRUE(rejects([&] { parse_npy(v4); }, {"version 4"}));
  EXPECT_TRUE(rejects([&] { parse_npy(header(1, good).substr(0, 30)); }, {"header length"}));
  std::string huge = header(2, good) + two;
  huge[8] = huge[9] = huge[10] = huge[11] = '\xff';
  EXPECT_TRUE(rejects([&] { parse_npy(huge); }, {"header length 4294967295"}));
  EXPECT_TRUE(rejects([&] { parse_npy(header(1, "{'descr': '<i4', 'fortran_order': False, 'shape': (2,), }") + two); },
                      {"dtype '<i4'", "float32"}));
  EXPECT_TRUE(rejects([&] { parse_npy(header(1, "{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }") + two); },
                      {"dtype '>f4'"}));
  EXPECT_TRUE(rejects([&] { parse_npy(header(1, "{'descr': '<f4', 'fortran_order': True, 'shape': (2,), }") + two); },
                      {"Fortran"}));
  EXPECT_TRUE(rejects([&] { parse_npy(header(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (), }") + two); },
                      {"rank 0"}));
  EXPECT_TRUE(rejects(
      [&] { parse_npy(header(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1,1,1,1,2), }") + two); },
      {"rank 5"}));
  EXPECT_TRUE(rejects([&] { parse_npy(header(1, good) + two.substr(0, 6)); }, {"needs 8 data bytes", "has 6"}));
  EXPECT_TRUE(rejects([&] { parse_npy(header(1, good) + two + "x"); }, {"has 9"}));
  EXPECT_TRUE(rejects([&] { parse_npy(header(1, "{'descr': '<f4', 'shape': (2,), }") + two); }, {"keys"}));
  EXPECT_TRUE(rejects([&] { parse_npy(header(1, "{'descr': '<f4', 'fortran_order': Maybe, 'shape': (2,)}") + two); },
                      {"malformed header", "True or False"}));
  EXPECT_TRUE(rejects([&] { parse_npy(header(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (-2,)}") + two); },
                      {"malformed header"}));
  EXPECT_TRUE(rejects(
      [&] {
        parse_npy(header(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,)}") + two);
      },
      {"too large"}));
  EXPECT_TRUE(rejects(
      [&] { parse_npy(header(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296)}")); },
      {"overflows"}));
  EXPECT_TRUE(rejects([&] { load_npy("/nonexistent/strider.npy"); }, {"cannot open", "/nonexistent/strider.npy"}));
  // Only regular files: /dev/zero was read until the memory ran out.
  EXPECT_TRUE(rejects([&] { load_npy("/dev/zero"); }, {"load_npy: cannot open '/dev/zero': not a regular file"}));
  EXPECT_TRUE(rejects([&] { load_npy("/"); }, {"load_npy: cannot open '/': it is a folder"}));
  // A path that cannot be examined gives the system's reason, not "no such file".
  const auto loop = std::filesystem::temp_directory_path() / ("strider_loop_" + std::to_string(::getpid()));
  std::filesystem::create_symlink(loop, loop);
  EXPECT_TRUE(rejects([&] { load_npy(loop); }, {"Too many levels of symbolic links"}));
  std::filesystem::remove(loop);
}

}  // namespace
}  // namespace strider
