#include "d2a/train/resident_images.h"

#include <torch/torch.h>

#include <algorithm>
#include <vector>

#include "d2a/error.h"

namespace d2a {
namespace {

// Images are checked and moved in chunks, so that the host never holds a second float copy of a
// large set and the device never holds the float set beside its pixels.
constexpr std::int64_t kChunk = 2048;

// [1, C, 1, 1] on the host; one value stands for every channel.
torch::Tensor channel_vector(const std::vector<float>& values, std::int64_t channels) {
  std::vector<float> per_channel(values);
  if (per_channel.size() == 1) per_channel.assign(channels, values[0]);
  return torch::tensor(per_channel, torch::kFloat).view({1, channels, 1, 1});
}

}  // namespace

ResidentImages::ResidentImages(const TrainData& data, torch::Device device, Storage storage) {
  if (!data.images.defined() || data.images.dim() != 4 || data.images.scalar_type() != torch::kFloat ||
      !data.labels.defined() || data.labels.size(0) != data.images.size(0)) {
    throw bad_input("resident images: need float32 images [N, C, H, W] and N labels");
  }
  labels_ = data.labels.to(device);
  const std::int64_t n = data.images.size(0);
  const std::int64_t channels = data.images.size(1);
  const bool normalisation_known =
      !data.mean.empty() && (data.mean.size() == 1 || static_cast<std::int64_t>(data.mean.size()) == channels) &&
      data.std.size() == data.mean.size();
  const bool wanted = storage == Storage::pixels ||
                      (storage == Storage::automatic && device != data.images.device());
  if (wanted && normalisation_known) {
    scale_ = torch::full({1}, 255.0f, torch::TensorOptions().dtype(torch::kFloat).device(device));
    const torch::Tensor host_mean = channel_vector(data.mean, channels);
    const torch::Tensor host_std = channel_vector(data.std, channels);
    mean_ = host_mean.to(device);
    std_ = host_std.to(device);
    std::vector<torch::Tensor> chunks;
    bool exact = true;
    for (std::int64_t first = 0; first < n && exact; first += kChunk) {
      const torch::Tensor x = data.images.narrow(0, first, std::min(kChunk, n - first));
      const torch::Tensor pixels = (x.cpu() * host_std + host_mean)
                                       .mul(255.0f)
                                       .round()
                                       .clamp(0, 255)
                                       .to(torch::kByte)
                                       .to(device);
      exact = torch::equal(decode(pixels), x.to(device));
      chunks.push_back(pixels);
    }
    if (exact) {
      stored_ = n > 0 ? torch::cat(chunks) : torch::empty(data.images.sizes(), torch::TensorOptions().dtype(torch::kByte).device(device));
      return;
    }
  }
  stored_ = data.images.to(device);
}

torch::Tensor ResidentImages::decode(const torch::Tensor& pixels) const {
  // The same float operations, in the same order, as images_to_tensor: p / 255, - mean, / std.
  // Dividing by a tensor, not a scalar, keeps CUDA from multiplying by the reciprocal instead.
  return (pixels.to(torch::kFloat) / scale_ - mean_) / std_;
}

torch::Tensor ResidentImages::images(const torch::Tensor& index) const {
  const torch::Tensor picked = stored_.index_select(0, index);
  return stores_pixels() ? decode(picked) : picked;
}

torch::Tensor ResidentImages::labels(const torch::Tensor& index) const {
  return labels_.index_select(0, index);
}

std::int64_t ResidentImages::stored_bytes() const {
  return static_cast<std::int64_t>(stored_.nbytes() + labels_.nbytes());
}

}  // namespace d2a
