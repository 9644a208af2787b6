#include "d2a/train/trainer.h"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "d2a/data/tensor.h"
#include "d2a/dist/process_group.h"
#include "d2a/dist/share_balance.h"
#include "d2a/error.h"
#include "d2a/nn/grad_clip.h"
#include "d2a/train/augment.h"
#include "d2a/train/flat_sgd.h"
#include "d2a/train/layout.h"
#include "d2a/train/precision.h"
#include "d2a/train/resident_images.h"

namespace d2a {
namespace {

void check_data(const TrainData& data, const std::string& which) {
  const std::string what = which + " data: ";
  if (!data.images.defined() || data.images.dim() != 4) {
    throw bad_input(what + "images must be [N, C, H, W]");
  }
  if (data.images.scalar_type() != torch::kFloat) throw bad_input(what + "images must be float32");
  if (data.images.size(1) != 1 && data.images.size(1) != 3) {
    throw bad_input(what + "images must have 1 or 3 channels, not " +
                    std::to_string(data.images.size(1)));
  }
  if (data.images.size(2) < 8 || data.images.size(3) < 8) {
    throw bad_input(what + "images must be at least 8x8, not " +
                    std::to_string(data.images.size(2)) + "x" +
                    std::to_string(data.images.size(3)));
  }
  if (!data.labels.defined() || data.labels.dim() != 1 ||
      data.labels.scalar_type() != torch::kLong) {
    throw bad_input(what + "labels must be a 1-D int64 tensor");
  }
  if (data.labels.size(0) != data.images.size(0) || data.images.size(0) == 0) {
    throw bad_input(what + std::to_string(data.images.size(0)) + " images but " +
                    std::to_string(data.labels.size(0)) + " labels (need the same, at least 1)");
  }
  if (data.labels.min().item<std::int64_t>() < 0) throw bad_input(what + "negative label");
}

std::int64_t num_batches(std::int64_t n, int batch_size) {
  return (n + batch_size - 1) / batch_size;
}

// image_size x image_size, the channels of `reference`, normalised by its per-channel statistics.
TensorSpec normalising_spec(const ImageSet& reference, int image_size) {
  const ChannelStats stats = channel_stats(reference);
  TensorSpec spec;
  spec.height = spec.width = image_size;
  spec.channels = reference.channels;
  spec.mean = stats.mean;
  spec.std = stats.std;
  return spec;
}

}  // namespace

TrainTestData make_train_test_data(const ImageSet& train, const ImageSet& test, int image_size) {
  const TensorSpec spec = normalising_spec(train, image_size);
  return {{images_to_tensor(train, spec), labels_to_tensor(train), spec.mean, spec.std},
          {images_to_tensor(test, spec), labels_to_tensor(test), spec.mean, spec.std}};
}

TrainData make_train_data(const ImageSet& set, int image_size) {
  const TensorSpec spec = normalising_spec(set, image_size);
  return {images_to_tensor(set, spec), labels_to_tensor(set), spec.mean, spec.std};
}

void clear_gradients(const std::vector<torch::Tensor>& parameters) {
  for (const torch::Tensor& p : parameters) {
    if (p.grad().defined()) p.mutable_grad() = torch::Tensor();
  }
}

EvalResult evaluate(const TrainableNetwork& network, const TrainData& data, int batch_size,
                    torch::Device device) {
  check_data(data, "evaluation");
  if (batch_size <= 0) {
    throw bad_input("evaluation batch size " + std::to_string(batch_size) + " (must be positive)");
  }
  torch::NoGradGuard no_grad;
  network.module->eval();
  const std::int64_t n = data.images.size(0);
  std::int64_t correct = 0;
  double loss_sum = 0;
  for (std::int64_t start = 0; start < n; start += batch_size) {
    const std::int64_t len = std::min<std::int64_t>(batch_size, n - start);
    const torch::Tensor x = to_training_layout(data.images.narrow(0, start, len).to(device), device);
    const torch::Tensor y = data.labels.narrow(0, start, len).to(device);
    const torch::Tensor logits = network.forward(x).logits;
    loss_sum += torch::cross_entropy_loss(logits, y, {}, at::Reduction::Sum).item<double>();
    correct += logits.argmax(1).eq(y).sum().item<std::int64_t>();
  }
  return {100.0 * static_cast<double>(correct) / static_cast<double>(n),
          loss_sum / static_cast<double>(n)};
}

namespace {

TrainableNetwork trainable(const Nb201Network& network) {
  return {network.ptr(),
          [impl = network.ptr()](const torch::Tensor& images) {
            return TrainOutput{impl->forward(images), {}};
          },
          {},
          network->num_parameters()};
}

}  // namespace

EvalResult evaluate(Nb201Network& network, const TrainData& data, int batch_size,
                    torch::Device device) {
  return evaluate(trainable(network), data, batch_size, device);
}

TrainStats train_network(const NetworkBuilder& build, const TrainData& train,
                         const TrainData& test, const TrainRecipe& recipe, std::uint64_t seed,
                         torch::Device device, const TrainCallback& progress) {
  recipe.validate();
  check_data(train, "training");
  check_data(test, "test");
  if (train.images.sizes().slice(1) != test.images.sizes().slice(1)) {
    throw bad_input("training images are " + c10::str(train.images.sizes().slice(1)) +
                    " but test images are " + c10::str(test.images.sizes().slice(1)));
  }
  const int num_classes = static_cast<int>(std::max(train.labels.max().item<std::int64_t>(),
                                                    test.labels.max().item<std::int64_t>())) +
                          1;

  torch::manual_seed(seed);
  std::mt19937_64 rng(seed);
  TrainStats result;
  result.seed = seed;
  result.epochs = recipe.epochs;
  const TrainableNetwork net =
      build(static_cast<int>(train.images.size(1)), std::max(num_classes, 2));
  net.module->to(device);
  use_training_layout(*net.module, device);
  result.num_parameters = net.num_parameters;
  // Data parallel (dist::world() joined a job): every rank draws the same order and
  // augmentation from the same seed, takes its share of each batch, and the gradients are
  // averaged, so the ranks step like one process on the whole batch.
  dist::ProcessGroup& group = dist::world();
  const int world_size = group.world_size();
  group.broadcast_module(*net.module);
  const double communication_before = group.communication_seconds();
  result.world_size = world_size;

  const std::vector<torch::Tensor> parameters = net.module->parameters();
  // Parameters and gradients in two flat buffers: a step's optimiser update, zeroing and
  // all-reduce are a few operations on them, not a few per parameter (train/flat_sgd.h).
  FlatSgd optimizer(parameters,
                    {recipe.learning_rate, recipe.momentum, recipe.weight_decay, recipe.nesterov});
  optimizer.average_gradients_over(group, group.options().bucket_bytes);
  // The training images go to the device once (as uint8 pixels where exact): each step picks,
  // decodes and augments its batch there, so no step waits on a copy from the host.
  const ResidentImages resident(train, device);
  const std::int64_t n = resident.size();
  const std::int64_t steps_per_epoch = num_batches(n, recipe.batch_size);
  const std::int64_t total_steps = steps_per_epoch * recipe.epochs;
  // Equal shares unless --balance: fixed weights, or each rank's measured speed (every few
  // steps the ranks all-reduce their images per second and move the split toward it).
  dist::ShareBalancer balancer(group.options().balance, world_size);
  std::vector<std::int64_t> order(n);
  std::iota(order.begin(), order.end(), 0);

  const auto start = std::chrono::steady_clock::now();
  std::int64_t step = 0;
  for (int epoch = 0; epoch < recipe.epochs; ++epoch) {
    net.module->train();
    if (net.start_epoch) net.start_epoch(epoch, recipe.epochs);
    std::shuffle(order.begin(), order.end(), rng);
    const torch::Tensor perm = torch::tensor(order, torch::kLong).to(device);
    torch::Tensor loss_sum = torch::zeros({}, torch::TensorOptions().device(device));
    torch::Tensor correct =
        torch::zeros({}, torch::TensorOptions().dtype(torch::kLong).device(device));
    for (std::int64_t b = 0; b < steps_per_epoch; ++b, ++step) {
      const std::int64_t first = b * recipe.batch_size;
      const std::int64_t len = std::min<std::int64_t>(recipe.batch_size, n - first);
      const double lr = cosine_learning_rate(recipe, step, total_steps);
      // A last batch smaller than the world would leave a rank without images: every rank
      // skips it (the only step in which ranks and one process differ).
      if (world_size > 1 && len < world_size) continue;
      const auto step_start = std::chrono::steady_clock::now();
      const auto [share_first, share] = balancer.share(len, group.rank());
      const torch::Tensor idx = perm.narrow(0, first + share_first, share);
      const torch::Tensor x = to_training_layout(
          augment_batch_share(resident.images(idx), recipe, rng, share_first, len), device);
      const torch::Tensor y = resident.labels(idx);
      optimizer.zero_grad();
      TrainOutput out;
      {
        const PrecisionScope scope(recipe.precision, device);
        out = net.forward(x);
      }
      torch::Tensor loss = torch::cross_entropy_loss(with_full_precision(out.logits), y);
      if (recipe.auxiliary_weight > 0 && out.aux_logits.defined()) {
        loss = loss + recipe.auxiliary_weight *
                          torch::cross_entropy_loss(with_full_precision(out.aux_logits), y);
      }
      // Weighted by the share's size, so the averaged gradient is the whole batch's mean.
      const double weight = static_cast<double>(share * world_size) / static_cast<double>(len);
      (world_size > 1 ? loss * weight : loss).backward();
      // This rank's own work ends here; what follows waits for the others.
      const double own_seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - step_start).count();
      optimizer.average_gradients();
      if (recipe.grad_clip > 0) clip_grad_norm(parameters, recipe.grad_clip);
      optimizer.step(lr);
      const torch::Tensor batch_loss = loss.detach();
      loss_sum += batch_loss * static_cast<double>(share);
      correct += out.logits.detach().argmax(1).eq(y).sum();
      if (balancer.record(own_seconds, share)) {
        torch::Tensor rates = torch::zeros({world_size}, torch::kDouble);
        rates[group.rank()] = balancer.take_rate();
        group.all_reduce_sum({rates});
        balancer.update({rates.data_ptr<double>(), rates.data_ptr<double>() + world_size});
      }
      if (progress) {
        progress({epoch, recipe.epochs, step + 1, total_steps, lr, batch_loss});
      }
    }
    torch::Tensor totals = torch::stack({loss_sum.to(torch::kDouble), correct.to(torch::kDouble)});
    group.all_reduce_sum({totals});
    result.train_loss = totals[0].item<double>() / static_cast<double>(n);
    result.train_accuracy = 100.0 * totals[1].item<double>() / static_cast<double>(n);
  }
  result.train_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  result.communication_seconds = group.communication_seconds() - communication_before;
  result.share_fractions = balancer.fractions();
  result.share_updates = balancer.updates();
  // BatchNorm's running statistics differ between ranks unless synchronised: rank 0's are
  // everyone's (as DDP broadcasts buffers), so every rank evaluates the same network.
  group.broadcast_module(*net.module);
  result.images_per_second =
      static_cast<double>(n) * recipe.epochs / std::max(result.train_seconds, 1e-9);

