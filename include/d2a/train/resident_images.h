#pragma once
// A labelled image set held on the training device for a whole run, so that no step copies
// images from the host: a step picks its batch by index there, decodes it there, and the batch
// augmentation (augment.h) runs there too. On a GPU the images go over once, at the start.
//
// Stored as uint8 pixels (a quarter of float32's memory and bandwidth) when the float images are
// exactly (pixel / 255 - mean[c]) / std[c] of some pixels, as make_train_data and
// make_train_test_data produce them when no resize or luma conversion was needed (TrainData
// records the mean and std it used); checked on the device for every image before it is
// trusted, so a batch is always equal bit for bit to data.images.index_select(0, index).
// Otherwise (resized images, unknown normalisation) the float images themselves are stored.
#include <torch/torch.h>

#include <cstdint>

#include "d2a/train/trainer.h"

namespace d2a {

class ResidentImages {
 public:
  enum class Storage {
    automatic,  // uint8 when exact and the device is not the host's CPU, else the float images
    pixels,     // uint8 when exact, else the float images (lets the CPU test the uint8 path)
    floats,     // the float images, always
  };

  // data: images [N, C, H, W] float32 on the CPU (or on `device`), labels [N] int64.
  ResidentImages(const TrainData& data, torch::Device device, Storage storage = Storage::automatic);

  // index: [B] int64 on the device -> images [B, C, H, W] float32 on the device, normalised.
  torch::Tensor images(const torch::Tensor& index) const;
  // index: [B] int64 on the device -> labels [B] int64 on the device.
  torch::Tensor labels(const torch::Tensor& index) const;

  std::int64_t size() const { return labels_.size(0); }
  torch::Device device() const { return labels_.device(); }
  bool stores_pixels() const { return stored_.scalar_type() == torch::kByte; }
  std::int64_t stored_bytes() const;  // images and labels on the device

 private:
  torch::Tensor decode(const torch::Tensor& pixels) const;  // uint8 [B, C, H, W] -> float

  torch::Tensor stored_;  // uint8 pixels or float images, [N, C, H, W], on the device
  torch::Tensor labels_;  // [N] int64, on the device
  torch::Tensor scale_;   // [1] float 255, and the normalisation [1, C, 1, 1], on the device
  torch::Tensor mean_;
  torch::Tensor std_;
};

}  // namespace d2a
