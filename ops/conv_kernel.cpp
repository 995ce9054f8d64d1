// The arch-neutral half of the convolution kernel: task geometry, per-thread workspace, dispatch.
#include "conv_kernel.hpp"

#include <tbb/enumerable_thread_specific.h>

#include <numeric>
#include <vector>

#include "../core/memory.hpp"
#include "../core/parallel.hpp"
#include "../core/simd_batch.hpp"
#include "depthwise_kernel.hpp"
#include "panel.hpp"
#include "window_gather.hpp"

namespace strider::kernels {

PanelSource panel_source(std::span<const ConvPass> passes) {
  const ConvPass& p = passes.front();
  const PackedConvWeights& w = *p.weights;
  PanelSource s{p.input, w.in_per_group, p.in_h, p.in_w, w.kernel_h, w.kernel_w, p.stride_h, p.stride_w,
                p.dilation_h, p.dilation_w, p.pad_top, p.pad_left, p.padding_mode, 0.0f};
  // Passes reading the same rows (run_conv_passes, undilated) share a panel over the union of their columns:
  // pass q reads columns pad_left - q.pad_left + [0, q's kernel_w) of it.
  for (const ConvPass& q : passes) s.pad_left = std::max(s.pad_left, q.pad_left);
  for (const ConvPass& q : passes) s.kernel_w = std::max(s.kernel_w, s.pad_left - q.pad_left + q.weights->kernel_w);
  // A narrow image's panel rows are as wide as its rows, so that more of them fit the panel's budget
  // (AVX2: t4's 32-column phases 1.80 -> 1.71 ms). c2's 128 columns: 3 output rows per panel instead of 1,
  // copying each input row 1.17 times instead of 1.5 (one AVX-512 thread: 3.67 -> 3.40 ms, best of 4).
  // This was held to 64 columns when SRVGGNetCompact's and RRDBNet's 3x3 layers ran here, not in Winograd:
  // their larger row blocks had made those networks 5-10 % slower.
  if (p.out_w < tile_columns) {
    s.columns = (p.out_w + 15) / 16 * 16;
  } else if (p.out_h == 1) {
    // One row (a pointwise layer run flat, see run_conv_pass) splits only by columns: into an even number
    // of tiles where 144 or 96 columns (whole AVX-512 register tiles of 48) make one, which two threads
    // share evenly. c7's 3136 pixels made 17 tiles of 192; 20 of 160 ran a third of them as 8 x 2 tiles.
    for (const int64_t width : {tile_columns, int64_t{144}, int64_t{96}})
      if (ceil_div(p.out_w, width) % 2 == 0) {
        s.columns = width;
        break;
      }
  }
  s.rows = panel_row_block(s, p.out_h);
  // At least 16 tasks where the image has the rows for them (a constant, so the geometry does not depend
  // on the thread count): a first layer's 16-row panels left two threads 7 tasks to share (c10).
  constexpr int64_t min_tasks = 16;
  const int64_t others = p.batch * w.groups * ceil_div(p.out_w, s.columns);
  if (others < min_tasks)
    s.rows = std::min(s.rows, std::max<int64_t>(1, ceil_div(p.out_h, ceil_div(min_tasks, others))));
  return s;
}

int64_t panel_floats(std::span<const ConvPass> passes) {
  const PackedConvWeights& w = *passes.front().weights;
  if (w.k() == 0) return 0;  // a transposed convolution's phase with no taps: bias only
  const PanelSource source = panel_source(passes);
  // Then the sums a block's channels keep between chunks of K, and a column phase's tiles waiting for
  // their pair (run_blocks and interleaves in ops/conv_kernel_simd.cpp).
  return panel_rows(source) * panel_width(source) + 2 * w.block * tile_columns;
}

// Taps per pass of a block over a tile. The panel columns a tile's taps read, with the block's weights
// for them, must stay in L1 while the block's slices and then its next tile reuse them. Past ~100 panel
// rows they did not, and the microkernel waited on L2: such a K runs in chunks of at most 128 taps, each
// slice's sums kept between chunks (SliceTarget::partial). Measured on AVX2, 2 threads (bench/RESULTS.md):
// c2 and down (192 rows) -11..-12 %, mid1 (192) -8 %, up (128) -5..-13 %; body (96 rows) lost 3 % to the
// chunks' loads and stores. A tile read in place (reads_input_directly) runs K whole: c7's chunks cost more
// in partial sums than they saved (one AVX-512 thread: 2.08 -> 1.99 ms without them).
int64_t k_chunk(const ConvPass& p, bool in_place) {
  const PackedConvWeights& w = *p.weights;
  // Panel rows the taps read: per input channel and kernel row, one per stride phase the columns reach.
  const int64_t phases = std::min(w.kernel_w, p.stride_w / std::gcd(p.dilation_w, p.stride_w));
  constexpr int64_t max_rows = 96, max_taps = 128;
  const int64_t k = w.k();
  if (in_place || w.in_per_group * w.kernel_h * phases <= max_rows) return std::max<int64_t>(k, 1);
  return ceil_div(k, ceil_div(k, max_taps));
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

// Every task of `passes` (one pass, or passes reading the same rows), in parallel.
void run_tasks(std::span<const ConvPass> passes) {
  const ConvPass& first = passes.front();
  const PanelSource source = panel_source(passes);
  const int64_t tasks =
      first.batch * first.weights->groups * ceil_div(first.out_h, source.rows) * ceil_div(first.out_w, source.columns);
  if (tasks == 0) return;
  const auto panel_size = static_cast<std::size_t>(panel_floats(passes));
  // Once per run, not per range of tasks: with a division per tap they took 2-3 % of t4's time.
  std::vector<int64_t> offsets;
  const int64_t width = panel_width(source);
  for (const ConvPass& p : passes) {
    const PackedConvWeights& w = *p.weights;
    const int64_t left = source.pad_left - p.pad_left;  // where the pass's columns start in the union
    for (int64_t c = 0; c < w.in_per_group; ++c)
      for (int64_t a = 0; a < w.kernel_h; ++a)
        for (int64_t b = 0; b < w.kernel_w; ++b) offsets.push_back(panel_offset(source, width, c, a, left + b));
  }
  // Then, for the tiles of a pass that reads its input directly, its taps' offsets in the input.
  if (passes.size() == 1 && reads_input_directly(source))
    for (int64_t c = 0; c < first.weights->in_per_group; ++c) offsets.push_back(c * first.in_h * first.in_w);
  dispatch([&](auto arch) {
    parallel_for(0, tasks, [&](int64_t begin, int64_t end) {
      run_conv_tasks<decltype(arch)>(passes, begin, end, thread_workspace(panel_size, 0).panel, offsets.data());
    });
  });
}

// Whether pass p can share a panel: the generic kernel at stride 1 and dilation 1, whose windows are never
// gathered (window_gather.hpp: a hostile dilation must keep bounding the panel), with zero padding and
// something to compute.
bool can_share(const ConvPass& p) {
  return p.stride_h == 1 && p.stride_w == 1 && p.dilation_h == 1 && p.dilation_w == 1 &&
         p.padding_mode == PaddingMode::zeros && p.weights->k() > 0 && p.out_h > 0 && p.out_w > 0 && p.batch > 0 &&
         !is_depthwise3x3(p);
}

// Whether p reads the rows f reads, of the same input, into outputs of the same size: one panel then serves
// both (both can_share). Their columns may differ by as much as the windows are wide, which bounds the
// union of their windows.
bool same_rows(const ConvPass& f, const ConvPass& p) {
  const PackedConvWeights &fw = *f.weights, &w = *p.weights;
  int64_t shift = 0;  // p's window starts `shift` columns left of f's
  const bool overlapping = !__builtin_sub_overflow(p.pad_left, f.pad_left, &shift) && shift >= -fw.kernel_w &&
                           shift <= w.kernel_w;
  return overlapping && p.input == f.input && p.batch == f.batch && p.in_h == f.in_h && p.in_w == f.in_w &&
         p.out_h == f.out_h && p.out_w == f.out_w && p.pad_top == f.pad_top && w.kernel_h == fw.kernel_h &&
         w.groups == fw.groups && w.in_per_group == fw.in_per_group && w.block == fw.block;
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
  // A pointwise layer over whole rows is one GEMM over the plane: run as one row, it takes the widest
  // register tiles over every pixel (c7's 56-column rows ran as two 8 x 2 tiles and a tail; one thread
  // 2.29 -> 2.14 ms, best of 4).
  if (weights.kernel_h == 1 && weights.kernel_w == 1 && pass.stride_h == 1 && pass.stride_w == 1 &&
      pass.pad_top == 0 && pass.pad_left == 0 && pass.in_h == pass.out_h && pass.in_w == pass.out_w &&
      pass.out_col_stride == 1 && pass.out_row_stride == pass.out_w) {
    pass.in_w = pass.out_w = pass.out_h * pass.out_w;
    pass.in_h = pass.out_h = 1;
  }
  run_tasks({&pass, 1});
}

void run_conv_passes(std::span<const ConvPass> passes) {
  // Consecutive passes on the same rows (a transposed convolution's phases of one output row phase).
  for (std::size_t first = 0, end = 0; first < passes.size(); first = end) {
    const ConvPass& f = passes[first];
    end = first + 1;
    if (can_share(f))
      while (end < passes.size() && can_share(passes[end]) && same_rows(f, passes[end])) ++end;
    if (end - first > 1) run_tasks(passes.subspan(first, end - first));
    else run_conv_pass(f);
  }
}

}  // namespace strider::kernels
