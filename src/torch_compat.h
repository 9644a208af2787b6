#pragma once
// Where LibTorch 1.13 (Debian 12, CPU) and 2.x (a GPU user's CUDA build) differ in the C++ API
// d2a uses, outside c10d (dist/c10d_compat.h). tools/compat/check_libtorch2.sh compiles d2a
// against 2.x headers on every CI run, so a new difference shows up there first.
#include <torch/torch.h>
#include <torch/version.h>

#include <string>

namespace d2a::compat {

// The key of a parameter in an optimizer's state(): its TensorImpl's address, printed in 1.13,
// the pointer itself in 2.x.
#if TORCH_VERSION_MAJOR >= 2
inline void* optimizer_state_key(const torch::Tensor& parameter) {
  return parameter.unsafeGetTensorImpl();
}
#else
inline std::string optimizer_state_key(const torch::Tensor& parameter) {
  return c10::guts::to_string(parameter.unsafeGetTensorImpl());
}
#endif

}  // namespace d2a::compat
