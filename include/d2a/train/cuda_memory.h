#pragma once
// Bytes held by tensors on a CUDA device, from LibTorch's caching allocator: the most at once
// since the last reset (PyTorch's torch.cuda.max_memory_allocated / reset_peak_memory_stats).
// The search reports it per epoch beside the CPU figure of train/tensor_memory.h.
#include <cstdint>

namespace d2a {

// -1 when this d2a was built against a LibTorch without CUDA.
std::int64_t peak_cuda_tensor_bytes(int device_index);
void reset_peak_cuda_tensor_bytes(int device_index);

}  // namespace d2a
