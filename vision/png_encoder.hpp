#pragma once
// PNG encoding on every thread: the image's rows are cut into strips of about 1 MB, each filtered (Paeth)
// and deflated on its own (zlib level 1, run-length strategy), and the strips joined into one zlib stream.
// For the upsampler's 4K output that is 4.3 MB where cv::imencode wrote 5.9, and `upsample` on two threads
// spends about 0.05 s of wall time on it (PNG against BMP output) where imencode's one thread took 0.4-0.5.
// The strips depend on the image only, so the bytes do not depend on the thread count.
#include <cstdint>
#include <vector>

#include <opencv2/core.hpp>

namespace strider::vision {

// The PNG file of an 8- or 16-bit image with 1 (grey), 2 (grey + alpha), 3 (BGR) or 4 (BGRA) channels,
// OpenCV's channel order. Throws std::invalid_argument for any other depth or channel count, or an empty
// image.
std::vector<uint8_t> encode_png(const cv::Mat& image);

}  // namespace strider::vision
