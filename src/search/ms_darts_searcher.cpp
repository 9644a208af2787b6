// MS-DARTS (Hsieh et al. 2021): first-order DARTS whose weight step trains the supernet under
// the mean-shifted architecture weights (mean_shift.h) instead of softmax(alpha). The
// perturbation half-width eps grows linearly from eps_start to eps_end over the epochs; during
// the warm-up the alphas are frozen and the weights train under softmax(alpha) (our reading of
// the paper's warm-up, the same as PC-DARTS's).
#include <torch/torch.h>

#include <algorithm>

#include "d2a/dist/process_group.h"
#include "d2a/search/mean_shift.h"
#include "differentiable_searcher.h"
#include "methods.h"

namespace d2a::detail {
namespace {

// Puts the supernet back to softmax mixing however the weight step ends.
class SoftmaxOnExit {
 public:
  explicit SoftmaxOnExit(Supernet& net) : net_(net) {}
  ~SoftmaxOnExit() { net_.set_mixing({MixingMode::kSoftmax, 1.0}); }
  SoftmaxOnExit(const SoftmaxOnExit&) = delete;
  SoftmaxOnExit& operator=(const SoftmaxOnExit&) = delete;

 private:
  Supernet& net_;
};

class MsDartsSearcher : public DifferentiableSearcher {
 public:
  MsDartsSearcher(const SearcherConfig& config, torch::Device device)
      : DifferentiableSearcher("ms-darts", config, device) {
    build(base_supernet_options(), config_.weights.lr, config_.arch.lr);
  }

 protected:
  void on_epoch() override {
    const double progress = static_cast<double>(epoch_) / std::max(1, epochs_ - 1);
    eps_ = config_.ms_darts.eps_start + (config_.ms_darts.eps_end - config_.ms_darts.eps_start) *
                                            progress;
  }
  bool arch_frozen() const override { return epoch_ < config_.ms_darts.warmup_epochs; }

  void weight_step(const Batch& train, SearchStepStats& stats) override {
    if (arch_frozen()) {
      DifferentiableSearcher::weight_step(train, stats);
      return;
    }
    SoftmaxOnExit restore(*supernet_);
    // Each sample's training loss, measured without gradients (BN in training mode, so the
    // running statistics see these forwards too).
    const SampleLoss loss = [&](const std::vector<torch::Tensor>& weights) {
      torch::NoGradGuard no_grad;
      supernet_->set_op_weights(weights);
      supernet_->set_mixing({MixingMode::kGiven, 1.0});
      // Data parallel: the whole batch's loss, the mean of the ranks' (equal) shares.
      torch::Tensor value = batch_loss(*supernet_, train, config_.precision).loss.detach().reshape({1});
      dist::ProcessGroup& group = dist::world();
      group.all_reduce_sum({value});
      return value.item<double>() / group.world_size();
    };
    MeanShiftOptions options;
    options.samples = config_.ms_darts.samples;
    options.bandwidth = config_.ms_darts.bandwidth;
    options.iterations = config_.ms_darts.iterations;
    options.eps = eps_;
    supernet_->set_op_weights(mean_shift(op_weights(), loss, options).shifted);
    supernet_->set_mixing({MixingMode::kGiven, 1.0});
    DifferentiableSearcher::weight_step(train, stats);
  }

 private:
  double eps_ = 0;
};

}  // namespace

std::unique_ptr<Searcher> make_ms_darts_searcher(const SearcherConfig& config,
                                                 torch::Device device) {
  return std::make_unique<MsDartsSearcher>(config, device);
}

}  // namespace d2a::detail
