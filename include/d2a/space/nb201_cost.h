#pragma once
// FLOPs and parameter count of the NAS-Bench-201 network built around a cell, computed from the
// architecture (no torch): stem conv3x3+BN; three stages of N cells at C, 2C, 4C separated by
// stride-2 residual blocks; BN, ReLU, global average pool, linear.
#include <cstdint>

#include "d2a/space/nb201.h"

namespace d2a {

// The macro skeleton's size. The defaults are the benchmark network (C=16, N=5, CIFAR 32x32).
struct Nb201MacroConfig {
  int channels = 16;         // C: width of the first stage
  int cells_per_stage = 5;   // N
  int image_size = 32;       // square input, H = W
  int input_channels = 3;
  int num_classes = 10;
};

struct NetworkCost {
  double flops = 0;          // per image, multiply-accumulates counted once
  std::int64_t params = 0;   // trainable parameters (conv weights, BN affine, linear)
};

// Counting convention (it reproduces the `flops`/`params` columns of the NAS-Bench-201
// zero-cost proxies table): a k x k conv costs k*k*Cin*Cout per output position (no bias);
// BN 2 per element and 2C parameters; ReLU 1 per input element; average pooling k*k per output
// element; the global pool 1 per input element; the classifier in*out+out. Tensor additions
// (node sums, residual adds) are free, as are `none` and `skip_connect` edges.
NetworkCost nb201_network_cost(const Nb201Cell& cell, const Nb201MacroConfig& config = {});

}  // namespace d2a