  const EvalResult eval = evaluate(net, test, recipe.batch_size, device);
  result.test_accuracy = eval.accuracy;
  result.test_loss = eval.loss;
  return result;
}

void check_nb201_budget(const Budget& budget) {
  if (budget.recipe.auxiliary_weight > 0 || budget.recipe.drop_path > 0) {
    throw bad_input("budget '" + budget.name +
                    "' asks for an auxiliary head or drop path, which only DARTS networks have; "
                    "choose another budget for a NAS-Bench-201 cell");
  }
}

TrainResult train_and_evaluate(const Nb201Cell& cell, const TrainData& train, const TrainData& test,
                               const Budget& budget, std::uint64_t seed, torch::Device device,
                               const TrainCallback& progress) {
  budget.validate();
  check_nb201_budget(budget);
  TrainResult result;
  auto build = [&](int input_channels, int num_classes) {
    Nb201MacroConfig macro = budget.macro_config(input_channels, num_classes);
    macro.image_size = static_cast<int>(train.images.size(2));
    result.network = Nb201Network(Nb201NetworkOptions(cell, macro));
    return trainable(result.network);
  };
  static_cast<TrainStats&>(result) =
      train_network(build, train, test, budget.recipe, seed, device, progress);
  return result;
}

}  // namespace d2a
