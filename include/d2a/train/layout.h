#pragma once
// The memory layout d2a trains in (train_network, evaluate, and the searchers' supernets). On
// CPU, channels-last (NHWC): oneDNN's convolutions then run on the tensors as they are, where
// with PyTorch's default NCHW each convolution reorders its input and output to a blocked layout
// and back. Measured on this project's 2-core machine (the NB201 network, all-conv3x3 cell,
// batch 128, 2 threads): +30-45% images/s at C=8 N=1 16x16 and at C=16 N=5 32x32. Other devices
// keep the default layout.
#include <torch/torch.h>

namespace d2a {

// Whether `device` trains channels-last.
bool trains_channels_last(torch::Device device);

// Puts the 4-d parameters of `module` (convolution weights) into the training layout of `device`.
// Call after moving the module to the device and before making its optimiser.
void use_training_layout(torch::nn::Module& module, torch::Device device);

// The same into channels-last whatever the device (benchmarks that try it on CUDA).
void make_channels_last(torch::nn::Module& module);

// A batch of images [B, C, H, W] in the training layout of `device` (same values and shape).
torch::Tensor to_training_layout(const torch::Tensor& images, torch::Device device);

}  // namespace d2a
