#pragma once
// Which CUDA device this process computes on. A tensor or module sent to `torch::kCUDA` (no
// index) lands on the current device, so a data-parallel rank that makes its GPU current (as
// PyTorch DDP users call torch.cuda.set_device(local_rank)) needs no index anywhere else.
// Torch-free header.

namespace d2a {

// Devices LibTorch sees (0 without CUDA).
int cuda_device_count();
// The current device's index (0 without CUDA).
int current_cuda_device();
// Makes `index` the current device. Throws d2a::Error (bad input) when this LibTorch has no CUDA
// or the index is not below cuda_device_count().
void set_current_cuda_device(int index);

}  // namespace d2a
