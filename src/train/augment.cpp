#include "d2a/train/augment.h"

#include <torch/torch.h>

#include <vector>

namespace d2a {
namespace {

// `images` is the share [first, first + B) of a batch of `total` images: the draws are made for
// all `total` (so the stream does not depend on the share) and the share's are applied.

// A few host integers as int64 on `device`. To a GPU from pinned memory, without blocking: a copy
// from pageable memory would first wait for the GPU to finish the work queued before it (the
// previous step), and the host could no longer run ahead.
torch::Tensor host_longs(const std::vector<std::int64_t>& values, torch::Device device) {
  const torch::Tensor host = torch::tensor(values, torch::TensorOptions().dtype(torch::kLong));
  if (!device.is_cuda()) return host.to(device);
  return host.pin_memory().to(device, /*non_blocking=*/true);
}

// Zeroes one length x length square per image, centred at a uniformly drawn pixel and clipped.
torch::Tensor cutout(const torch::Tensor& images, std::int64_t length, std::mt19937_64& rng,
                     std::int64_t first, std::int64_t total) {
  const std::int64_t batch = images.size(0);
  const std::int64_t height = images.size(2);
  const std::int64_t width = images.size(3);
  std::uniform_int_distribution<std::int64_t> row(0, height - 1), col(0, width - 1);
  std::vector<std::int64_t> top(batch), left(batch);
  for (std::int64_t i = 0; i < total; ++i) {
    const std::int64_t y = row(rng) - length / 2;
    const std::int64_t x = col(rng) - length / 2;
    if (i >= first && i < first + batch) {
      top[i - first] = y;
      left[i - first] = x;
    }
  }
  // Only the draws cross from the host (2 x B integers); the mask is built on the images' device.
  const auto on_device = torch::TensorOptions().dtype(torch::kLong).device(images.device());
  const torch::Tensor y0 = host_longs(top, images.device()).view({batch, 1, 1});
  const torch::Tensor x0 = host_longs(left, images.device()).view({batch, 1, 1});
  const torch::Tensor ys = torch::arange(height, on_device).view({1, height, 1});
  const torch::Tensor xs = torch::arange(width, on_device).view({1, 1, width});
  const torch::Tensor inside = (ys >= y0) & (ys < y0 + length) & (xs >= x0) & (xs < x0 + length);
  const torch::Tensor keep = (~inside).unsqueeze(1).to(images.scalar_type());
  return images * keep;  // [B, C, H, W] * [B, 1, H, W]
}

torch::Tensor crop_and_flip(const torch::Tensor& images, const TrainRecipe& recipe,
                            std::mt19937_64& rng, std::int64_t first, std::int64_t total) {
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
  for (std::int64_t i = 0; i < total; ++i) {
    const std::int64_t y = crop ? offset(rng) : 0;
    const std::int64_t x = crop ? offset(rng) : 0;
    const std::int64_t m = flip ? coin(rng) : 0;
    if (i >= first && i < first + batch) {
      dy[i - first] = y;
      dx[i - first] = x;
      mirror[i - first] = m;
    }
  }
  // Only the draws cross from the host (3 x B integers); the indices are built on the device.
  const torch::Device device = images.device();
  const auto on_device = torch::TensorOptions().dtype(torch::kLong).device(device);
  const torch::Tensor dy_t = host_longs(dy, device).view({batch, 1});
  const torch::Tensor dx_t = host_longs(dx, device).view({batch, 1});
  const torch::Tensor mirror_t = host_longs(mirror, device).view({batch, 1}).to(torch::kBool);
  const torch::Tensor ys = torch::arange(height, on_device).view({1, height});
  const torch::Tensor xs = torch::arange(width, on_device).view({1, width});
  const torch::Tensor rows = (dy_t + ys).view({batch, height, 1});
  const torch::Tensor cols =
      (dx_t + torch::where(mirror_t, (width - 1) - xs, xs)).view({batch, 1, width});
  const torch::Tensor index_b = torch::arange(batch, on_device).view({batch, 1, 1});

  const torch::Tensor padded =
      crop ? torch::constant_pad_nd(images, {pad, pad, pad, pad}, 0.0) : images;
  const torch::Tensor hwc = padded.permute({0, 2, 3, 1});  // [B, H + 2p, W + 2p, C]
  const torch::Tensor out = hwc.index({index_b, rows, cols});  // [B, H, W, C]
  return out.permute({0, 3, 1, 2}).contiguous();
}

}  // namespace

torch::Tensor augment_batch(const torch::Tensor& images, const TrainRecipe& recipe,
                            std::mt19937_64& rng) {
  return augment_batch_share(images, recipe, rng, 0, images.size(0));
}

torch::Tensor augment_batch_share(const torch::Tensor& images, const TrainRecipe& recipe,
                                  std::mt19937_64& rng, std::int64_t first,
                                  std::int64_t batch_size) {
  const torch::Tensor shifted = crop_and_flip(images, recipe, rng, first, batch_size);
  return recipe.cutout > 0 ? cutout(shifted, recipe.cutout, rng, first, batch_size) : shifted;
}

}  // namespace d2a
