#pragma once
// From an ImageSet (uint8 HWC) to the float tensors networks take.
#include <torch/torch.h>

#include <cstddef>
#include <vector>

#include "d2a/data/image_set.h"

namespace d2a {

struct TensorSpec {
  int height = 0;  // output size; 0 keeps the set's (both must be 0 or both > 0)
  int width = 0;
  int channels = 0;  // 1 or 3; 0 keeps the set's. 1 -> 3 replicates grey, 3 -> 1 takes luma
  // Per-output-channel normalisation applied after scaling to [0, 1]: (x - mean[c]) / std[c].
  // Empty = no normalisation; otherwise one value per output channel (or one for all).
  std::vector<float> mean;
  std::vector<float> std;
};

// Per-channel mean and (population) standard deviation of a set's pixels scaled to [0, 1],
// after converting to `channels` (0 = the set's own) as images_to_tensor would.
struct ChannelStats {
  std::vector<float> mean;  // [C]
  std::vector<float> std;   // [C]
};
ChannelStats channel_stats(const ImageSet& set, int channels = 0);

// Images -> float32 [N, C, H, W]: channel conversion, bilinear resize (data/image_ops.h),
// scaling to [0, 1], then normalisation, all as `spec` says. Throws d2a::Error (bad input)
// for an invalid spec (size, channel count, mean/std length, std <= 0).
torch::Tensor images_to_tensor(const ImageSet& set, const TensorSpec& spec);
// The same for the images at `indices` only, in that order: [indices.size(), C, H, W].
torch::Tensor images_to_tensor(const ImageSet& set, const std::vector<std::size_t>& indices,
                               const TensorSpec& spec);

// Labels -> int64 [N] (or [indices.size()]).
torch::Tensor labels_to_tensor(const ImageSet& set);
torch::Tensor labels_to_tensor(const ImageSet& set, const std::vector<std::size_t>& indices);

}  // namespace d2a
