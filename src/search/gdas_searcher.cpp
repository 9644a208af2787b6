// GDAS (Dong and Yang 2019), as xautodl runs it: every forward samples one op per edge with the
// hard Gumbel-softmax (straight-through gradient); each step trains the weights first and then
// the architecture; the temperature falls linearly from tau_max to tau_min over the epochs.
#include <torch/torch.h>

#include <algorithm>

#include "differentiable_searcher.h"
#include "methods.h"

namespace d2a::detail {
namespace {

class GdasSearcher : public DifferentiableSearcher {
 public:
  GdasSearcher(const SearcherConfig& config, torch::Device device)
      : DifferentiableSearcher("gdas", config, device) {
    build(base_supernet_options(), config_.weights.lr, config_.arch.lr);
    supernet_->set_mixing({MixingMode::kGumbelHard, config_.gdas.tau_max});
  }

 protected:
  void on_epoch() override {
    const double progress = static_cast<double>(epoch_) / std::max(1, epochs_ - 1);
    const double tau =
        config_.gdas.tau_max - (config_.gdas.tau_max - config_.gdas.tau_min) * progress;
    supernet_->set_mixing({MixingMode::kGumbelHard, tau});
  }
  bool weights_first() const override { return true; }
};

}  // namespace

std::unique_ptr<Searcher> make_gdas_searcher(const SearcherConfig& config, torch::Device device) {
  return std::make_unique<GdasSearcher>(config, device);
}

}  // namespace d2a::detail
