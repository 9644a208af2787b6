// Applies the runtime flags to LibTorch. The only cli file that needs torch.
#include <torch/torch.h>

#include <thread>

#include "d2a/cli/common.h"
#include "d2a/error.h"

namespace d2a::cli {

std::string apply_common_options(const CommonOptions& options) {
  const int threads = options.threads > 0
                          ? options.threads
                          : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  torch::set_num_threads(threads);
  const bool has_cuda = torch::cuda::is_available();
  if (options.device == "cuda" && !has_cuda) {
    throw bad_input("--device cuda: no CUDA device is available on this machine (use --device cpu)");
  }
  if (options.device == "cpu" || !has_cuda) return "cpu";
  // d2a's networks run the same few convolution shapes for thousands of steps: let cuDNN time
  // its algorithms once per shape and keep the fastest (PyTorch's cudnn.benchmark). Seeded runs
  // then repeat only within tolerance (tests/nn/cuda_parity_test.cpp says where bitwise holds).
  at::globalContext().setBenchmarkCuDNN(true);
  return "cuda";
}

}  // namespace d2a::cli
