// The arch-neutral half of the Winograd kernel: the algorithm switch, task geometry, dispatch.
#include "winograd_kernel.hpp"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <string_view>

#include "../core/check.hpp"
#include "../core/parallel.hpp"
#include "../core/simd_batch.hpp"

namespace strider {

namespace {

ConvAlgorithm initial_algorithm() {
  const char* requested = std::getenv("STRIDER_CONV_ALGO");
  if (requested == nullptr || *requested == '\0') return ConvAlgorithm::automatic;
  const std::string_view name = requested;
  if (name == "auto") return ConvAlgorithm::automatic;
  if (name == "direct") return ConvAlgorithm::direct;
  if (name == "winograd") return ConvAlgorithm::winograd;
  fail("STRIDER_CONV_ALGO: '", name, "' is not one of auto, direct, winograd");
}

std::atomic<ConvAlgorithm>& current() {
  static std::atomic<ConvAlgorithm> algorithm{initial_algorithm()};
  return algorithm;
}

}  // namespace

ConvAlgorithm default_conv_algorithm() { return current().load(std::memory_order_relaxed); }
void set_default_conv_algorithm(ConvAlgorithm algorithm) { current().store(algorithm, std::memory_order_relaxed); }

namespace kernels {

bool use_winograd(ConvAlgorithm algorithm, const ConvPass& p) {
  const PackedConvWeights& w = *p.weights;
  if (w.kernel_h != 3 || w.kernel_w != 3 || p.stride_h != 1 || p.stride_w != 1) return false;
  if (algorithm == ConvAlgorithm::automatic) algorithm = default_conv_algorithm();
  if (algorithm != ConvAlgorithm::automatic) return algorithm == ConvAlgorithm::winograd;
  // Measured crossover (bench_ops, compare_onednn): below these the transforms cost more than the
  // multiplications they save. Dilation 4 (shapes.json's c6, 16 sub-lattices of 32x32) gains too, its
  // column sub-lattices interleaved in the tasks' rows. Few channels on 256² (bench_ops, 2 AVX2 threads,
  // direct / Winograd time): 8 -> 8 0.88, 8 -> 12 0.95, 12 -> 8 0.95-1.01, 12 -> 12 1.03-1.04, 8 -> 16
  // 1.02-1.09, 16 -> 8 1.02-1.08, 32 -> 12 (ESPCN's last layer) 1.20-1.29, 32 -> 8 1.23, any -> 3 or 4
  // 0.49-0.82.
  const int64_t lattice_h = p.out_h / p.dilation_h, lattice_w = p.out_w / p.dilation_w;
  const int64_t in = w.in_per_group, out = w.out_per_group;
  return in >= 8 && out >= 8 && in + out >= 24 && lattice_h >= 8 && lattice_w >= 8;
}

WinogradGeometry winograd_geometry(const ConvPass& p) {
  WinogradGeometry g{};
  g.lattices_h = std::min(p.dilation_h, p.out_h);
  g.lattices_w = std::min(p.dilation_w, p.out_w);
  g.tiles_h = ceil_div(ceil_div(p.out_h, p.dilation_h), 4);
  g.tiles_w = ceil_div(ceil_div(p.out_w, p.dilation_w), 4);
  // About 32 tiles per task: enough to keep the GEMMs' weights in cache while they are reused, few
  // enough for the transformed inputs to stay in L2.
  constexpr int64_t task_tiles = 32;
  const int64_t row = g.tiles_w * g.lattices_w;  // at most out_w / 4 + lattices_w: no overflow
  g.col_blocks = ceil_div(row, task_tiles);
  g.row_tiles = ceil_div(row, g.col_blocks);
  g.task_rows = g.col_blocks > 1 ? 1 : std::clamp<int64_t>(task_tiles / g.row_tiles, 1, g.tiles_h);
  g.row_blocks = ceil_div(g.tiles_h, g.task_rows);
  return g;
}

int64_t winograd_columns(const WinogradGeometry& geo) { return 4 * (geo.row_tiles + geo.lattices_w); }

int64_t winograd_scratch_floats(const WinogradWeights& w, const WinogradGeometry& geo) {
  const int64_t tiles = geo.tiles();
  // Transformed inputs, one channel block's products (at most 64 channels), the phase-split input rows
  // and the transform's intermediate rows; widths at the widest vector, 16 lanes.
  return 36 * (w.in_per_group * (tiles + 16) + 16) + 36 * tiles * 64 +
         (4 * geo.task_rows + 2) * 4 * (geo.row_tiles + 16 + geo.lattices_w) + 36 * 16;
}

void run_winograd_pass(const ConvPass& pass, const WinogradWeights& w) {
  const WinogradGeometry geo = winograd_geometry(pass);
  const int64_t tasks =
      pass.batch * w.groups * geo.lattices_h * geo.row_blocks * geo.col_blocks;
  if (tasks == 0) return;
  const auto floats = static_cast<std::size_t>(winograd_scratch_floats(w, geo));
  const auto columns = static_cast<std::size_t>(winograd_columns(geo));
  dispatch([&](auto arch) {
    parallel_for(0, tasks, [&](int64_t begin, int64_t end) {
      const Workspace ws = thread_workspace(floats, columns);
      run_winograd_tasks<decltype(arch)>(pass, w, geo, begin, end, ws.panel, ws.offsets);
    });
  });
}

}  // namespace kernels
}  // namespace strider
