#include "d2a/train/layout.h"

#include <torch/torch.h>

namespace d2a {

bool trains_channels_last(torch::Device device) { return device.is_cpu(); }

void use_training_layout(torch::nn::Module& module, torch::Device device) {
  if (trains_channels_last(device)) make_channels_last(module);
}

void make_channels_last(torch::nn::Module& module) {
  torch::NoGradGuard no_grad;
  for (torch::Tensor& p : module.parameters()) {
    if (p.dim() == 4) p.set_data(p.data().contiguous(torch::MemoryFormat::ChannelsLast));
  }
}

torch::Tensor to_training_layout(const torch::Tensor& images, torch::Device device) {
  if (!trains_channels_last(device) || images.dim() != 4) return images;
  return images.contiguous(torch::MemoryFormat::ChannelsLast);
}

}  // namespace d2a
