#pragma once
// A looping animated GIF from OpenCV frames, through Debian's giflib (OpenCV 4.6 writes no GIF).
#include <ostream>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

namespace strider::conv_arith {

// Writes the GIF of `frames` into a stream, whole (the server sends it from memory, conv-arith writes it to
// a file atomically); `name` is what error messages call it. frames: 8-bit BGR, all the same size. Each is
// shown delay_cs hundredths of a second, the last one three times as long. The drawings use few colours;
// the 256 most frequent make the palette and any other (anti-aliased text edges) maps to its nearest.
// Throws std::invalid_argument if it cannot write.
void write_gif(std::ostream& out, const std::string& name, const std::vector<cv::Mat>& frames, int delay_cs);

}  // namespace strider::conv_arith
