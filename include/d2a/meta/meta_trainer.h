#pragma once
// Meta-training MetaD2A on a MetaTrainingSet (meta/meta_training_set.h).
//
//  - Tasks are split, seeded, into training and validation tasks (never records of one task on
//    both sides), so validation measures generalisation to unseen datasets.
//  - Predictor: MSE on standardised accuracy (mean/std of the training records). Each batch holds
//    `batch_size` records; each record's dataset is a fresh draw of `images_per_class` feature
//    vectors per class (MetaD2A re-draws at every access). Validation: Spearman between the
//    predictions (averaged over `validation_draws` fixed draws) and the recorded accuracies,
//    per validation task, averaged over tasks; the predictor of the best epoch is kept.
//  - Generator: the VAE objective on (task, good cell) pairs, the top `generator_top_k` cells
//    of each training task by accuracy; validation is the same loss on the validation tasks'
//    pairs in eval mode; the generator of the best epoch by that loss is kept.
//  - Benchmark columns (optional; meta/bench_columns.h): each column (e.g. NAS-Bench-201
//    CIFAR-100 test accuracy of all 15,625 cells) is an extra task without images. Its dataset
//    vector is a free parameter learned with the predictor instead of the set encoder's output,
//    and its accuracies are standardised within the column. Each predictor step adds a batch of
//    `batch_size` cells drawn from the columns, weighted by `bench_weight`. The graph encoder and
//    the head are shared, so the dense cell-quality signal of the columns shapes the cell
//    embedding that the (sparse) database records alone could not; the shipped predictor is an
//    ordinary Predictor (the learned column vectors are not part of it).
//    With bench_use = "prior" instead, the predictor gets a dataset-agnostic prior term
//    (PredictorOptions::prior): benchmark batches train prior(cell) alone on the columns, and
//    database batches train the dataset-conditioned residual on accuracy - prior(cell) (the prior
//    detached), so what the columns teach carries over to a new dataset at suggest time instead
//    of living in column vectors that no new dataset can reuse.
// Randomness: everything of epoch e derives from (seed, e), so a resumed run repeats the
// uninterrupted one for the same thread count.
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

#include "d2a/meta/bench_columns.h"
#include "d2a/meta/generator.h"
#include "d2a/meta/meta_training_set.h"
#include "d2a/meta/predictor.h"

namespace d2a {

struct MetaTrainOptions {
  int epochs = 30;
  int batch_size = 32;
  double learning_rate = 1e-3;  // Adam; the paper uses 1e-4 for 400 epochs
  int images_per_class = 20;
  double validation_fraction = 0.15;  // of the tasks (at least one when there are >= 2)
  int validation_draws = 3;
  int generator_top_k = 5;
  bool train_generator = true;
  double bench_weight = 1.0;
  std::string bench_use = "task";  // "task" or "prior" (see above)
  int bench_batch = 0;             // cells per benchmark batch; 0 = batch_size
  double gradient_clip = 5.0;  // max global gradient norm per step (0 = none)
  // How database accuracies become targets: "all" (one mean and std over every training
  // record, MetaD2A's) or "task" (within each task, so that a task's difficulty is not part of
  // what the cell terms must explain; the predictor then gets a task head that predicts each
  // task's mean and spread from its dataset vector, for accuracy estimates in percent).
  std::string standardise = "all";
  int64_t graph_hidden = 512;  // GRU width of the predictor's encoder and the generator's decoder
  std::uint64_t seed = 0;

  // Throws d2a::Error (bad input) naming the first field out of range.
  void validate() const;
  nlohmann::json to_json() const;
};

struct MetaEpochReport {
  int epoch = 0;  // 1-based
  double predictor_loss = 0;       // mean MSE over the epoch's database batches
  double bench_loss = 0;           // mean MSE of the benchmark batches (0 without columns)
  double generator_loss = 0;       // mean training VAE loss
  double validation_spearman = 0;  // mean per-task Spearman on the validation tasks
  // bench_use "prior": Spearman of prior(cell) against the held-out benchmark cells (a seeded
  // share of each column that the prior never trains on), mean over columns; 0 otherwise. The
  // kept predictor is the epoch with the best validation_spearman + validation_prior_spearman.
  double validation_prior_spearman = 0;
  double validation_mse = 0;       // predictor MSE (standardised) on the validation records
  double validation_generator_loss = 0;
  double seconds = 0;              // this epoch, validation included
  bool best_predictor = false;     // this epoch's predictor is the best so far
  bool best_generator = false;
  nlohmann::json to_json() const;
  static MetaEpochReport from_json(const nlohmann::json& json);
};

class MetaTrainer {
 public:
  // Splits the tasks, standardises the targets, builds fresh modules (torch's global generator
  // seeded with options.seed). Throws d2a::Error (bad input) when the set has no samples, fewer
  // than 2 tasks, or features of another dimension than it says.
  MetaTrainer(MetaTrainingSet data, std::vector<BenchColumn> bench, MetaTrainOptions options);

