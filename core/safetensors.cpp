#include "safetensors.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>
#include <span>

#include "check.hpp"
#include "files.hpp"

// JSON: nlohmann/json (header-only, linked PRIVATE and only at build time: the public headers do not
// include it, so an installed Strider needs nothing). A well-fuzzed parser beats a hand-written one for a
// loader that reads untrusted files; its parse callback lets us reject duplicate keys (it keeps the last
// silently) and nesting deeper than the format's three levels before the tree is built.

namespace strider {

static_assert(std::endian::native == std::endian::little, "the safetensors reader assumes a little-endian host");

namespace {

using nlohmann::json;

struct DtypeInfo {
  std::string_view name;
  uint64_t size;
};
// Every dtype of the format: a file using any of these is valid; only the first three become Tensors.
constexpr std::array<DtypeInfo, 15> dtypes = {{{"F32", 4}, {"F16", 2}, {"BF16", 2}, {"F64", 8}, {"I64", 8},
                                               {"I32", 4}, {"I16", 2}, {"I8", 1}, {"U8", 1}, {"U16", 2},
                                               {"U32", 4}, {"U64", 8}, {"BOOL", 1}, {"F8_E4M3", 1},
                                               {"F8_E5M2", 1}}};

struct Entry {
  std::string name;
  std::string dtype;
  std::vector<int64_t> shape;
  uint64_t begin = 0;
  uint64_t end = 0;
};

// The header's JSON, with duplicate keys and nesting beyond object > entry > shape rejected while parsing.
json parse_header(std::string_view text, std::string_view file) {
  std::set<std::string> top_keys, entry_keys;
  const json::parser_callback_t callback = [&](int depth, json::parse_event_t event, json& parsed) {
    if ((event == json::parse_event_t::object_start || event == json::parse_event_t::array_start) && depth >= 3)
      fail("load_safetensors: ", file, ": the header nests deeper than the format allows (depth ", depth + 1, ")");
    if (event == json::parse_event_t::object_start && depth == 1) entry_keys.clear();
    if (event == json::parse_event_t::key) {
      std::set<std::string>& seen = depth == 1 ? top_keys : entry_keys;
      const std::string key = parsed.get<std::string>();
      check(seen.insert(key).second, "load_safetensors: ", file, ": the header has the key '", key, "' twice");
    }
    return true;
  };
  try {
    return json::parse(text.begin(), text.end(), callback);
  } catch (const json::exception& e) {
    fail("load_safetensors: ", file, ": the header is not valid JSON (", e.what(), ")");
  }
}

uint64_t unsigned_value(const json& v, std::string_view file, const std::string& tensor, const char* what) {
  check(v.is_number_unsigned(), "load_safetensors: ", file, ": tensor '", tensor, "': ", what,
        " must be non-negative integers, but got ", v.dump());
  return v.get<uint64_t>();
}

Entry parse_entry(const std::string& name, const json& value, std::string_view file) {
  check(value.is_object() && value.size() == 3 && value.contains("dtype") && value.contains("shape") &&
            value.contains("data_offsets"),
        "load_safetensors: ", file, ": tensor '", name,
        "' must be an object with exactly the keys dtype, shape and data_offsets, but got ", value.dump());
  Entry e;
  e.name = name;
  const json& dtype = value["dtype"];
  check(dtype.is_string(), "load_safetensors: ", file, ": tensor '", name, "': dtype must be a string");
  e.dtype = dtype.get<std::string>();
  const auto info = std::find_if(dtypes.begin(), dtypes.end(), [&](const DtypeInfo& d) { return d.name == e.dtype; });
  check(info != dtypes.end(), "load_safetensors: ", file, ": tensor '", name, "': unknown dtype '", e.dtype, "'");

  const json& shape = value["shape"];
  check(shape.is_array(), "load_safetensors: ", file, ": tensor '", name, "': shape must be an array");
  uint64_t numel = 1;
  for (const json& d : shape) {
    const uint64_t dim = unsigned_value(d, file, name, "shape entries");
    check(dim <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) && (dim == 0 || numel <= UINT64_MAX / dim),
          "load_safetensors: ", file, ": tensor '", name, "': the number of elements of shape ", shape.dump(),
          " overflows");
    numel *= dim;
    e.shape.push_back(static_cast<int64_t>(dim));
  }
  check(numel <= UINT64_MAX / info->size, "load_safetensors: ", file, ": tensor '", name, "': the byte count of shape ",
        shape.dump(), " overflows");

