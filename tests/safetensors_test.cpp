// safetensors reading and writing: round trips, F16/BF16 conversion against PyTorch's, and one
// hand-built malformed file per safety rule, each rejected with a message naming the rule.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <limits>
#include <string>

#include "core/safetensors.hpp"
#include "test_util.hpp"

namespace strider {
namespace {

using testing::near;
using testing::rejects;

const std::filesystem::path module_dir = std::filesystem::path(STRIDER_TEST_DATA) / "modules";

// A file from a header text and a data region.
std::string file_bytes(const std::string& header, const std::string& data = "") {
  std::string out(8, '\0');
  const uint64_t n = header.size();
  std::memcpy(out.data(), &n, 8);
  return out + header + data;
}

TEST(Safetensors, RoundTripKeepsNamesShapesValuesAndMetadata) {
  StateDict in;
  in.emplace("encoder.0.weight", Tensor::uniform({4, 3, 3, 3}, -1, 1, 1));
  in.emplace("encoder.0.bias", Tensor::uniform({4}, -1, 1, 2));
  in.emplace("empty", Tensor::zeros({0, 3}));
  const std::string bytes = serialize_safetensors(in, {{"format", "pt"}});
  uint64_t header_size;
  std::memcpy(&header_size, bytes.data(), 8);
  EXPECT_EQ((8 + header_size) % 8, 0u) << "the data region starts 8-byte aligned";

  const Safetensors out = parse_safetensors(bytes);
  EXPECT_EQ(out.metadata, (std::map<std::string, std::string>{{"format", "pt"}}));
  EXPECT_TRUE(out.unsupported.empty());
  ASSERT_EQ(out.tensors.size(), in.size());
  for (const auto& [name, tensor] : in) EXPECT_TRUE(near(out.tensors.at(name), tensor, 0.0)) << name;

  const auto path = std::filesystem::temp_directory_path() / "strider_safetensors_test.safetensors";
  save_safetensors(path, in);
  EXPECT_TRUE(near(load_safetensors(path).tensors.at("encoder.0.weight"), in.at("encoder.0.weight"), 0.0));
  std::filesystem::remove(path);
}

TEST(Safetensors, HalfAndBfloat16ConvertExactlyAsPyTorch) {
  const Safetensors extremes = load_safetensors(module_dir / "extremes.safetensors");
  const Safetensors expected = load_safetensors(module_dir / "models.safetensors");
  // Subnormals, the largest finite value, ±inf, NaN, -0 (PyTorch's .float() of the same bits).
  EXPECT_TRUE(near(extremes.tensors.at("half"), expected.tensors.at("extremes.half"), 0.0));
  EXPECT_TRUE(near(extremes.tensors.at("bf16"), expected.tensors.at("extremes.bf16"), 0.0));
  EXPECT_EQ(half_to_float(0x3c00), 1.0f);
  EXPECT_EQ(half_to_float(0x0001), 0x1p-24f);
  EXPECT_EQ(half_to_float(0x7bff), 65504.0f);
  EXPECT_EQ(bfloat16_to_float(0x3f80), 1.0f);
  EXPECT_TRUE(std::signbit(half_to_float(0x8000)));
}

TEST(Safetensors, MixedDtypesLoadAndOtherDtypesAreListedAsUnsupported) {
  const Safetensors file = load_safetensors(module_dir / "mixed.safetensors");
  EXPECT_EQ(file.tensors.size(), 6u);  // F16, BF16 and F32 entries
  ASSERT_EQ(file.unsupported.count("1.num_batches_tracked"), 1u);
  const UnsupportedTensor& counter = file.unsupported.at("1.num_batches_tracked");
  EXPECT_EQ(counter.dtype, "I64");
  EXPECT_TRUE(counter.shape.empty());
  EXPECT_NE(counter.reason.find("I64"), std::string::npos);
}

TEST(Safetensors, ScalarAndFiveDimensionalFloatsAreUnsupportedNotErrors) {
  const Safetensors file = parse_safetensors(file_bytes(
      R"({"s":{"dtype":"F32","shape":[],"data_offsets":[0,4]},"v":{"dtype":"F32","shape":[1,1,1,1,1],"data_offsets":[4,8]}})",
      std::string(8, '\0')));
  EXPECT_TRUE(file.tensors.empty());
  EXPECT_NE(file.unsupported.at("s").reason.find("rank 0"), std::string::npos);
  EXPECT_NE(file.unsupported.at("v").reason.find("rank 5"), std::string::npos);
}

// One malformed file per rule.
TEST(Safetensors, RejectsEachBrokenSafetyRule) {
  const std::string f4 = std::string(4, '\0');
  // Built with append: GCC 12 warns falsely (-Wrestrict, its bug 105329) on "literal" + std::string.
  const auto entry = [](const std::string& name, const std::string& body) {
    std::string s = "\"";
    s.append(name).append("\":{").append(body).append("}");
    return s;
  };
  const auto object = [](std::initializer_list<std::string> entries) {
    std::string s = "{";
    for (const std::string& e : entries) s.append(s.size() > 1 ? "," : "").append(e);
    return s.append("}");
  };
  const std::string ok = R"("dtype":"F32","shape":[1],"data_offsets":[0,4])";

  EXPECT_TRUE(rejects([] { parse_safetensors("1234567", "tiny.st"); }, {"tiny.st", "8-byte header length"}));
  std::string huge(8, '\0');
  const uint64_t too_big = safetensors_max_header_size + 1;
  std::memcpy(huge.data(), &too_big, 8);
  EXPECT_TRUE(rejects([&] { parse_safetensors(huge); }, {"header length", "limit"}));
  std::string beyond(8, '\0');
  beyond[0] = 100;
  EXPECT_TRUE(rejects([&] { parse_safetensors(beyond + "{}"); }, {"header length 100", "exceeds"}));
  EXPECT_TRUE(rejects([] { parse_safetensors(file_bytes("[]")); }, {"must start with '{'"}));
  EXPECT_TRUE(rejects([] { parse_safetensors(file_bytes("{\"a\":")); }, {"not valid JSON"}));
  EXPECT_TRUE(rejects([&] { parse_safetensors(file_bytes(object({entry("a", ok), entry("a", ok)}), f4)); },
                      {"'a' twice"}));
  EXPECT_TRUE(rejects([&] { parse_safetensors(file_bytes(R"({"a":{"dtype":"F32","dtype":"F16","shape":[1],"data_offsets":[0,4]}})", f4)); },
                      {"'dtype' twice"}));
  EXPECT_TRUE(rejects([] { parse_safetensors(file_bytes(R"({"a":{"dtype":"F32","shape":[[1]],"data_offsets":[0,4]}})")); },
                      {"nests deeper"}));
  EXPECT_TRUE(rejects([] { parse_safetensors(file_bytes(R"({"a":{"dtype":"F32","shape":[1]}})")); },
                      {"tensor 'a'", "exactly the keys dtype, shape and data_offsets"}));
  EXPECT_TRUE(rejects([&] { parse_safetensors(file_bytes(object({entry("a", ok + R"(,"x":1)")}), f4)); },
                      {"exactly the keys"}));
  EXPECT_TRUE(rejects([] { parse_safetensors(file_bytes(R"({"a":{"dtype":"F31","shape":[1],"data_offsets":[0,4]}})")); },
                      {"tensor 'a'", "unknown dtype 'F31'"}));
  EXPECT_TRUE(rejects([] { parse_safetensors(file_bytes(R"({"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}})")); },
                      {"shape entries must be non-negative integers", "-1"}));
  EXPECT_TRUE(rejects([] { parse_safetensors(file_bytes(R"({"a":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}})")); },
                      {"non-negative integers"}));
  EXPECT_TRUE(rejects(
      [] { parse_safetensors(file_bytes(R"({"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,4]}})")); },
      {"tensor 'a'", "overflows"}));
  EXPECT_TRUE(rejects(
      [] { parse_safetensors(file_bytes(R"({"a":{"dtype":"F64","shape":[2305843009213693952],"data_offsets":[0,4]}})")); },
      {"byte count", "overflows"}));
  EXPECT_TRUE(rejects([] { parse_safetensors(file_bytes(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0]}})")); },
                      {"data_offsets must be [begin, end]"}));
  EXPECT_TRUE(rejects([] { parse_safetensors(file_bytes(R"({"a":{"dtype":"F32","shape":[0],"data_offsets":[4,0]}})")); },
                      {"end before they begin"}));
  EXPECT_TRUE(rejects([&] { parse_safetensors(file_bytes(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}})", f4)); },
                      {"hold 4 bytes", "needs 8"}));
  EXPECT_TRUE(rejects([&] { parse_safetensors(file_bytes(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", f4 + f4)); },
                      {"leave a hole after byte 0"}));
  EXPECT_TRUE(rejects(
      [&] {
        parse_safetensors(file_bytes(object({entry("a", ok), entry("b", R"("dtype":"F16","shape":[2],"data_offsets":[2,6])")}),
                                     f4 + f4));
      },
      {"tensor 'b'", "overlap the previous tensor, which ends at 4"}));
  EXPECT_TRUE(rejects([&] { parse_safetensors(file_bytes(object({entry("a", ok)}), "")); },
                      {"end past the data region of 0 bytes"}));
  EXPECT_TRUE(rejects([&] { parse_safetensors(file_bytes(object({entry("a", ok)}), f4 + "x")); },
                      {"cover 4 bytes", "data region has 5", "trailing"}));
  EXPECT_TRUE(rejects([] { parse_safetensors(file_bytes(R"({"__metadata__":{"k":1}})")); },
                      {"__metadata__ value of 'k' must be a string"}));
  EXPECT_TRUE(rejects([] { parse_safetensors(file_bytes(R"({"a":3})")); }, {"tensor 'a'", "must be an object"}));
  EXPECT_TRUE(rejects([] { load_safetensors("/nonexistent/file.safetensors"); }, {"cannot open", "/nonexistent/file"}));
  EXPECT_TRUE(rejects([] { load_safetensors("/dev/zero"); }, {"'/dev/zero': not a regular file"}));
}

TEST(Safetensors, SaveRejectsWhatItCannotWrite) {
  StateDict bad;
  bad.emplace("__metadata__", Tensor::zeros({1}));
  EXPECT_TRUE(rejects([&] { serialize_safetensors(bad); }, {"__metadata__"}));
  StateDict undefined;
  undefined.emplace("x", Tensor());
  EXPECT_TRUE(rejects([&] { serialize_safetensors(undefined); }, {"tensor 'x' is undefined"}));
}

}  // namespace
}  // namespace strider
