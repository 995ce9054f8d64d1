#include "simd.hpp"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <string>

#include <xsimd/xsimd.hpp>

#include "check.hpp"

namespace strider {

namespace {

constexpr std::string_view names[] = {"scalar", "sse4.2", "avx2", "avx512"};

SimdLevel best_available() { return available_simd_levels().back(); }

SimdLevel initial_level() {
  const char* requested = std::getenv("STRIDER_SIMD");
  if (requested == nullptr || *requested == '\0') return best_available();
  for (SimdLevel level : available_simd_levels())
    if (simd_level_name(level) == requested) return level;
  // A bad environment value must not silently fall back: the user asked for a specific level.
  fail("STRIDER_SIMD: '", requested, "' is not an available level on this CPU (available: ",
       [] {
         std::string list;
         for (SimdLevel level : available_simd_levels()) list += (list.empty() ? "" : ", ") + std::string(simd_level_name(level));
         return list;
       }(),
       ")");
}

std::atomic<SimdLevel>& current() {
  static std::atomic<SimdLevel> level{initial_level()};
  return level;
}

}  // namespace

std::string_view simd_level_name(SimdLevel level) { return names[static_cast<int>(level)]; }

std::vector<SimdLevel> available_simd_levels() {
  const auto cpu = xsimd::available_architectures();
  std::vector<SimdLevel> levels{SimdLevel::scalar};
  if (cpu.sse4_2) levels.push_back(SimdLevel::sse4_2);
  if (cpu.fma3_avx2) levels.push_back(SimdLevel::avx2);
  if (cpu.avx512f && cpu.fma3_avx2) levels.push_back(SimdLevel::avx512);
  return levels;
}

SimdLevel simd_level() { return current().load(std::memory_order_relaxed); }

void set_simd_level(SimdLevel level) {
  const std::vector<SimdLevel> levels = available_simd_levels();
  check(std::find(levels.begin(), levels.end(), level) != levels.end(), "set_simd_level: level '",
        simd_level_name(level), "' is not available on this CPU");
  current().store(level, std::memory_order_relaxed);
}

}  // namespace strider
