#include "fma_peak.hpp"

#include <immintrin.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

namespace {

// Twelve independent chains: two FMA pipes of 4 cycles' latency need eight in flight.
constexpr int chains = 12;
constexpr long iterations = 20'000'000;

// The chains' results go to `sink`, so that they are computed; unrolled, they stay in registers.
std::atomic<float> sink;

[[gnu::target("avx512f")]] float run_avx512() {
  __m512 a[chains];
  const __m512 b = _mm512_set1_ps(0.999f), c = _mm512_set1_ps(1e-3f);
  for (int i = 0; i < chains; ++i) a[i] = _mm512_set1_ps(static_cast<float>(i));
  for (long k = 0; k < iterations; ++k)
#pragma GCC unroll 12
    for (int i = 0; i < chains; ++i) a[i] = _mm512_fmadd_ps(a[i], b, c);
  alignas(64) float lanes[16];
  float sum = 0;
  for (int i = 0; i < chains; ++i) {
    _mm512_store_ps(lanes, a[i]);  // not _mm512_reduce_add_ps: GCC 12 warns inside its own header
    for (float v : lanes) sum += v;
  }
  return sum;
}

[[gnu::target("avx2,fma")]] float run_avx2() {
  __m256 a[chains];
  const __m256 b = _mm256_set1_ps(0.999f), c = _mm256_set1_ps(1e-3f);
  for (int i = 0; i < chains; ++i) a[i] = _mm256_set1_ps(static_cast<float>(i));
  for (long k = 0; k < iterations; ++k)
#pragma GCC unroll 12
    for (int i = 0; i < chains; ++i) a[i] = _mm256_fmadd_ps(a[i], b, c);
  alignas(32) float lanes[8];
  float sum = 0;
  for (int i = 0; i < chains; ++i) {
    _mm256_store_ps(lanes, a[i]);
    for (float v : lanes) sum += v;
  }
  return sum;
}

}  // namespace

double fma_peak_gflops(int threads) {
  const bool avx512 = __builtin_cpu_supports("avx512f");
  if (!avx512 && !(__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))) return 0;
  const int lanes = avx512 ? 16 : 8;
  double best = 0;
  for (int round = 0; round < 3; ++round) {
    const auto start = std::chrono::steady_clock::now();
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t)
      workers.emplace_back([avx512] { sink.store(avx512 ? run_avx512() : run_avx2(), std::memory_order_relaxed); });
    for (auto& w : workers) w.join();
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    best = std::max(best, 2.0 * lanes * chains * static_cast<double>(iterations) * threads / seconds / 1e9);
  }
  return best;
}
