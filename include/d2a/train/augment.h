#pragma once
// Training-time augmentation of a batch, as a recipe asks: random crop after zero padding, then
// a random horizontal flip. Randomness comes from the caller's generator so that a seeded run
// repeats exactly.
#include <torch/torch.h>

#include <random>

#include "d2a/train/recipe.h"

namespace d2a {

// images [B, C, H, W] (any device, normalised) -> [B, C, H, W] on the same device. Each image
// is padded with recipe.effective_crop_padding(H) zeros per side (when recipe.random_crop),
// cropped back to H x W at a uniformly drawn offset, and mirrored left-right with probability
// 1/2 (when recipe.horizontal_flip). Returns `images` itself when neither is switched on.
torch::Tensor augment_batch(const torch::Tensor& images, const TrainRecipe& recipe,
                            std::mt19937_64& rng);

}  // namespace d2a
