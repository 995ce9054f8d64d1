#pragma once
// The module system: Module, Sequential, the layers, BatchNorm folding.
#include "activation.hpp"
#include "fold.hpp"
#include "layers.hpp"
#include "module.hpp"
