#include "d2a/train/cuda_memory.h"

#include <torch/torch.h>

// D2A_WITH_CUDA is set by CMake for a CUDA LibTorch (PyTorch 2.x with CUDA, tools/gpu/run.sh);
// the CUDA allocator's header needs the CUDA toolkit's, which a CPU machine lacks.
#if defined(D2A_WITH_CUDA)
#include <c10/cuda/CUDACachingAllocator.h>
#endif

namespace d2a {

#if defined(D2A_WITH_CUDA)
// allocated_bytes[0] is the aggregate over the small and large pools (StatType::AGGREGATE in
// every LibTorch version; the enum moved namespaces in 2.x, the index did not).
std::int64_t peak_cuda_tensor_bytes(int device_index) {
  const auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(static_cast<c10::DeviceIndex>(device_index));
  return stats.allocated_bytes[0].peak;
}
void reset_peak_cuda_tensor_bytes(int device_index) {
  c10::cuda::CUDACachingAllocator::resetPeakStats(static_cast<c10::DeviceIndex>(device_index));
}
#else
std::int64_t peak_cuda_tensor_bytes(int) { return -1; }
void reset_peak_cuda_tensor_bytes(int) {}
#endif

}  // namespace d2a
