#include "npy.hpp"

#include <bit>
#include <cctype>
#include <cstring>
#include <sstream>
#include <string>
#include <vector>

#include "check.hpp"
#include "files.hpp"

namespace strider {

static_assert(std::endian::native == std::endian::little, "the .npy reader assumes a little-endian host");

namespace {

constexpr std::string_view magic = "\x93NUMPY";

// The header is a Python dict literal: {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
// This reads exactly that grammar: string keys; values that are strings, True/False or int tuples.
class HeaderParser {
 public:
  HeaderParser(std::string_view text, std::string_view name) : text_(text), name_(name) {}

  void parse(std::string& descr, bool& fortran_order, std::vector<int64_t>& shape) {
    bool has_descr = false, has_order = false, has_shape = false;
    expect('{');
    while (skip_space() != '}') {
      const std::string key = string_literal();
      expect(':');
      if (key == "descr") {
        descr = string_literal();
        has_descr = true;
      } else if (key == "fortran_order") {
        fortran_order = boolean();
        has_order = true;
      } else if (key == "shape") {
        shape = int_tuple();
        has_shape = true;
      } else {
        error("unexpected key '" + key + "'");
      }
      if (skip_space() == ',') ++pos_;
    }
    check(has_descr && has_order && has_shape, "load_npy: ", name_,
          ": the header must have the keys 'descr', 'fortran_order' and 'shape'");
  }

 private:
  [[noreturn]] void error(const std::string& what) const {
    fail("load_npy: ", name_, ": malformed header (", what, " at offset ", pos_, ")");
  }
  char skip_space() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
    if (pos_ == text_.size()) error("unexpected end");
    return text_[pos_];
  }
  void expect(char c) {
    if (skip_space() != c) error(std::string("expected '") + c + "'");
    ++pos_;
  }
  std::string string_literal() {
    const char quote = skip_space();
    if (quote != '\'' && quote != '"') error("expected a string");
    const std::size_t close = text_.find(quote, pos_ + 1);
    if (close == std::string_view::npos) error("unterminated string");
    std::string s(text_.substr(pos_ + 1, close - pos_ - 1));
    pos_ = close + 1;
    return s;
  }
  bool boolean() {
    skip_space();
    for (const auto& [word, value] : {std::pair{std::string_view("True"), true}, {"False", false}}) {
      if (text_.substr(pos_, word.size()) == word) {
        pos_ += word.size();
        return value;
      }
    }
    error("expected True or False");
  }
  std::vector<int64_t> int_tuple() {
    std::vector<int64_t> values;
    expect('(');
    while (skip_space() != ')') {
      if (!std::isdigit(static_cast<unsigned char>(text_[pos_]))) error("expected a non-negative integer");
      int64_t v = 0;
      while (pos_ < text_.size() && std::isdigit(static_cast<unsigned char>(text_[pos_]))) {
        if (v > (INT64_MAX - 9) / 10) error("dimension too large");
        v = v * 10 + (text_[pos_++] - '0');
      }
      values.push_back(v);
      if (values.size() > 32) error("too many dimensions");
      if (skip_space() == ',') ++pos_;
      else if (text_[pos_] != ')') error("expected ',' or ')'");
    }
    ++pos_;
    return values;
  }

  std::string_view text_;
  std::string_view name_;
  std::size_t pos_ = 0;
};

uint32_t read_le(std::string_view bytes, std::size_t offset, int width) {
  uint32_t v = 0;
  for (int i = width - 1; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(bytes[offset + i]);
  return v;
}

}  // namespace

Tensor parse_npy(std::string_view bytes, std::string_view name) {
  check(bytes.size() >= 10 && bytes.substr(0, magic.size()) == magic, "load_npy: ", name,
        ": not a .npy file (the magic string \\x93NUMPY is missing)");
  const int major = static_cast<unsigned char>(bytes[6]);
  check(major >= 1 && major <= 3, "load_npy: ", name, ": unsupported format version ", major,
        " (versions 1 to 3 are supported)");
  const int length_width = major == 1 ? 2 : 4;
  check(bytes.size() >= 8u + length_width, "load_npy: ", name, ": truncated header");
  const std::size_t header_start = 8 + length_width;
  const std::size_t header_length = read_le(bytes, 8, length_width);
  check(header_length <= bytes.size() - header_start, "load_npy: ", name, ": header length ", header_length,
        " exceeds the file size ", bytes.size());

  std::string descr;
  bool fortran_order = false;
  std::vector<int64_t> dims;
  HeaderParser(bytes.substr(header_start, header_length), name).parse(descr, fortran_order, dims);

  check(descr == "<f4" || descr == "<f8", "load_npy: ", name, ": dtype '", descr,
        "' is not supported (expected little-endian float32 '<f4' or float64 '<f8')");
  check(!fortran_order, "load_npy: ", name, ": Fortran-order arrays are not supported (save a C-contiguous array)");
  check(dims.size() >= 1 && dims.size() <= 4, "load_npy: ", name, ": rank ", dims.size(),
        " is not supported (Tensor rank is 1 to 4)");
  const Shape shape{std::span<const int64_t>(dims)};
  const std::size_t item = descr == "<f4" ? 4 : 8;
  const std::string_view data = bytes.substr(header_start + header_length);
  const auto numel = static_cast<std::size_t>(shape.numel());
  // Before allocating: a 128-byte file whose header claims a huge shape is an error, not a bad_alloc.
  check(data.size() / item == numel && data.size() % item == 0, "load_npy: ", name, ": shape ", shape, " needs ",
        numel * item, " data bytes, but the file has ", data.size());
  Tensor tensor{shape};
  if (item == 4) {
    std::memcpy(tensor.data(), data.data(), data.size());
  } else {
    for (std::size_t i = 0; i < numel; ++i) {
      double v;
      std::memcpy(&v, data.data() + i * 8, 8);
      tensor[static_cast<int64_t>(i)] = static_cast<float>(v);
    }
  }
  return tensor;
}

Tensor load_npy(const std::filesystem::path& path) {
  constexpr std::string_view context = "load_npy: cannot open";
  return parse_npy(read_file(path, regular_file_size(path, context), context), path.string());
}

void save_npy(const std::filesystem::path& path, const Tensor& tensor) {
  check(tensor.defined(), "save_npy: '", path.string(), "': the tensor is undefined");
  std::ostringstream dict;
  dict << "{'descr': '<f4', 'fortran_order': False, 'shape': (";
  for (int axis = 0; axis < tensor.rank(); ++axis) dict << (axis ? ", " : "") << tensor.size(axis);
  dict << (tensor.rank() == 1 ? ",), }" : "), }");
  std::string header = dict.str();
  // Version 1.0: magic (6) + version (2) + length (2) + header padded with spaces and ending in '\n'
  // to a multiple of 64 bytes.
  header.append(63 - (10 + header.size()) % 64, ' ');
  header.push_back('\n');

  const char version_and_length[4] = {1, 0, static_cast<char>(header.size() & 0xff),
                                      static_cast<char>(header.size() >> 8)};
  write_file_atomically(path,
                        {magic, {version_and_length, 4}, header,
                         {reinterpret_cast<const char*>(tensor.data()), static_cast<std::size_t>(tensor.numel()) * 4}},
                        "save_npy: cannot write");
}

}  // namespace strider
