#include "d2a/train/precision.h"

#include <torch/torch.h>

#include "../torch_compat.h"
#include "d2a/error.h"
#include "d2a/train/recipe.h"

namespace d2a {

PrecisionScope::PrecisionScope(const std::string& precision, torch::Device device) {
  if (!is_precision_name(precision)) {
    throw bad_input("precision '" + precision + "' (" + precision_choices() + ")");
  }
  if (precision == "bf16") guard_ = std::make_unique<compat::AutocastGuard>(device, at::kBFloat16);
}

PrecisionScope::~PrecisionScope() = default;

torch::Tensor with_full_precision(const torch::Tensor& t) {
  const bool half = t.scalar_type() == torch::kBFloat16 || t.scalar_type() == torch::kHalf;
  return half ? t.to(torch::kFloat) : t;
}

}  // namespace d2a
