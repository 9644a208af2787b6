#pragma once
// NASWOT ("Neural Architecture Search without Training", Mellor et al. 2021): a training-free
// score of a cell on a mini-batch of images. The network is built around the cell at random
// initialisation; every ReLU's input gives each image a binary code (1 where the unit is
// active). Two images with similar codes are hard to tell apart for the network, so the kernel
//   K = sum over ReLUs of  c c^T + (1 - c)(1 - c)^T        (c: [B, units] codes, K: [B, B])
// counts the units on which each pair agrees, and the score is log|det K|: higher when the
// network separates the images well. Batch-norm layers use the batch's statistics, as at the
// start of training.
#include <torch/torch.h>

#include <cstdint>

#include "d2a/space/nb201.h"
#include "d2a/space/nb201_cost.h"

namespace d2a {

// A scaled-down scoring network keeps NASWOT cheap enough to rank many candidates on a CPU:
// the benchmark network is C=16, N=5; the default here is C=8, N=1.
struct NaswotOptions {
  int channels = 8;         // C of the scoring network
  int cells_per_stage = 1;  // N of the scoring network
  std::uint64_t seed = 0;   // weight initialisation (the same for every cell scored)
};

// images: float [B, channels, H, W] (H, W >= 8), normalised, B >= 2 distinct images.
// Returns log|det K| (double); -inf when K is singular (e.g. two identical images).
// Throws d2a::Error (bad input) for a malformed batch.
double naswot_score(const Nb201Cell& cell, const torch::Tensor& images, const NaswotOptions& options);

// The kernel alone: [B, B] float64 (for tests and diagnostics).
torch::Tensor naswot_kernel(const Nb201Cell& cell, const torch::Tensor& images,
                            const NaswotOptions& options);

}  // namespace d2a
