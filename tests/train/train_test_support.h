#pragma once
// Data the trainer tests learn from.
#include <torch/torch.h>

#include <cstdint>

#include "d2a/train/trainer.h"

namespace d2a::test {

// Three learnable classes of noisy 16x16 RGB images: a reddish, a greenish and a bluish one,
// each with its own bright shape, so that colour and shape both tell them apart.
inline TrainData synthetic(int per_class, std::uint64_t seed) {
  auto gen = at::detail::createCPUGenerator(seed);
  const int classes = 3;
  torch::Tensor images = torch::randn({classes * per_class, 3, 16, 16}, gen) * 0.8;
  torch::Tensor labels = torch::arange(classes, torch::kLong).repeat_interleave(per_class);
  for (int c = 0; c < classes; ++c) {
    auto block = images.narrow(0, c * per_class, per_class);
    block.select(1, c).add_(1.0);                                 // colour
    if (c == 0) block.narrow(2, 6, 4).add_(1.0);                  // horizontal bar
    if (c == 1) block.narrow(3, 6, 4).add_(1.0);                  // vertical bar
    if (c == 2) block.narrow(2, 5, 6).narrow(3, 5, 6).add_(1.0);  // square
  }
  return {images, labels};
}

}  // namespace d2a::test