  const json& offsets = value["data_offsets"];
  check(offsets.is_array() && offsets.size() == 2, "load_safetensors: ", file, ": tensor '", name,
        "': data_offsets must be [begin, end], but got ", offsets.dump());
  e.begin = unsigned_value(offsets[0], file, name, "data_offsets");
  e.end = unsigned_value(offsets[1], file, name, "data_offsets");
  check(e.begin <= e.end, "load_safetensors: ", file, ": tensor '", name, "': data_offsets ", offsets.dump(),
        " end before they begin");
  check(e.end - e.begin == numel * info->size, "load_safetensors: ", file, ": tensor '", name, "': data_offsets ",
        offsets.dump(), " hold ", e.end - e.begin, " bytes, but dtype ", e.dtype, " with shape ", shape.dump(),
        " needs ", numel * info->size);
  return e;
}

// The byte ranges, in offset order, must tile [0, data_size): no hole, no overlap, nothing outside.
void check_coverage(std::vector<const Entry*> entries, uint64_t data_size, std::string_view file) {
  std::sort(entries.begin(), entries.end(),
            [](const Entry* a, const Entry* b) { return std::tie(a->begin, a->end) < std::tie(b->begin, b->end); });
  uint64_t covered = 0;
  for (const Entry* e : entries) {
    check(e->begin >= covered, "load_safetensors: ", file, ": tensor '", e->name, "': data_offsets [", e->begin,
          ", ", e->end, "] overlap the previous tensor, which ends at ", covered);
    check(e->begin == covered, "load_safetensors: ", file, ": tensor '", e->name, "': data_offsets [", e->begin,
          ", ", e->end, "] leave a hole after byte ", covered, " (tensors must be contiguous)");
    check(e->end <= data_size, "load_safetensors: ", file, ": tensor '", e->name, "': data_offsets [", e->begin, ", ",
          e->end, "] end past the data region of ", data_size, " bytes");
    covered = e->end;
  }
  check(covered == data_size, "load_safetensors: ", file, ": the tensors cover ", covered,
        " bytes, but the data region has ", data_size, " (trailing bytes)");
}

template <class Bits>
Bits read_bits(const char* p) {
  Bits bits;
  std::memcpy(&bits, p, sizeof bits);
  return bits;
}

Tensor to_tensor(const Entry& e, std::string_view data) {
  Tensor t{Shape(std::span<const int64_t>(e.shape))};
  const char* p = data.data() + e.begin;
  const int64_t n = t.numel();
  if (e.dtype == "F32") {
    std::memcpy(t.data(), p, static_cast<std::size_t>(n) * 4);
  } else if (e.dtype == "F16") {
    for (int64_t i = 0; i < n; ++i) t[i] = half_to_float(read_bits<uint16_t>(p + 2 * i));
  } else {
    for (int64_t i = 0; i < n; ++i) t[i] = bfloat16_to_float(read_bits<uint16_t>(p + 2 * i));
  }
  return t;
}

}  // namespace

float half_to_float(uint16_t bits) {
  const uint32_t sign = static_cast<uint32_t>(bits & 0x8000u) << 16;
  const uint32_t exponent = (bits >> 10) & 0x1fu, mantissa = bits & 0x3ffu;
  if (exponent == 0) {  // zero or subnormal: mantissa · 2^-24
    const float magnitude = std::ldexp(static_cast<float>(mantissa), -24);
    return sign ? -magnitude : magnitude;
  }
  // Inf/NaN keep an all-ones exponent; normal numbers rebias 15 -> 127.
  const uint32_t f_exponent = exponent == 0x1f ? 0xffu : exponent + 112;
  return std::bit_cast<float>(sign | (f_exponent << 23) | (mantissa << 13));
}

float bfloat16_to_float(uint16_t bits) { return std::bit_cast<float>(static_cast<uint32_t>(bits) << 16); }

