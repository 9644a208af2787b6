#include "differentiable_searcher.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <cmath>
#include <limits>
#include <mutex>
#include <string>
#include <tuple>
#include <utility>

#include "../torch_compat.h"
#include "d2a/dist/process_group.h"
#include "d2a/error.h"
#include "d2a/nn/grad_clip.h"
#include "d2a/train/layout.h"

namespace d2a::detail {
namespace {

constexpr double kPi = 3.14159265358979323846;

std::int64_t read_int(torch::serialize::InputArchive& archive, const std::string& key) {
  c10::IValue value;
  archive.read(key, value);
  return value.toInt();
}

std::string read_string(torch::serialize::InputArchive& archive, const std::string& key) {
  c10::IValue value;
  archive.read(key, value);
  return value.toStringRef();
}

}  // namespace

DifferentiableSearcher::DifferentiableSearcher(std::string name, const SearcherConfig& config,
                                               torch::Device device)
    : name_(std::move(name)), config_(config), device_(device) {
  config_.validate();
}

SupernetOptions DifferentiableSearcher::base_supernet_options() const {
  return SupernetOptions()
      .channels(config_.channels)
      .cells(config_.cells)
      .input_channels(config_.input_channels)
      .num_classes(config_.num_classes);
}

void DifferentiableSearcher::build(const SupernetOptions& options, double weights_lr,
                                   double arch_lr) {
  supernet_ = make_supernet(config_.space, options);
  supernet_->to(device_);
  use_training_layout(*supernet_, device_);  // channels-last on CPU, before the optimisers
  supernet_->train();
  base_weights_lr_ = weights_lr;
  weights_lr_ = weights_lr;
  weights_optimiser_ = std::make_unique<torch::optim::SGD>(
      supernet_->weights(), torch::optim::SGDOptions(weights_lr)
                                .momentum(config_.weights.momentum)
                                .weight_decay(config_.effective_weight_decay()));
  arch_optimiser_ = std::make_unique<torch::optim::Adam>(
      supernet_->arch_parameters(),
      torch::optim::AdamOptions(arch_lr)
          .betas(std::make_tuple(config_.arch.beta1, config_.arch.beta2))
          .weight_decay(config_.arch.weight_decay));
  allowed_.clear();
}

void DifferentiableSearcher::set_allowed_ops(std::vector<torch::Tensor> allowed) {
  supernet_->set_allowed_ops(allowed);
  allowed_ = std::move(allowed);
}

std::vector<torch::Tensor> DifferentiableSearcher::op_weights() {
  std::vector<torch::Tensor> out;
  const auto alphas = supernet_->alphas();
  for (std::size_t i = 0; i < alphas.size(); ++i) {
    torch::Tensor a = alphas[i].detach().to(torch::kCPU, torch::kDouble);
    if (!allowed_.empty()) {
      a = a.masked_fill(allowed_[i].to(torch::kCPU).logical_not(),
                        -std::numeric_limits<double>::infinity());
    }
    out.push_back(torch::softmax(a, -1));
  }
  return out;
}

std::vector<std::string> DifferentiableSearcher::cell_types() const {
  if (config_.space == "darts") return {"normal", "reduce"};
  return {"cell"};
}

void DifferentiableSearcher::new_epoch(int epoch, int epochs) {
  if (epochs < 1 || epoch < 0 || epoch >= epochs) {
    throw bad_input("search: epoch " + std::to_string(epoch) + " of " + std::to_string(epochs) +
                    " (need 0 <= epoch < epochs)");
  }
  epoch_ = epoch;
  epochs_ = epochs;
  apply_schedule();
}

void DifferentiableSearcher::apply_schedule() {
  on_epoch();
  weights_lr_ = scheduled_weights_lr();
  for (auto& group : weights_optimiser_->param_groups()) {
    static_cast<torch::optim::SGDOptions&>(group.options()).lr(weights_lr_);
  }
}

double DifferentiableSearcher::scheduled_weights_lr() const { return cosine_lr(epoch_, epochs_); }

double DifferentiableSearcher::cosine_lr(int position, int length) const {
  // DARTS's CosineAnnealingLR stepped once per epoch: epoch e of E uses
  // lr_min + (lr - lr_min) (1 + cos(pi e / E)) / 2.
  if (length <= 0) return base_weights_lr_;
  const double progress = static_cast<double>(position) / static_cast<double>(length);
  return config_.weights.lr_min +
         (base_weights_lr_ - config_.weights.lr_min) * (1 + std::cos(kPi * progress)) / 2;
}

SearchStepStats DifferentiableSearcher::step(const Batch& train, const Batch& valid) {
  const Batch t{to_training_layout(train.images.to(device_), device_), train.labels.to(device_)};
  const Batch v{to_training_layout(valid.images.to(device_), device_), valid.labels.to(device_)};
  SearchStepStats stats;
  supernet_->train();
  const bool arch = !arch_frozen();
  if (weights_first()) {
    weight_step(t, stats);
    if (arch) arch_step(t, v, stats);
  } else {
    if (arch) arch_step(t, v, stats);
    weight_step(t, stats);
  }
  ++steps_;
  return stats;
}

void DifferentiableSearcher::arch_step(const Batch& /*train*/, const Batch& valid,
                                       SearchStepStats& stats) {
  const BatchLoss result = batch_loss(*supernet_, valid, config_.precision);
  apply_arch_gradients(torch::autograd::grad({result.loss}, supernet_->arch_parameters(), {},
                                             c10::nullopt, false, /*allow_unused=*/true));
  stats.arch_step = true;
  stats.valid_loss = result.loss.detach();
  stats.valid_accuracy = result.accuracy;
}

void DifferentiableSearcher::apply_arch_gradients(const std::vector<torch::Tensor>& grads) {
  const auto arch = supernet_->arch_parameters();
  for (std::size_t i = 0; i < arch.size(); ++i) {
    arch[i].mutable_grad() = grads[i].defined() ? grads[i] : torch::zeros_like(arch[i]);
  }
  // Data parallel: each rank saw its share of the batch; the step takes the batch's mean.
  dist::world().average_gradients(arch);
  arch_optimiser_->step();
}

void DifferentiableSearcher::weight_step(const Batch& train, SearchStepStats& stats) {
  const BatchLoss result = batch_loss(*supernet_, train, config_.precision);
  const auto weights = supernet_->weights();
  // Ops that did not run (GDAS) get no gradient, so SGD leaves them and their momentum alone,
  // as PyTorch does with zero_grad(set_to_none=True).
  const auto grads = torch::autograd::grad({result.loss}, weights, {}, c10::nullopt, false,
                                           /*allow_unused=*/true);
  for (std::size_t i = 0; i < weights.size(); ++i) weights[i].mutable_grad() = grads[i];
  // Ops without a gradient (GDAS) are the same on every rank: the ranks draw the same samples.
  dist::world().average_gradients(weights);
  clip_grad_norm(weights, config_.weights.grad_clip);
  weights_optimiser_->step();
  stats.train_loss = result.loss.detach();
  stats.train_accuracy = result.accuracy;
}

std::vector<torch::Tensor> DifferentiableSearcher::momentum_buffers() {
  std::vector<torch::Tensor> out;
  auto& state = weights_optimiser_->state();
  for (const auto& p : supernet_->weights()) {
    const auto it = state.find(compat::optimizer_state_key(p));
    out.push_back(it == state.end()
                      ? torch::Tensor()
                      : static_cast<torch::optim::SGDParamState&>(*it->second).momentum_buffer());
  }
  return out;
}

void DifferentiableSearcher::save(torch::serialize::OutputArchive& archive) {
  archive.write("method", c10::IValue(name_));
  archive.write("config", c10::IValue(config_.to_json().dump()));
  archive.write("epoch", c10::IValue(static_cast<std::int64_t>(epoch_)));
  archive.write("epochs", c10::IValue(static_cast<std::int64_t>(epochs_)));
  archive.write("steps", c10::IValue(steps_));
  save_state(archive);
  torch::serialize::OutputArchive net;
  supernet_->save(net);
  archive.write("supernet", net);
  torch::serialize::OutputArchive weights;
  weights_optimiser_->save(weights);
  archive.write("weights_optimiser", weights);
  torch::serialize::OutputArchive arch;
  arch_optimiser_->save(arch);
  archive.write("arch_optimiser", arch);
  auto generator = at::detail::getDefaultCPUGenerator();
  std::lock_guard<std::mutex> lock(generator.mutex());
  archive.write("cpu_generator", generator.get_state());
}

void DifferentiableSearcher::load(torch::serialize::InputArchive& archive) {
  const std::string method = read_string(archive, "method");
  if (method != name_) {
    throw bad_input("search checkpoint was written by method '" + method + "', not '" + name_ +
                    "'");
  }
  const std::string config = read_string(archive, "config");
  if (config != config_.to_json().dump()) {
    throw bad_input("search checkpoint was written with another search config: " + config);
  }
  epoch_ = static_cast<int>(read_int(archive, "epoch"));
  epochs_ = static_cast<int>(read_int(archive, "epochs"));
  steps_ = read_int(archive, "steps");
  load_state(archive);
  torch::serialize::InputArchive net;
  archive.read("supernet", net);
  supernet_->load(net);
  torch::serialize::InputArchive weights;
  archive.read("weights_optimiser", weights);
  weights_optimiser_->load(weights);
  torch::serialize::InputArchive arch;
  archive.read("arch_optimiser", arch);
  arch_optimiser_->load(arch);
  if (epochs_ > 0) apply_schedule();  // saved before the first new_epoch: nothing scheduled yet
  // Last: building a stage's supernet above drew from the generator.
  torch::Tensor state;
  archive.read("cpu_generator", state);
  auto generator = at::detail::getDefaultCPUGenerator();
  std::lock_guard<std::mutex> lock(generator.mutex());
  generator.set_state(state.to(torch::kCPU));
}

}  // namespace d2a::detail
