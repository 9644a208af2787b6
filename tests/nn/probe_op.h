#pragma once
// A test op that records how often it runs and how many channels it sees: it either scales its
// input by a constant or wraps a real op.
#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <utility>

namespace d2a::test {

struct ProbeLog {
  int calls = 0;
  std::int64_t channels = -1;  // of the last input
};

class ProbeImpl : public torch::nn::Module {
 public:
  ProbeImpl(std::shared_ptr<ProbeLog> log, double scale) : log_(std::move(log)), scale_(scale) {}
  ProbeImpl(std::shared_ptr<ProbeLog> log, torch::nn::AnyModule inner)
      : log_(std::move(log)), inner_(std::move(inner)) {
    if (!inner_.is_empty()) register_module("inner", inner_.ptr());
  }
  // [B, C, H, W] -> the wrapped op's output, or scale * x
  torch::Tensor forward(const torch::Tensor& x) {
    ++log_->calls;
    log_->channels = x.size(1);
    return inner_.is_empty() ? x * scale_ : inner_.forward(x);
  }

 private:
  std::shared_ptr<ProbeLog> log_;
  double scale_ = 1.0;
  torch::nn::AnyModule inner_;
};
TORCH_MODULE(Probe);

}  // namespace d2a::test
