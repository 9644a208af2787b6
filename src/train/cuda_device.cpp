#include "d2a/train/cuda_device.h"

#include <torch/torch.h>

#include <string>

// D2A_WITH_CUDA is set by CMake for a CUDA LibTorch; c10/cuda's headers need the CUDA toolkit's.
#if defined(D2A_WITH_CUDA)
#include <c10/cuda/CUDAFunctions.h>
#endif

#include "d2a/error.h"

namespace d2a {

int cuda_device_count() { return static_cast<int>(torch::cuda::device_count()); }

int current_cuda_device() {
#if defined(D2A_WITH_CUDA)
  return static_cast<int>(c10::cuda::current_device());
#else
  return 0;
#endif
}

void set_current_cuda_device(int index) {
  const int count = cuda_device_count();
  if (index < 0 || index >= count) {
    throw bad_input("CUDA device " + std::to_string(index) + " does not exist (this machine has " +
                    std::to_string(count) + ")");
  }
#if defined(D2A_WITH_CUDA)
  c10::cuda::set_device(static_cast<c10::DeviceIndex>(index));
#endif
}

}  // namespace d2a
