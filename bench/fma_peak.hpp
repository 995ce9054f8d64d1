#pragma once
// The machine's peak floating-point rate, measured: what "% of peak" in the benchmarks' tables divides by.

// GFLOP/s of fused multiply-adds on `threads` threads at once, each running independent chains at the
// widest vectors the CPU has (AVX-512, else AVX2 + FMA; 0 without either). The best of a few runs.
double fma_peak_gflops(int threads);
