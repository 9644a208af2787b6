// StacNAS (Li et al. 2019): stage 1 searches a shallow supernet (stacnas.stage1_cells) over one
// representative op per cluster; stage 2 rebuilds the supernet at full depth over every op and
// lets each edge choose only among the ops of the cluster that won it in stage 1. Both stages
// are first-order DARTS with fresh optimisers, each with its own cosine schedule; the final
// genotype is stage 2's.
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "d2a/error.h"
#include "differentiable_searcher.h"
#include "methods.h"

namespace d2a::detail {
namespace {

class StacNasSearcher : public DifferentiableSearcher {
 public:
  StacNasSearcher(const SearcherConfig& config, torch::Device device)
      : DifferentiableSearcher("stacnas", config, device), clusters_(config_.effective_clusters()) {
    std::vector<std::string> representatives;
    for (const auto& cluster : clusters_) representatives.push_back(cluster.front());
    build(base_supernet_options().cells(config_.effective_stage1_cells()).ops(representatives),
          config_.weights.lr, config_.arch.lr);
  }

 protected:
  void on_epoch() override {
    if (epochs_ < 2) throw bad_input("stacnas needs at least 2 epochs (one per stage)");
    if (stage_ == 1 && epoch_ >= split()) {
      // Stage 1's ops are the representatives in cluster order: the winning column is the
      // winning cluster.
      std::vector<torch::Tensor> winners;
      for (const auto& alphas : supernet_->alphas()) {
        winners.push_back(alphas.detach().argmax(1).to(torch::kCPU));
      }
      enter_stage2(winners);
    }
  }

  double scheduled_weights_lr() const override {
    return stage_ == 1 ? cosine_lr(epoch_, split()) : cosine_lr(epoch_ - split(), epochs_ - split());
  }

  void save_state(torch::serialize::OutputArchive& archive) override {
    archive.write("stacnas_stage", c10::IValue(static_cast<std::int64_t>(stage_)));
    for (std::size_t i = 0; i < winners_.size(); ++i) {
      archive.write("stacnas_winners" + std::to_string(i), winners_[i]);
    }
  }

  void load_state(torch::serialize::InputArchive& archive) override {
    c10::IValue stage;
    archive.read("stacnas_stage", stage);
    if (stage.toInt() != 2 || stage_ == 2) return;
    std::vector<torch::Tensor> winners;
    torch::Tensor w;
    while (archive.try_read("stacnas_winners" + std::to_string(winners.size()), w)) {
      winners.push_back(w.to(torch::kCPU));
    }
    enter_stage2(winners);
  }

 private:
  // Epochs [0, split) are stage 1, [split, epochs) stage 2.
  int split() const {
    if (epochs_ < 2) return epochs_;  // before the first new_epoch
    const int split = static_cast<int>(std::lround(config_.stacnas.stage1_fraction * epochs_));
    return std::clamp(split, 1, epochs_ - 1);
  }

  void enter_stage2(const std::vector<torch::Tensor>& winners) {
    build(base_supernet_options(), config_.weights.lr, config_.arch.lr);
    const std::vector<std::string> ops = supernet_->op_names();
    std::vector<torch::Tensor> allowed;
    for (const auto& edge_winners : winners) {
      torch::Tensor mask = torch::zeros({edge_winners.size(0), static_cast<std::int64_t>(ops.size())},
                                        torch::kBool);
      for (std::int64_t e = 0; e < edge_winners.size(0); ++e) {
        for (const auto& name : clusters_.at(edge_winners[e].item<std::int64_t>())) {
          const auto it = std::find(ops.begin(), ops.end(), name);
          if (it == ops.end()) {
            throw bad_input("stacnas: cluster op '" + name + "' is not an op of space " +
                            config_.space);
          }
          mask[e][it - ops.begin()] = true;
        }
      }
      allowed.push_back(mask);
    }
    set_allowed_ops(allowed);
    winners_ = winners;
    stage_ = 2;
  }

  std::vector<std::vector<std::string>> clusters_;
  int stage_ = 1;
  std::vector<torch::Tensor> winners_;  // per cell type [edges]: stage 1's winning cluster
};

}  // namespace

std::unique_ptr<Searcher> make_stacnas_searcher(const SearcherConfig& config,
                                                torch::Device device) {
  return std::make_unique<StacNasSearcher>(config, device);
}

}  // namespace d2a::detail
