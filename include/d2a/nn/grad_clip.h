#pragma once
// Gradient clipping that never waits for the device.
#include <torch/torch.h>

#include <vector>

namespace d2a {

// Scales the gradients of `parameters` (those that have one) so that their joint L2 norm is at
// most max_norm: torch::nn::utils::clip_grad_norm_'s arithmetic, but the norm stays on the
// gradients' device (LibTorch's C++ version returns it as a double, so it waits for the GPU
// every step). Returns the norm before clipping as a 0-dim tensor there, undefined when no
// parameter has a gradient.
torch::Tensor clip_grad_norm(const std::vector<torch::Tensor>& parameters, double max_norm);

}  // namespace d2a
