#pragma once
// Run-time choice of the instruction set the fast kernels use. One binary carries kernels for every
// level; the best level the CPU supports is used unless the STRIDER_SIMD environment variable
// (scalar | sse4.2 | avx2 | avx512) or set_simd_level() asks for a lower one — so tests can run every
// level on one machine.
#include <string_view>
#include <vector>

namespace strider {

enum class SimdLevel { scalar, sse4_2, avx2, avx512 };  // avx2 means AVX2 + FMA; avx512 means AVX-512F

std::string_view simd_level_name(SimdLevel level);
// The levels this CPU can run, lowest first (scalar always).
std::vector<SimdLevel> available_simd_levels();
// The level the kernels use now.
SimdLevel simd_level();
// Forces a level (process-wide); it must be available. Not meant to be changed while operators run.
void set_simd_level(SimdLevel level);

}  // namespace strider
