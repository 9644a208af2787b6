#include "d2a/train/augment.h"

#include <torch/torch.h>

#include <vector>

namespace d2a {

torch::Tensor augment_batch(const torch::Tensor& images, const TrainRecipe& recipe,
                            std::mt19937_64& rng) {
  const std::int64_t batch = images.size(0);
  const std::int64_t height = images.size(2);
  const std::int64_t width = images.size(3);
  const std::int64_t pad = recipe.effective_crop_padding(static_cast<int>(height));
  const bool crop = pad > 0;
  const bool flip = recipe.horizontal_flip;
  if (!crop && !flip) return images;

  // One gather does crop and flip for the whole batch: output pixel (b, y, x) reads padded
  // pixel (b, dy_b + y, dx_b + x), or (b, dy_b + y, dx_b + W - 1 - x) when image b is mirrored.
  std::uniform_int_distribution<std::int64_t> offset(0, 2 * pad);
  std::bernoulli_distribution coin(0.5);
  std::vector<std::int64_t> dy(batch), dx(batch), mirror(batch);
  for (std::int64_t b = 0; b < batch; ++b) {
    dy[b] = crop ? offset(rng) : 0;
    dx[b] = crop ? offset(rng) : 0;
    mirror[b] = flip ? coin(rng) : 0;
  }
  const auto cpu_long = torch::TensorOptions().dtype(torch::kLong);
  const torch::Tensor dy_t = torch::tensor(dy, cpu_long).view({batch, 1});
  const torch::Tensor dx_t = torch::tensor(dx, cpu_long).view({batch, 1});
  const torch::Tensor mirror_t = torch::tensor(mirror, cpu_long).view({batch, 1}).to(torch::kBool);
  const torch::Tensor ys = torch::arange(height, cpu_long).view({1, height});
  const torch::Tensor xs = torch::arange(width, cpu_long).view({1, width});
  const torch::Tensor rows = (dy_t + ys).view({batch, height, 1});
  const torch::Tensor cols =
      (dx_t + torch::where(mirror_t, (width - 1) - xs, xs)).view({batch, 1, width});
  const torch::Tensor index_b = torch::arange(batch, cpu_long).view({batch, 1, 1});

  const torch::Tensor padded =
      crop ? torch::constant_pad_nd(images, {pad, pad, pad, pad}, 0.0) : images;
  const torch::Device device = images.device();
  const torch::Tensor hwc = padded.permute({0, 2, 3, 1});  // [B, H + 2p, W + 2p, C]
  const torch::Tensor out =
      hwc.index({index_b.to(device), rows.to(device), cols.to(device)});  // [B, H, W, C]
  return out.permute({0, 3, 1, 2}).contiguous();
}

}  // namespace d2a
