// The arch-neutral half of the convolution kernel: task geometry, per-thread workspace, dispatch.
#include "conv_kernel.hpp"

#include <tbb/enumerable_thread_specific.h>

#include <vector>

#include "../core/memory.hpp"
#include "../core/parallel.hpp"
#include "../core/simd_batch.hpp"
#include "depthwise_kernel.hpp"
#include "panel.hpp"
#include "window_gather.hpp"

namespace strider::kernels {

PanelSource panel_source(const ConvPass& p) {
  const PackedConvWeights& w = *p.weights;
  PanelSource s{p.input, w.in_per_group, p.in_h, p.in_w, w.kernel_h, w.kernel_w, p.stride_h, p.stride_w,
                p.dilation_h, p.dilation_w, p.pad_top, p.pad_left, p.padding_mode, 0.0f};
  // A narrow image's panel rows are as wide as its rows, so that more of them fit the panel's budget
  // (AVX2: t4's 32-column phases 1.80 -> 1.71 ms). Not past 64 columns: at 128 (SRVGGNetCompact's and
  // RRDBNet's layers) the larger row blocks made those networks 5-10 % slower.
  if (p.out_w <= 64) s.columns = (p.out_w + 15) / 16 * 16;
  s.rows = panel_row_block(s, p.out_h);
  // At least 16 tasks where the image has the rows for them (a constant, so the geometry does not depend
  // on the thread count): a first layer's 16-row panels left two threads 7 tasks to share (c10).
  constexpr int64_t min_tasks = 16;
  const int64_t others = p.batch * w.groups * ceil_div(p.out_w, tile_columns);
  if (others < min_tasks)
    s.rows = std::min(s.rows, std::max<int64_t>(1, ceil_div(p.out_h, ceil_div(min_tasks, others))));
  return s;
}

namespace {

int64_t task_count(const ConvPass& pass) {
  const int64_t tiles = (pass.out_w + tile_columns - 1) / tile_columns;
  const int64_t row_blocks = ceil_div(pass.out_h, panel_source(pass).rows);
  return pass.batch * pass.weights->groups * row_blocks * tiles;
}

}  // namespace

int64_t panel_floats(const ConvPass& pass) {
  if (pass.weights->k() == 0) return 0;  // a transposed convolution's phase with no taps: bias only
  const PanelSource source = panel_source(pass);
  // Then the sums a block's channels keep between chunks of K (run_blocks in ops/conv_kernel_simd.cpp).
  return panel_rows(source) * panel_width(source) + pass.weights->block * tile_columns;
}

Workspace thread_workspace(std::size_t panel_floats, std::size_t offsets) {
  struct Storage {
    detail::LineVector<float> panel;
    std::vector<int64_t> offsets;
  };
  static tbb::enumerable_thread_specific<Storage> storages;
  Storage& s = storages.local();
  if (s.panel.size() < panel_floats) s.panel.resize(panel_floats);
  if (s.offsets.size() < offsets) s.offsets.resize(offsets);
  return {s.panel.data(), s.offsets.data()};
}

namespace {

// Every task of `passes` (one pass, or passes reading the same windows), in parallel.
void run_tasks(std::span<const ConvPass> passes) {
  const ConvPass& pass = passes.front();
  const int64_t tasks = task_count(pass);
  if (tasks == 0) return;
  const auto panel_size = static_cast<std::size_t>(panel_floats(pass));
  // Once per pass, not per range of tasks: with a division per tap they took 2-3 % of t4's time.
  const PackedConvWeights& weights = *pass.weights;
  std::vector<int64_t> offsets;
  offsets.reserve(static_cast<std::size_t>(weights.k()));
  const PanelSource source = panel_source(pass);
  const int64_t width = panel_width(source);
  for (int64_t c = 0; c < weights.in_per_group; ++c)
    for (int64_t a = 0; a < weights.kernel_h; ++a)
      for (int64_t b = 0; b < weights.kernel_w; ++b) offsets.push_back(panel_offset(source, width, c, a, b));
  dispatch([&](auto arch) {
    parallel_for(0, tasks, [&](int64_t begin, int64_t end) {
      run_conv_tasks<decltype(arch)>(passes, begin, end, thread_workspace(panel_size, 0).panel, offsets.data());
    });
  });
}

// Whether `passes` read the same windows of the same input, with outputs of one size, on the generic
// kernel: then one panel serves them all. Stride 1, so that no window is gathered (window_gather.hpp).
bool same_windows(std::span<const ConvPass> passes) {
  const ConvPass& f = passes.front();
  const PackedConvWeights& fw = *f.weights;
  for (const ConvPass& p : passes) {
    const PackedConvWeights& w = *p.weights;
    if (p.input != f.input || p.batch != f.batch || p.in_h != f.in_h || p.in_w != f.in_w || p.out_h != f.out_h ||
        p.out_w != f.out_w || p.pad_top != f.pad_top || p.pad_left != f.pad_left || p.stride_h != 1 ||
        p.stride_w != 1 || p.dilation_h != f.dilation_h || p.dilation_w != f.dilation_w ||
        p.padding_mode != f.padding_mode || w.groups != fw.groups || w.in_per_group != fw.in_per_group ||
        w.kernel_h != fw.kernel_h || w.kernel_w != fw.kernel_w || w.block != fw.block || w.k() == 0 ||
        is_depthwise3x3(p))
      return false;
  }
  return f.out_h > 0 && f.out_w > 0 && f.batch > 0;
}

}  // namespace

void run_conv_pass(const ConvPass& original) {
  if (original.out_h <= 0 || original.out_w <= 0 || original.batch == 0) return;
  // Bound the panel by what the pass computes (window_gather.hpp).
  ConvPass pass = original;
  const PackedConvWeights& weights = *pass.weights;
  WindowAxis h = with_unit_stride_if_single(
      {pass.in_h, pass.out_h, weights.kernel_h, pass.stride_h, pass.pad_top, pass.dilation_h});
  WindowAxis w = with_unit_stride_if_single(
      {pass.in_w, pass.out_w, weights.kernel_w, pass.stride_w, pass.pad_left, pass.dilation_w});
  const Tensor gathered = weights.k() == 0 ? Tensor()
                                           : gather_sparse_windows(pass.input, pass.batch * weights.groups *
                                                                                   weights.in_per_group,
                                                                   h, w, pass.padding_mode, 0.0f);
  if (gathered.defined()) pass.input = gathered.data();
  pass.in_h = h.in, pass.stride_h = h.stride, pass.pad_top = h.pad, pass.dilation_h = h.dilation;
  pass.in_w = w.in, pass.stride_w = w.stride, pass.pad_left = w.pad, pass.dilation_w = w.dilation;

  if (is_depthwise3x3(pass)) return run_depthwise3x3_pass(pass);
  run_tasks({&pass, 1});
}

void run_conv_passes(std::span<const ConvPass> passes) {
  if (passes.size() > 1 && same_windows(passes)) return run_tasks(passes);
  for (const ConvPass& pass : passes) run_conv_pass(pass);
}

}  // namespace strider::kernels
