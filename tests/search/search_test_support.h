#pragma once
// Tiny search settings and data shared by the search tests: a C=4, N=1 NAS-Bench-201 supernet
// on 8x8 images of 4 classes, so that a step takes milliseconds.
#include <torch/torch.h>

#include <vector>

#include "d2a/search/searcher.h"

namespace d2a::test {

inline SearcherConfig tiny_search_config(std::uint64_t seed = 7) {
  SearcherConfig config;
  config.channels = 4;
  config.cells = 1;
  config.input_channels = 3;
  config.num_classes = 4;
  config.seed = seed;
  config.pc_darts.warmup_epochs = 0;
  config.ms_darts.warmup_epochs = 0;
  // Large enough that alphas move visibly in a couple of steps.
  config.arch.lr = 0.05;
  config.pc_darts.arch_lr = 0.05;
  return config;
}

// `count` (train, valid) pairs of batches of `batch` random images with labels in [0, 4).
inline std::vector<std::pair<Batch, Batch>> tiny_batches(int count, int batch = 6,
                                                         std::uint64_t seed = 11) {
  torch::manual_seed(seed);
  std::vector<std::pair<Batch, Batch>> out;
  for (int i = 0; i < count; ++i) {
    Batch train{torch::randn({batch, 3, 8, 8}), torch::randint(0, 4, {batch}, torch::kLong)};
    Batch valid{torch::randn({batch, 3, 8, 8}), torch::randint(0, 4, {batch}, torch::kLong)};
    out.emplace_back(train, valid);
  }
  return out;
}

}  // namespace d2a::test
