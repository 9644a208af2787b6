// DARTS (Liu et al. 2019) on the shared machinery: first order takes the architecture gradient
// at the current weights; second order through one unrolled weight step (hessian.h).
// PC-DARTS (Xu et al. 2020) is first-order DARTS on a supernet with partial channels (1/K of
// them through each mixed op, the rest bypass, channel shuffle) and edge normalisation, with the
// architecture frozen during a warm-up and its own learning rates (weights 0.1, alphas 6e-4).
#include <torch/torch.h>

#include "d2a/search/hessian.h"
#include "differentiable_searcher.h"
#include "methods.h"

namespace d2a::detail {
namespace {

struct DartsVariant {
  const char* name;
  bool second_order;
  bool partial_channels;  // PC-DARTS
};

class DartsSearcher : public DifferentiableSearcher {
 public:
  DartsSearcher(const SearcherConfig& config, torch::Device device, DartsVariant variant)
      : DifferentiableSearcher(variant.name, config, device), variant_(variant) {
    if (variant_.partial_channels) {
      build(base_supernet_options()
                .partial_channels(config_.pc_darts.partial_channels)
                .edge_normalisation(true),
            config_.pc_darts.weights_lr, config_.pc_darts.arch_lr);
    } else {
      build(base_supernet_options(), config_.weights.lr, config_.arch.lr);
    }
  }

 protected:
  bool arch_frozen() const override {
    return variant_.partial_channels && epoch_ < config_.pc_darts.warmup_epochs;
  }

  void arch_step(const Batch& train, const Batch& valid, SearchStepStats& stats) override {
    if (!variant_.second_order) {
      DifferentiableSearcher::arch_step(train, valid, stats);
      return;
    }
    BatchLoss at_unrolled;
    apply_arch_gradients(unrolled_arch_gradient(
        *supernet_, train, valid, weights_lr(), config_.weights.momentum, momentum_buffers(),
        config_.effective_weight_decay(), config_.darts2.hvp_r, &at_unrolled));
    stats.arch_step = true;
    stats.valid_loss = at_unrolled.loss.detach();
    stats.valid_accuracy = at_unrolled.accuracy;
  }

 private:
  DartsVariant variant_;
};

}  // namespace

std::unique_ptr<Searcher> make_darts_searcher(const SearcherConfig& config, torch::Device device,
                                              bool second_order) {
  return std::make_unique<DartsSearcher>(
      config, device, DartsVariant{second_order ? "darts2" : "darts", second_order, false});
}

std::unique_ptr<Searcher> make_pc_darts_searcher(const SearcherConfig& config,
                                                 torch::Device device) {
  return std::make_unique<DartsSearcher>(config, device, DartsVariant{"pc-darts", false, true});
}

}  // namespace d2a::detail
