#pragma once
// Strider: CPU inference for convolutional networks. One include for the whole public API.
#include "core/arithmetic.hpp"
#include "core/npy.hpp"
#include "core/parallel.hpp"
#include "core/simd.hpp"
#include "core/tensor.hpp"
#include "ops/conv2d.hpp"
#include "ops/conv_transpose2d.hpp"
#include "ops/pool2d.hpp"
