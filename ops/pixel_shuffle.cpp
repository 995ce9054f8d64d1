#include "pixel_shuffle.hpp"

#include "../core/arithmetic.hpp"
#include "../core/check.hpp"
#include "../core/parallel.hpp"
#include "common.hpp"

namespace strider {

namespace {

// [N, C·r², H, W] -> [N, C, H·r, W·r]: output (c, h·r + i, w·r + j) is input channel c·r² + i·r + j
// (pixel_shuffle, DepthToSpace CRD) or, with dcr, (i·r + j)·C + c (DepthToSpace DCR). Threaded over output
// rows; each reads r contiguous input rows.
void spread(const float* from, float* to, int64_t batch, int64_t channels, int64_t h, int64_t w, int64_t r, bool dcr) {
  parallel_for(0, batch * channels * h * r, [&](int64_t first, int64_t last) {
    for (int64_t row = first; row < last; ++row) {
      const int64_t n = row / (channels * h * r), c = row / (h * r) % channels, y = row / r % h, i = row % r;
      float* dst = to + row * w * r;
      for (int64_t j = 0; j < r; ++j) {
        const int64_t k = dcr ? (i * r + j) * channels + c : (c * r + i) * r + j;
        const float* src = from + ((n * channels * r * r + k) * h + y) * w;
        for (int64_t x = 0; x < w; ++x) dst[x * r + j] = src[x];
      }
    }
  });
}

// pixel_unshuffle: [N, C, H·r, W·r] -> [N, C·r², H, W]. Threaded over input channels.
void gather(const float* from, float* to, int64_t batch_channels, int64_t h, int64_t w, int64_t r) {
  parallel_for(0, batch_channels, [&](int64_t first, int64_t last) {
  for (int64_t nc = first; nc < last; ++nc)
    for (int64_t i = 0; i < r; ++i)
      for (int64_t j = 0; j < r; ++j)
        for (int64_t y = 0; y < h; ++y)
          for (int64_t x = 0; x < w; ++x)
            to[(((nc * r + i) * r + j) * h + y) * w + x] = from[((nc * h + y) * r + i) * w * r + x * r + j];
  });
}

void check_input(const char* op, const Tensor& input, const char* factor_name, int64_t factor) {
  check(input.rank() == 3 || input.rank() == 4, op, ": expected a 3D or 4D input, but got input of size: ",
        input.defined() ? input.shape().str() : "undefined");
  check(factor > 0, op, ": ", factor_name, " must be greater than 0, but got ", factor);
}

}  // namespace

Tensor pixel_shuffle(const Tensor& input, int64_t upscale_factor) {
  check_input("pixel_shuffle", input, "upscale_factor", upscale_factor);
  const Tensor x = batched_view(input);
  const int64_t r = upscale_factor, c = x.size(1);
  const int64_t r2 = checked_mul(r, r, "pixel_shuffle: upscale_factor²");
  check(c % r2 == 0, "pixel_shuffle: expects its input's 'channel' dimension to be divisible by the square of "
        "upscale_factor, but input.size(-3)=", c, " is not divisible by ", r2);
  Tensor out({x.size(0), c / r2, checked_mul(x.size(2), r, "pixel_shuffle: output height"),
              checked_mul(x.size(3), r, "pixel_shuffle: output width")});
  spread(x.data(), out.data(), x.size(0), c / r2, x.size(2), x.size(3), r, false);
  return match_input_rank(std::move(out), input);
}

Tensor depth_to_space_dcr(const Tensor& input, int64_t blocksize) {
  check(input.rank() == 4, "DepthToSpace: expects a 4-D input, but got ", input.shape());
  check(blocksize > 0, "DepthToSpace: blocksize must be positive, but got ", blocksize);
  const int64_t r = blocksize, r2 = checked_mul(r, r, "DepthToSpace: blocksize²");
  check(input.size(1) % r2 == 0, "DepthToSpace: channels ", input.size(1), " not divisible by blocksize² ", r2);
  Tensor out({input.size(0), input.size(1) / r2, checked_mul(input.size(2), r, "DepthToSpace: output height"),
              checked_mul(input.size(3), r, "DepthToSpace: output width")});
  spread(input.data(), out.data(), input.size(0), input.size(1) / r2, input.size(2), input.size(3), r, true);
  return out;
}

Tensor pixel_unshuffle(const Tensor& input, int64_t downscale_factor) {
  check_input("pixel_unshuffle", input, "downscale_factor", downscale_factor);
  const Tensor x = batched_view(input);
  const int64_t r = downscale_factor, h = x.size(2), w = x.size(3);
  check(h % r == 0, "pixel_unshuffle: expects height to be divisible by downscale_factor, but input.size(-2)=", h,
        " is not divisible by ", r);
  check(w % r == 0, "pixel_unshuffle: expects width to be divisible by downscale_factor, but input.size(-1)=", w,
        " is not divisible by ", r);
  Tensor out({x.size(0), checked_mul(x.size(1), checked_mul(r, r, "pixel_unshuffle: downscale_factor²"),
                                    "pixel_unshuffle: output channels"),
              h / r, w / r});
  gather(x.data(), out.data(), x.size(0) * x.size(1), h / r, w / r, r);
  return match_input_rank(std::move(out), input);
}

}  // namespace strider