  // Trains one epoch, validates, updates the best modules. Returns the report (also kept in
  // history()).
  MetaEpochReport train_epoch();

  // The checkpoint of the current state: modules, optimisers, column vectors, best modules and
  // history, under `dir` (created; each file replaced atomically).
  void save_checkpoint(const std::string& dir) const;
  // Restores a checkpoint written by save_checkpoint for the same data and options. Throws
  // d2a::Error (bad input) naming the file when it is missing, damaged, or was made with other
  // data, columns or options.
  void load_checkpoint(const std::string& dir);

  int epochs_done() const { return static_cast<int>(history_.size()); }
  const std::vector<MetaEpochReport>& history() const { return history_; }
  const MetaTrainOptions& options() const { return options_; }
  const MetaTrainingSet& data() const { return data_; }
  // Clones of the best modules so far (the current ones before any epoch), in eval mode.
  Predictor best_predictor() const;
  Generator best_generator() const;
  int best_predictor_epoch() const { return best_predictor_epoch_; }
  int best_generator_epoch() const { return best_generator_epoch_; }
  // The target of a sample: its accuracy standardised as options().standardise says.
  double target(int sample) const;
  double accuracy_mean() const { return accuracy_mean_; }
  double accuracy_std() const { return accuracy_std_; }
  std::vector<std::string> validation_task_ids() const;
  std::size_t train_samples() const { return train_samples_.size(); }
  std::size_t validation_samples() const { return validation_samples_.size(); }
  // Provenance for model.json: split, standardisation, columns, options, fingerprint.
  nlohmann::json describe() const;

  // Validation of the current predictor (eval mode, fixed draws): mean per-task Spearman and
  // the MSE of standardised predictions.
  std::pair<double, double> validate_predictor();
  // Mean over columns of the Spearman of prior(cell) on the held-out benchmark cells (0 without
  // a prior).
  double validate_prior();

 private:
  // Dataset vectors of `sample_tasks` (positions in data_.tasks), one fresh draw each, grouped
  // by shape so that each group is one set-encoder call: -> [B, Ds].
  // Draws for all of them but encodes only positions [first, first + count) (a data-parallel
  // rank's share), so that every rank's generator stream stays the same: -> [count, Ds].
  torch::Tensor encode_draws(const std::function<torch::Tensor(const torch::Tensor&)>& encode,
                             const std::vector<int>& sample_tasks, std::mt19937_64& rng,
                             std::size_t first = 0, std::size_t count = SIZE_MAX) const;
  // The same as feature tensors for the generator, which encodes internally: calls
  // `loss(features [G, K, n, D], codes [G, 6])` per group, returns the size-weighted mean.
  double generator_step(const std::vector<int>& pairs, std::mt19937_64& rng, bool train);
  double validate_generator();
  std::string fingerprint() const;
  bool uses_prior() const { return !bench_.empty() && options_.bench_use == "prior"; }

  MetaTrainingSet data_;
  std::vector<BenchColumn> bench_;
  MetaTrainOptions options_;
  std::vector<int> train_samples_, validation_samples_;  // positions in data_.samples
  std::vector<bool> is_validation_task_;
  std::vector<int> train_pairs_, validation_pairs_;  // generator pairs: positions in data_.samples
  double accuracy_mean_ = 0, accuracy_std_ = 1;
  // Per task (standardise "task"): its records' mean and standard deviation in percent.
  std::vector<double> task_accuracy_mean_, task_accuracy_std_;
  std::vector<double> bench_mean_, bench_std_;
  torch::Tensor bench_codes_;  // [C * cells, 6]
  torch::Tensor bench_targets_;  // [C * cells] standardised
  std::vector<int64_t> bench_train_rows_;       // rows of bench_codes_ the batches draw from
  std::vector<std::vector<int64_t>> bench_validation_rows_;  // per column (prior use only)
  torch::Tensor bench_column_;   // [C * cells] column index

  Predictor predictor_{nullptr};
  Generator generator_{nullptr};
  torch::Tensor bench_vectors_;  // [C, Ds] learned dataset vectors of the columns
  std::unique_ptr<torch::optim::Adam> predictor_optimizer_, generator_optimizer_;
  Predictor best_predictor_{nullptr};
  Generator best_generator_{nullptr};
  int best_predictor_epoch_ = 0, best_generator_epoch_ = 0;
  double best_spearman_ = -2, best_generator_loss_ = 0;
  std::vector<MetaEpochReport> history_;
};

}  // namespace d2a
