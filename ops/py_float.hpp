#pragma once
// Python's repr of a float, so that operators and modules print their float arguments as PyTorch does.
#include <iosfwd>

namespace strider {

// Shortest round-trip digits in Python's layout: "2.0", "0.2", "0.0001", "1e-05".
struct PyFloat {
  double value;
};
std::ostream& operator<<(std::ostream& os, PyFloat v);

}  // namespace strider
