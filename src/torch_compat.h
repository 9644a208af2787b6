#pragma once
// Where LibTorch 1.13 (Debian 12, CPU) and 2.x (a GPU user's CUDA build) differ in the C++ API
// d2a uses, outside c10d (dist/c10d_compat.h). tools/compat/check_libtorch2.sh compiles d2a
// against 2.x headers on every CI run, so a new difference shows up there first.
#include <ATen/autocast_mode.h>
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

// Autocast to `dtype` on `device`'s type for the guard's life, as torch.autocast does in Python:
// matmuls and convolutions run in the lower precision, reductions and the loss stay float32.
// 2.4 made the switch per device type; 1.13 has one function per device type.
class AutocastGuard {
 public:
  AutocastGuard(torch::Device device, at::ScalarType dtype)
      : cuda_(device.is_cuda()), was_enabled_(enabled(cuda_)), was_dtype_(dtype_of(cuda_)) {
    set(cuda_, true, dtype);
    at::autocast::increment_nesting();
  }
  ~AutocastGuard() {
    // Leaving the outermost region frees the casts of the weights it cached.
    if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
    set(cuda_, was_enabled_, was_dtype_);
  }
  AutocastGuard(const AutocastGuard&) = delete;
  AutocastGuard& operator=(const AutocastGuard&) = delete;

 private:
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
  static at::DeviceType type(bool cuda) { return cuda ? at::kCUDA : at::kCPU; }
  static bool enabled(bool cuda) { return at::autocast::is_autocast_enabled(type(cuda)); }
  static at::ScalarType dtype_of(bool cuda) { return at::autocast::get_autocast_dtype(type(cuda)); }
  static void set(bool cuda, bool on, at::ScalarType dtype) {
    at::autocast::set_autocast_enabled(type(cuda), on);
    at::autocast::set_autocast_dtype(type(cuda), dtype);
  }
#else
  static bool enabled(bool cuda) { return cuda ? at::autocast::is_enabled() : at::autocast::is_cpu_enabled(); }
  static at::ScalarType dtype_of(bool cuda) {
    return cuda ? at::autocast::get_autocast_gpu_dtype() : at::autocast::get_autocast_cpu_dtype();
  }
  static void set(bool cuda, bool on, at::ScalarType dtype) {
    if (cuda) {
      at::autocast::set_enabled(on);
      at::autocast::set_autocast_gpu_dtype(dtype);
    } else {
      at::autocast::set_cpu_enabled(on);
      at::autocast::set_autocast_cpu_dtype(dtype);
    }
  }
#endif

  bool cuda_;
  bool was_enabled_;
  at::ScalarType was_dtype_;
};

}  // namespace d2a::compat