Safetensors parse_safetensors(std::string_view bytes, std::string_view name) {
  check(bytes.size() >= 8, "load_safetensors: ", name, ": the file has ", bytes.size(),
        " bytes, fewer than the 8-byte header length");
  const uint64_t header_size = read_bits<uint64_t>(bytes.data());
  check(header_size <= safetensors_max_header_size, "load_safetensors: ", name, ": header length ", header_size,
        " exceeds the limit of ", safetensors_max_header_size, " bytes");
  check(header_size <= bytes.size() - 8, "load_safetensors: ", name, ": header length ", header_size,
        " exceeds the ", bytes.size() - 8, " bytes after the length field");
  const std::string_view text = bytes.substr(8, header_size);
  check(!text.empty() && text[0] == '{', "load_safetensors: ", name, ": the header must start with '{'");
  const json header = parse_header(text, name);
  check(header.is_object(), "load_safetensors: ", name, ": the header must be a JSON object");

  Safetensors result;
  std::vector<Entry> entries;
  for (const auto& [key, value] : header.items()) {
    if (key == "__metadata__") {
      check(value.is_object(), "load_safetensors: ", name, ": __metadata__ must be an object of strings");
      for (const auto& [meta_key, meta_value] : value.items()) {
        check(meta_value.is_string(), "load_safetensors: ", name, ": __metadata__ value of '", meta_key,
              "' must be a string, but got ", meta_value.dump());
        result.metadata[meta_key] = meta_value.get<std::string>();
      }
    } else {
      entries.push_back(parse_entry(key, value, name));
    }
  }
  const std::string_view data = bytes.substr(8 + header_size);
  std::vector<const Entry*> pointers;
  for (const Entry& e : entries) pointers.push_back(&e);
  check_coverage(std::move(pointers), data.size(), name);

  for (Entry& e : entries) {
    const bool float_dtype = e.dtype == "F32" || e.dtype == "F16" || e.dtype == "BF16";
    const auto rank = static_cast<int>(e.shape.size());
    if (float_dtype && rank >= 1 && rank <= Shape::max_rank) {
      result.tensors.emplace(e.name, to_tensor(e, data));
    } else {
      std::string reason = float_dtype ? "rank " + std::to_string(rank) + " is not supported (Tensor rank is 1 to 4)"
                                       : "dtype " + e.dtype + " is not supported (F32, F16 and BF16 are)";
      result.unsupported.emplace(e.name, UnsupportedTensor{e.dtype, std::move(e.shape), std::move(reason)});
    }
  }
  return result;
}

Safetensors load_safetensors(const std::filesystem::path& path) {
  constexpr std::string_view context = "load_safetensors: cannot open";
  return parse_safetensors(read_file(path, regular_file_size(path, context), context), path.string());
}

std::string serialize_safetensors(const StateDict& tensors, const std::map<std::string, std::string>& metadata) {
  json header = json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  uint64_t offset = 0;
  for (const auto& [name, tensor] : tensors) {
    check(name != "__metadata__", "save_safetensors: a tensor cannot be named '__metadata__'");
    check(tensor.defined(), "save_safetensors: tensor '", name, "' is undefined");
    const uint64_t bytes = static_cast<uint64_t>(tensor.numel()) * 4;
    header[name] = {{"dtype", "F32"},
                    {"shape", std::vector<int64_t>(tensor.shape().begin(), tensor.shape().end())},
                    {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');  // 8 + header size stays a multiple of 8

  std::string out(8, '\0');
  const uint64_t header_size = text.size();
  std::memcpy(out.data(), &header_size, 8);
  out += text;
  out.reserve(out.size() + offset);
  for (const auto& [name, tensor] : tensors)
    out.append(reinterpret_cast<const char*>(tensor.data()), static_cast<std::size_t>(tensor.numel()) * 4);
  return out;
}

void save_safetensors(const std::filesystem::path& path, const StateDict& tensors,
                      const std::map<std::string, std::string>& metadata) {
  write_file_atomically(path, {serialize_safetensors(tensors, metadata)}, "save_safetensors: cannot write");
}

}  // namespace strider
