#pragma once
// Training-time augmentation of a batch, as a recipe asks: random crop after zero padding, a
// random horizontal flip, then cutout. Randomness comes from the caller's generator so that a
// seeded run repeats exactly.
#include <torch/torch.h>

#include <random>

#include "d2a/train/recipe.h"

namespace d2a {

// images [B, C, H, W] (any device, normalised) -> [B, C, H, W] on the same device. Each image
// is padded with recipe.effective_crop_padding(H) zeros per side (when recipe.random_crop),
// cropped back to H x W at a uniformly drawn offset, and mirrored left-right with probability
// 1/2 (when recipe.horizontal_flip). Then, when recipe.cutout = L > 0, each image gets an
// L x L square of zeros (the mean colour in the normalised space, as in DARTS, which cuts out
// after normalising) covering rows [cy - L/2, cy - L/2 + L) and the same for columns, at a centre
// (cy, cx) drawn uniformly over the image and clipped at the borders (for even L the DARTS
// Cutout exactly). The draws for crop and flip come first, so that a recipe without cutout
// sees the same stream as before cutout existed. Returns `images` itself when nothing is on.
torch::Tensor augment_batch(const torch::Tensor& images, const TrainRecipe& recipe,
                            std::mt19937_64& rng);

// The share [first, first + images.size(0)) of a batch of `batch_size` images, augmented exactly
// as augment_batch on the whole batch would augment those images: the draws of the whole batch
// are taken from `rng`, the share's applied. Data-parallel ranks augment only their own share.
torch::Tensor augment_batch_share(const torch::Tensor& images, const TrainRecipe& recipe,
                                  std::mt19937_64& rng, std::int64_t first,
                                  std::int64_t batch_size);

}  // namespace d2a
