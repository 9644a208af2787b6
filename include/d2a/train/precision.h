#pragma once
// The arithmetic precision of the forward passes in training and search: "fp32" (the default)
// or "bf16", autocast as torch.autocast(dtype=torch.bfloat16) does in Python: convolutions and
// matmuls run in bfloat16, the weights, their gradients, the optimiser and the loss stay float32.
#include <torch/torch.h>

#include <memory>
#include <string>

namespace d2a {

namespace compat {
class AutocastGuard;
}

// Forward passes made while one lives run in `precision` on `device`'s type; "fp32" changes
// nothing; anything but "fp32" and "bf16" throws d2a::Error (bad input).
class PrecisionScope {
 public:
  PrecisionScope(const std::string& precision, torch::Device device);
  ~PrecisionScope();
  PrecisionScope(const PrecisionScope&) = delete;
  PrecisionScope& operator=(const PrecisionScope&) = delete;

 private:
  std::unique_ptr<compat::AutocastGuard> guard_;
};

// `t` as float32 when autocast left it in a 16-bit float type (the logits, before the loss),
// else `t` itself (float32 or float64 stay as they are).
torch::Tensor with_full_precision(const torch::Tensor& t);

}  // namespace d2a
