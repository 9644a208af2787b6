#pragma once
// What every method shares (private to src/search): the supernet on its device, SGD on the
// weights with a per-epoch cosine learning rate, Adam on the architecture parameters, the
// first-order architecture step, the clipped weight step, the counters and the checkpoint. A
// method overrides the hooks below.
#include <torch/torch.h>

#include <memory>
#include <string>
#include <vector>

#include "d2a/search/searcher.h"

namespace d2a::detail {

class DifferentiableSearcher : public Searcher {
 public:
  DifferentiableSearcher(std::string name, const SearcherConfig& config, torch::Device device);

  std::string name() const override { return name_; }
  const SearcherConfig& config() const override { return config_; }
  torch::Device device() const override { return device_; }
  void new_epoch(int epoch, int epochs) override;
  SearchStepStats step(const Batch& train, const Batch& valid) override;
  std::string genotype() override { return supernet_->genotype(); }
  std::vector<torch::Tensor> alphas() override { return supernet_->alphas(); }
  std::vector<torch::Tensor> op_weights() override;
  std::vector<std::string> op_names() const override { return supernet_->op_names(); }
  std::vector<std::string> cell_types() const override;
  Supernet& supernet() override { return *supernet_; }
  int epoch() const override { return epoch_; }
  int epochs() const override { return epochs_; }
  std::int64_t steps() const override { return steps_; }
  void save(torch::serialize::OutputArchive& archive) override;
  void load(torch::serialize::InputArchive& archive) override;

 protected:
  // The config's sizes as supernet options (ops, K and edge normalisation left at defaults).
  SupernetOptions base_supernet_options() const;
  // (Re)builds the supernet on the device and fresh optimisers over it. Methods call it from
  // their constructor (and StacNAS at its stage switch).
  void build(const SupernetOptions& options, double weights_lr, double arch_lr);
  // Removes ops per edge (StacNAS stage 2); kept for op_weights(). Empty = allow all.
  void set_allowed_ops(std::vector<torch::Tensor> allowed);

  // Hooks.
  // After new_epoch (and after load) has set the learning rate: temperature, eps, stages.
  virtual void on_epoch() {}
  virtual bool arch_frozen() const { return false; }  // warm-up: no architecture step
  virtual bool weights_first() const { return false; }  // GDAS steps the weights first
  // This epoch's weight learning rate: cosine_lr(epoch, epochs) (StacNAS restarts it per stage).
  virtual double scheduled_weights_lr() const;
  // Sets the architecture gradients and steps Adam; fills the valid fields of `stats`.
  // Default: first order, the gradient of the validation loss.
  virtual void arch_step(const Batch& train, const Batch& valid, SearchStepStats& stats);
  // Default: one clipped SGD step on the training loss under the current mixing.
  virtual void weight_step(const Batch& train, SearchStepStats& stats);
  // The method's own state, saved before and loaded ahead of the supernet (so that a stage
  // switch can rebuild the supernet first).
  virtual void save_state(torch::serialize::OutputArchive& /*archive*/) {}
  virtual void load_state(torch::serialize::InputArchive& /*archive*/) {}

  // Helpers for the hooks.
  void apply_arch_gradients(const std::vector<torch::Tensor>& grads);
  double weights_lr() const { return weights_lr_; }  // this epoch's
  // The cosine from the built learning rate down to weights.lr_min, at epoch `position` of
  // `length`.
  double cosine_lr(int position, int length) const;
  std::vector<torch::Tensor> momentum_buffers();      // per weight; undefined before any step

  const std::string name_;
  const SearcherConfig config_;
  const torch::Device device_;
  std::shared_ptr<Supernet> supernet_;
  std::unique_ptr<torch::optim::SGD> weights_optimiser_;
  std::unique_ptr<torch::optim::Adam> arch_optimiser_;
  std::vector<torch::Tensor> allowed_;
  int epoch_ = 0;
  int epochs_ = 0;  // 0 until the first new_epoch
  std::int64_t steps_ = 0;

 private:
  void apply_schedule();
  double base_weights_lr_ = 0;
  double weights_lr_ = 0;
};

}  // namespace d2a::detail
