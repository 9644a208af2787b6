#include "d2a/meta/feature_training.h"

#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <random>

#include "d2a/data/task_sampler.h"
#include "d2a/data/tensor.h"
#include "d2a/error.h"
#include "d2a/train/augment.h"
#include "d2a/train/recipe.h"

namespace d2a {
namespace {

void validate(const FeatureTrainOptions& o) {
  if (o.epochs < 1) throw bad_input("features train: epochs must be >= 1");
  if (o.batch_size < 2) throw bad_input("features train: batch size must be >= 2");
  if (!(o.learning_rate > 0)) throw bad_input("features train: learning rate must be > 0");
  if (!(o.validation_fraction >= 0 && o.validation_fraction < 1)) {
    throw bad_input("features train: validation fraction must be in [0, 1)");
  }
  o.cnn.validate();
  if (o.input.image_size < 8) throw bad_input("features train: image size must be >= 8");
}

// Normalised by the caller; here [N, 1 or 3, S, S] in [0, 1] plus labels offset per source.
struct Union {
  torch::Tensor images;
  torch::Tensor labels;
  std::vector<std::string> class_names;
};

Union union_of(const std::vector<ImageSet>& sources, const FeatureInput& input) {
  if (sources.empty()) throw bad_input("features train: no image sources");
  TensorSpec spec;
  spec.height = spec.width = input.image_size;
  spec.channels = input.grey ? 1 : 3;
  Union u;
  std::vector<torch::Tensor> images, labels;
  std::int64_t offset = 0;
  for (const ImageSet& set : sources) {
    if (set.size() == 0) throw bad_input(set.source + ": no images");
    images.push_back(images_to_tensor(set, spec));
    labels.push_back(labels_to_tensor(set) + offset);
    for (const auto& name : set.class_names) u.class_names.push_back(set.source + "/" + name);
    offset += static_cast<std::int64_t>(set.num_classes());
  }
  u.images = torch::cat(images);
  u.labels = torch::cat(labels);
  return u;
}

double accuracy_of(FeatureCnn& cnn, torch::nn::Linear& head, const torch::Tensor& images,
                   const torch::Tensor& labels, int64_t channels, int batch) {
  if (images.size(0) == 0) return 0;
  torch::NoGradGuard no_grad;
  cnn->eval();
  std::int64_t correct = 0;
  for (std::int64_t start = 0; start < images.size(0); start += batch) {
    const std::int64_t len = std::min<std::int64_t>(batch, images.size(0) - start);
    const torch::Tensor x = images.narrow(0, start, len).expand({-1, channels, -1, -1});
    correct += head->forward(cnn->forward(x)).argmax(1).eq(labels.narrow(0, start, len)).sum().item<std::int64_t>();
  }
  return 100.0 * static_cast<double>(correct) / static_cast<double>(images.size(0));
}

}  // namespace

FeatureTrainResult train_feature_extractor(
    const std::vector<ImageSet>& sources, const FeatureTrainOptions& options,
    const std::function<void(const FeatureTrainEpoch&)>& progress) {
  validate(options);
  Union data = union_of(sources, options.input);
  FeatureInput input = options.input;
  // One statistic for all channels: grey images replicated must stay identical per channel.
  const float mean = data.images.mean().item<float>();
  const float stdev = std::max(data.images.std().item<float>(), 1e-3f);
  input.mean = {mean};
  input.std = {stdev};
  data.images = (data.images - mean) / stdev;

  // Hold out a seeded fraction of each class.
  std::mt19937_64 rng(options.seed);
  const std::int64_t classes = static_cast<std::int64_t>(data.class_names.size());
  std::vector<std::vector<std::int64_t>> by_class(classes);
  const auto label_data = data.labels.accessor<std::int64_t, 1>();
  for (std::int64_t i = 0; i < data.labels.size(0); ++i) by_class[label_data[i]].push_back(i);
  std::vector<std::int64_t> train_idx, val_idx;
  for (const auto& members : by_class) {
    const auto held = static_cast<std::size_t>(std::floor(options.validation_fraction * members.size()));
    const auto order = sample_without_replacement(rng, members.size(), members.size());
    for (std::size_t j = 0; j < order.size(); ++j) {
      (j < held ? val_idx : train_idx).push_back(members[order[j]]);
    }
  }
  const torch::Tensor train_sel = torch::tensor(train_idx, torch::kLong);
  const torch::Tensor val_sel = torch::tensor(val_idx, torch::kLong);
  const torch::Tensor train_x = data.images.index_select(0, train_sel);
  const torch::Tensor train_y = data.labels.index_select(0, train_sel);
  const torch::Tensor val_x = data.images.index_select(0, val_sel);
  const torch::Tensor val_y = data.labels.index_select(0, val_sel);

  torch::manual_seed(options.seed);
  FeatureCnn cnn(options.cnn);
  torch::nn::Linear head(options.cnn.feature_dim(), classes);
  std::vector<torch::Tensor> params = cnn->parameters();
  for (const auto& p : head->parameters()) params.push_back(p);
  torch::optim::SGD optimizer(params, torch::optim::SGDOptions(options.learning_rate)
                                          .momentum(0.9)
                                          .nesterov(true)
                                          .weight_decay(options.weight_decay));
  TrainRecipe recipe;  // only its augmentation and cosine schedule are used
  recipe.epochs = options.epochs;
  recipe.learning_rate = options.learning_rate;
  recipe.horizontal_flip = false;  // glyphs and digits are not mirror-symmetric
  recipe.random_crop = true;

  const std::int64_t n = train_x.size(0);
  const std::int64_t steps = (n + options.batch_size - 1) / options.batch_size;
  const std::int64_t channels = options.cnn.in_channels();
  std::vector<FeatureTrainEpoch> reports;
  const auto start = std::chrono::steady_clock::now();
  for (int epoch = 0; epoch < options.epochs; ++epoch) {
    cnn->train();
    const auto order = sample_without_replacement(rng, static_cast<std::size_t>(n), static_cast<std::size_t>(n));
    std::vector<std::int64_t> order64(order.begin(), order.end());
    const torch::Tensor perm = torch::tensor(order64, torch::kLong);
    double loss_sum = 0;
    std::int64_t correct = 0;
    for (std::int64_t b = 0; b < steps; ++b) {
      const std::int64_t first = b * options.batch_size;
      const std::int64_t len = std::min<std::int64_t>(options.batch_size, n - first);
      const torch::Tensor idx = perm.narrow(0, first, len);
      const torch::Tensor x = augment_batch(train_x.index_select(0, idx), recipe, rng)
                                  .expand({-1, channels, -1, -1});
      const torch::Tensor y = train_y.index_select(0, idx);
      const double lr = cosine_learning_rate(recipe, epoch * steps + b, options.epochs * steps);
      for (auto& group : optimizer.param_groups()) {
        static_cast<torch::optim::SGDOptions&>(group.options()).lr(lr);
      }
      optimizer.zero_grad();
      const torch::Tensor logits = head->forward(cnn->forward(x));
      const torch::Tensor loss = torch::cross_entropy_loss(logits, y);
      loss.backward();
      optimizer.step();
      loss_sum += loss.item<double>() * static_cast<double>(len);
      correct += logits.detach().argmax(1).eq(y).sum().item<std::int64_t>();
    }
    FeatureTrainEpoch report;
    report.epoch = epoch;
    report.epochs = options.epochs;
    report.train_loss = loss_sum / static_cast<double>(n);
    report.train_accuracy = 100.0 * static_cast<double>(correct) / static_cast<double>(n);
    report.validation_accuracy = accuracy_of(cnn, head, val_x, val_y, channels, 512);
    report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    reports.push_back(report);
    if (progress) progress(report);
  }
  return FeatureTrainResult{FeatureExtractor::from_cnn(cnn, input), std::move(reports), classes, n,
                            val_x.size(0), std::move(data.class_names)};
}

}  // namespace d2a
