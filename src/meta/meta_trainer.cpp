#include "d2a/meta/meta_trainer.h"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "d2a/data/task_sampler.h"
#include "d2a/dist/process_group.h"
#include "d2a/error.h"
#include "d2a/meta/cell_batch.h"
#include "d2a/meta/model_dir.h"
#include "d2a/meta/rank_correlation.h"
#include "d2a/nn/grad_clip.h"
#include "fnv1a.h"

namespace d2a {
namespace fs = std::filesystem;
namespace {

constexpr const char* kStateFile = "state.json";
constexpr const char* kTrainerStateFile = "trainer_state.pt";
constexpr std::uint64_t kValidationStream = 0x76616c6964ull;  // fixed draws, same every epoch
constexpr double kPriorValidationShare = 0.05;  // of each benchmark column, with bench_use "prior"

std::mt19937_64 stream(std::uint64_t seed, std::uint64_t epoch, std::uint64_t salt = 0) {
  std::seed_seq seq{static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32),
                    static_cast<std::uint32_t>(epoch), static_cast<std::uint32_t>(salt),
                    static_cast<std::uint32_t>(salt >> 32)};
  return std::mt19937_64(seq);
}

std::vector<int> shuffled(const std::vector<int>& items, std::mt19937_64& rng) {
  std::vector<int> out;
  out.reserve(items.size());
  for (std::size_t i : sample_without_replacement(rng, items.size(), items.size())) out.push_back(items[i]);
  return out;
}

void mean_std(const std::vector<double>& values, double& mean, double& stdev) {
  mean = 0;
  for (double v : values) mean += v;
  mean /= std::max<std::size_t>(values.size(), 1);
  double var = 0;
  for (double v : values) var += (v - mean) * (v - mean);
  stdev = std::sqrt(var / std::max<std::size_t>(values.size(), 1));
  if (!(stdev > 1e-8)) stdev = 1.0;  // constant targets: nothing to scale
}

template <typename Module>
Module clone_eval(const Module& module) {
  auto copy = std::dynamic_pointer_cast<typename Module::ContainedType>(module->clone());
  Module holder(copy);
  holder->eval();
  return holder;
}

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw bad_input(path.string() + ": cannot open (not a meta-training checkpoint)");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

void MetaTrainOptions::validate() const {
  auto check = [](bool ok, const std::string& what) {
    if (!ok) throw bad_input("meta-train: " + what);
  };
  check(epochs >= 1, "epochs must be >= 1");
  check(batch_size >= 1, "batch size must be >= 1");
  check(learning_rate > 0 && learning_rate < 1, "learning rate must be in (0, 1)");
  check(images_per_class >= 1, "images per class must be >= 1");
  check(validation_fraction >= 0 && validation_fraction <= 0.9, "validation fraction must be in [0, 0.9]");
  check(validation_draws >= 1, "validation draws must be >= 1");
  check(generator_top_k >= 1, "generator top-k must be >= 1");
  check(bench_weight >= 0, "benchmark weight must be >= 0");
  check(bench_use == "task" || bench_use == "prior",
        "benchmark use must be 'task' or 'prior', got '" + bench_use + "'");
  check(bench_batch >= 0, "benchmark batch must be >= 0 (0 = the batch size)");
  check(gradient_clip >= 0, "gradient clip must be >= 0");
  check(graph_hidden >= 1 && graph_hidden <= 4096, "graph hidden width must be in [1, 4096]");
  check(standardise == "all" || standardise == "task",
        "standardise must be 'all' or 'task', got '" + standardise + "'");
}

nlohmann::json MetaTrainOptions::to_json() const {
  nlohmann::json json = {{"epochs", epochs},
          {"batch_size", batch_size},
          {"learning_rate", learning_rate},
          {"optimizer", "adam"},
          {"images_per_class", images_per_class},
          {"validation_fraction", validation_fraction},
          {"validation_draws", validation_draws},
          {"generator_top_k", generator_top_k},
          {"train_generator", train_generator},
          {"bench_weight", bench_weight},
          {"bench_use", bench_use},
          {"bench_batch", bench_batch},
          {"graph_hidden", graph_hidden},
          {"gradient_clip", gradient_clip},
          {"seed", seed}};
  // Written only when it differs from MetaD2A's, so that earlier checkpoints still match.
  if (standardise != "all") json["standardise"] = standardise;
  return json;
}

nlohmann::json MetaEpochReport::to_json() const {
  return {{"epoch", epoch},
          {"predictor_loss", predictor_loss},
          {"bench_loss", bench_loss},
          {"generator_loss", generator_loss},
          {"validation_spearman", validation_spearman},
          {"validation_prior_spearman", validation_prior_spearman},
          {"validation_mse", validation_mse},
          {"validation_generator_loss", validation_generator_loss},
          {"seconds", seconds},
          {"best_predictor", best_predictor},
          {"best_generator", best_generator}};
}

MetaEpochReport MetaEpochReport::from_json(const nlohmann::json& json) {
  MetaEpochReport r;
  r.epoch = json.at("epoch").get<int>();
  r.predictor_loss = json.at("predictor_loss").get<double>();
  r.bench_loss = json.at("bench_loss").get<double>();
  r.generator_loss = json.at("generator_loss").get<double>();
  r.validation_spearman = json.at("validation_spearman").get<double>();
  r.validation_prior_spearman = json.value("validation_prior_spearman", 0.0);
  r.validation_mse = json.at("validation_mse").get<double>();
  r.validation_generator_loss = json.at("validation_generator_loss").get<double>();
  r.seconds = json.at("seconds").get<double>();
  r.best_predictor = json.at("best_predictor").get<bool>();
  r.best_generator = json.at("best_generator").get<bool>();
  return r;
}

MetaTrainer::MetaTrainer(MetaTrainingSet data, std::vector<BenchColumn> bench,
                         MetaTrainOptions options)
    : data_(std::move(data)), bench_(std::move(bench)), options_(options) {
  options_.validate();
  if (data_.samples.empty()) throw bad_input("meta-train: the databases hold no records");
  const auto num_tasks = data_.tasks.size();
  if (num_tasks < 2) throw bad_input("meta-train: needs at least 2 tasks with records, got " + std::to_string(num_tasks));
  for (const MetaTask& task : data_.tasks) {
    if (task.features.dim() != 3 || task.features.size(2) != data_.feature_dim || task.features.size(1) < 1) {
      throw bad_input("meta-train: task '" + task.id + "' has features " + c10::str(task.features.sizes()) +
                      ", expected [K, P, " + std::to_string(data_.feature_dim) + "]");
    }
  }

  // Split by task.
  std::mt19937_64 rng = stream(options_.seed, 0, 1);
  std::size_t num_val = 0;
  if (options_.validation_fraction > 0) {
    num_val = static_cast<std::size_t>(std::lround(options_.validation_fraction * num_tasks));
    num_val = std::clamp<std::size_t>(num_val, 1, num_tasks - 1);
  }
  is_validation_task_.assign(num_tasks, false);
  for (std::size_t i : sample_without_replacement(rng, num_tasks, num_val)) is_validation_task_[i] = true;
  std::map<int, std::vector<int>> by_task;
  for (std::size_t s = 0; s < data_.samples.size(); ++s) {
    const int task = data_.samples[s].task;
    (is_validation_task_[task] ? validation_samples_ : train_samples_).push_back(static_cast<int>(s));
    by_task[task].push_back(static_cast<int>(s));
  }
  if (train_samples_.empty()) throw bad_input("meta-train: no training records after the split");

  std::vector<double> train_acc;
  for (int s : train_samples_) train_acc.push_back(data_.samples[s].accuracy);
  mean_std(train_acc, accuracy_mean_, accuracy_std_);
  task_accuracy_mean_.assign(num_tasks, 0.0);
  task_accuracy_std_.assign(num_tasks, 1.0);
  for (const auto& [task, members] : by_task) {
    std::vector<double> acc;
    for (int s : members) acc.push_back(data_.samples[s].accuracy);
    mean_std(acc, task_accuracy_mean_[task], task_accuracy_std_[task]);
  }

  // Generator pairs: the top-k cells of each task (ties broken by record order).
  for (auto& [task, members] : by_task) {
    std::stable_sort(members.begin(), members.end(), [&](int a, int b) {
      return data_.samples[a].accuracy > data_.samples[b].accuracy;
    });
    const std::size_t k = std::min<std::size_t>(members.size(), options_.generator_top_k);
    auto& pairs = is_validation_task_[task] ? validation_pairs_ : train_pairs_;
    pairs.insert(pairs.end(), members.begin(), members.begin() + k);
  }

  // Benchmark columns: standardised within each column.
  std::vector<torch::Tensor> codes, targets, columns;
  for (std::size_t c = 0; c < bench_.size(); ++c) {
    const BenchColumn& column = bench_[c];
    if (column.cells.size() != column.accuracy.size() || column.cells.empty()) {
      throw bad_input("meta-train: benchmark column '" + column.metric + "' has no cells");
    }
    std::vector<double> acc(column.accuracy.begin(), column.accuracy.end());
    double mean = 0, stdev = 1;
    mean_std(acc, mean, stdev);
    bench_mean_.push_back(mean);
    bench_std_.push_back(stdev);
    codes.push_back(cells_to_op_codes(column.cells));
    targets.push_back((torch::tensor(column.accuracy, torch::kFloat32) - mean) / stdev);
    columns.push_back(torch::full({static_cast<int64_t>(column.cells.size())}, static_cast<int64_t>(c), torch::kLong));
  }
  if (!bench_.empty()) {
    bench_codes_ = torch::cat(codes);
    bench_targets_ = torch::cat(targets);
    bench_column_ = torch::cat(columns);
    // With a prior, a seeded share of each column's cells validates it and is never trained on.
    std::mt19937_64 split_rng = stream(options_.seed, 0, 2);
    int64_t first_row = 0;
    for (const BenchColumn& column : bench_) {
      const auto n = static_cast<std::size_t>(column.cells.size());
      std::vector<bool> held_out(n, false);
      if (uses_prior()) {
        const std::size_t count = std::max<std::size_t>(1, static_cast<std::size_t>(kPriorValidationShare * n));
        for (std::size_t i : sample_without_replacement(split_rng, n, std::min(count, n - 1))) held_out[i] = true;
        bench_validation_rows_.emplace_back();
      }
      for (std::size_t i = 0; i < n; ++i) {
        const int64_t row = first_row + static_cast<int64_t>(i);
        (held_out[i] ? bench_validation_rows_.back() : bench_train_rows_).push_back(row);
      }
      first_row += static_cast<int64_t>(n);
    }
  }

  torch::manual_seed(options_.seed);
  PredictorOptions predictor_options(data_.feature_dim);
  predictor_options.graph_encoder(GraphEncoderOptions().hidden_dim(options_.graph_hidden));
  predictor_options.prior(uses_prior());
  predictor_options.task_stats(options_.standardise == "task");
  predictor_ = Predictor(predictor_options);
  GeneratorOptions generator_options(data_.feature_dim);
  generator_options.decoder(GraphDecoderOptions().hidden_dim(options_.graph_hidden));
  generator_ = Generator(generator_options);
  const int64_t dataset_dim = predictor_options.set_encoder().output_dim();
  bench_vectors_ = torch::zeros({static_cast<int64_t>(bench_.size()), dataset_dim}).requires_grad_(true);

  std::vector<torch::Tensor> predictor_params = predictor_->parameters();
  if (!bench_.empty() && !uses_prior()) predictor_params.push_back(bench_vectors_);
  predictor_optimizer_ = std::make_unique<torch::optim::Adam>(
      predictor_params, torch::optim::AdamOptions(options_.learning_rate));
  generator_optimizer_ = std::make_unique<torch::optim::Adam>(
      generator_->parameters(), torch::optim::AdamOptions(options_.learning_rate));
  best_predictor_ = clone_eval(predictor_);
  best_generator_ = clone_eval(generator_);
}

namespace {

// The mean over the ranks of a per-rank loss that is already weighted by its share (itself in
// one process): what the whole batch's loss is, for the reports.
double mean_over_ranks(const torch::Tensor& loss, int world) {
  torch::Tensor value = loss.detach().reshape({1}).to(torch::kDouble);
  if (world > 1) dist::world().all_reduce_sum({value});
  return value.item<double>() / world;
}

}  // namespace

torch::Tensor MetaTrainer::encode_draws(
    const std::function<torch::Tensor(const torch::Tensor&)>& encode,
    const std::vector<int>& sample_tasks, std::mt19937_64& rng, std::size_t first,
    std::size_t count) const {
  // Every task is drawn (so the stream does not depend on the share); only the share's encoded.
  count = std::min(count, sample_tasks.size() - std::min(first, sample_tasks.size()));
  std::vector<torch::Tensor> draws;
  std::map<std::vector<int64_t>, std::vector<std::size_t>> groups;  // draw shape -> positions
  for (std::size_t i = 0; i < sample_tasks.size(); ++i) {
    torch::Tensor draw = draw_dataset(data_.tasks[sample_tasks[i]].features, options_.images_per_class, rng);
    if (i < first || i >= first + count) continue;
    draws.push_back(std::move(draw));
    groups[draws.back().sizes().vec()].push_back(draws.size() - 1);
  }
  std::vector<torch::Tensor> rows(draws.size());
  for (const auto& [shape, positions] : groups) {
    std::vector<torch::Tensor> batch;
    for (std::size_t p : positions) batch.push_back(draws[p]);
    const torch::Tensor vectors = encode(torch::stack(batch));
    for (std::size_t j = 0; j < positions.size(); ++j) rows[positions[j]] = vectors[j];
  }
  return torch::stack(rows);
}

double MetaTrainer::generator_step(const std::vector<int>& pairs, std::mt19937_64& rng, bool train) {
  // Data parallel (training only): each rank computes the loss of its share of the pairs,
  // weighted so that the ranks' gradients average to the whole batch's.
  dist::ProcessGroup& group = dist::world();
  const int world = train ? group.world_size() : 1;
  const auto [share_first, share] = dist::shard_range(static_cast<std::int64_t>(pairs.size()),
                                                      train ? group.rank() : 0, world);
  std::map<std::vector<int64_t>, std::pair<std::vector<torch::Tensor>, std::vector<Nb201Cell>>> groups;
  for (std::size_t i = 0; i < pairs.size(); ++i) {
    const MetaSample& sample = data_.samples[pairs[i]];
    torch::Tensor draw = draw_dataset(data_.tasks[sample.task].features, options_.images_per_class, rng);
    if (static_cast<std::int64_t>(i) < share_first || static_cast<std::int64_t>(i) >= share_first + share) continue;
    auto& members = groups[draw.sizes().vec()];
    members.first.push_back(std::move(draw));
    members.second.push_back(sample.cell);
  }
  torch::Tensor total = torch::zeros({});
  for (const auto& [shape, members] : groups) {
    const GeneratorLoss loss = generator_->loss(torch::stack(members.first), cells_to_op_codes(members.second));
    total = total + loss.total * (static_cast<double>(members.second.size()) * world / pairs.size());
  }
  if (train) {
    generator_optimizer_->zero_grad();
    total.backward();
    group.average_gradients(generator_->parameters());
    if (options_.gradient_clip > 0)
      clip_grad_norm(generator_->parameters(), options_.gradient_clip);
    generator_optimizer_->step();
  }
  return mean_over_ranks(total, world);
}

MetaEpochReport MetaTrainer::train_epoch() {
  const auto start = std::chrono::steady_clock::now();
  MetaEpochReport report;
  report.epoch = epochs_done() + 1;
  std::mt19937_64 rng = stream(options_.seed, report.epoch);
  torch::manual_seed(options_.seed + static_cast<std::uint64_t>(report.epoch));

  predictor_->train();
  const std::vector<int> order = shuffled(train_samples_, rng);
  const auto batch = static_cast<std::size_t>(options_.batch_size);
  double loss_sum = 0, bench_sum = 0;
  int steps = 0;
  // Data parallel: each rank takes its share of every batch of records and of benchmark cells;
  // the losses are weighted by share so that the averaged gradients are the whole batch's.
  dist::ProcessGroup& group = dist::world();
  const int world = group.world_size();
  std::vector<torch::Tensor> predictor_params = predictor_->parameters();
  if (!bench_.empty() && !uses_prior()) predictor_params.push_back(bench_vectors_);
  for (std::size_t first = 0; first < order.size(); first += batch, ++steps) {
    const std::vector<int> batch_members(order.begin() + first, order.begin() + std::min(order.size(), first + batch));
    if (static_cast<int>(batch_members.size()) < world) continue;  // a rank would get nothing
    const auto [share_first, share] =
        dist::shard_range(static_cast<std::int64_t>(batch_members.size()), group.rank(), world);
    const std::vector<int> members(batch_members.begin() + share_first,
                                   batch_members.begin() + share_first + share);
    const double share_weight = static_cast<double>(share * world) / batch_members.size();
    std::vector<int> batch_tasks;
    for (int s : batch_members) batch_tasks.push_back(data_.samples[s].task);
    std::vector<Nb201Cell> cells;
    std::vector<float> targets, task_targets;
    for (int s : members) {
      const int task = data_.samples[s].task;
      cells.push_back(data_.samples[s].cell);
      targets.push_back(static_cast<float>(target(s)));
      task_targets.push_back(static_cast<float>((task_accuracy_mean_[task] - accuracy_mean_) / accuracy_std_));
      task_targets.push_back(static_cast<float>(std::log(task_accuracy_std_[task] / accuracy_std_)));
    }
    const torch::Tensor dataset = encode_draws(
        [this](const torch::Tensor& f) { return predictor_->encode_dataset(f); }, batch_tasks, rng,
        static_cast<std::size_t>(share_first), static_cast<std::size_t>(share));
    const torch::Tensor embeddings = predictor_->embed_cells(cells_to_op_codes(cells));
    // With a prior, the database records teach the residual over the (detached) prior.
    const torch::Tensor prediction =
        uses_prior() ? predictor_->prior_score(embeddings).detach() + predictor_->residual(embeddings, dataset)
                     : predictor_->score(embeddings, dataset);
    torch::Tensor loss = torch::mse_loss(prediction, torch::tensor(targets));
    loss_sum += mean_over_ranks(loss * share_weight, world);
    if (predictor_->options.task_stats()) {
      const auto rows = static_cast<int64_t>(members.size());
      loss = loss + torch::mse_loss(predictor_->task_stats(dataset),
                                    torch::tensor(task_targets).view({rows, 2}));
    }
    loss = loss * share_weight;
    if (!bench_.empty() && options_.bench_weight > 0) {
      std::vector<int64_t> rows;
      const auto bench_batch = options_.bench_batch > 0 ? static_cast<std::size_t>(options_.bench_batch) : batch;
      for (std::size_t i = 0; i < bench_batch; ++i) {
        rows.push_back(bench_train_rows_[uniform_below(rng, bench_train_rows_.size())]);
      }
      const auto [bench_first, bench_share] =
          dist::shard_range(static_cast<std::int64_t>(rows.size()), group.rank(), world);
      const double bench_share_weight = static_cast<double>(bench_share * world) / rows.size();
      rows = std::vector<int64_t>(rows.begin() + bench_first, rows.begin() + bench_first + bench_share);
      const torch::Tensor idx = torch::tensor(rows, torch::kLong);
      const torch::Tensor bench_embeddings = predictor_->embed_cells(bench_codes_.index_select(0, idx));
      const torch::Tensor bench_prediction =
          uses_prior() ? predictor_->prior_score(bench_embeddings)
                       : predictor_->score(bench_embeddings,
                                           bench_vectors_.index_select(0, bench_column_.index_select(0, idx)));
      const torch::Tensor bench_loss =
          torch::mse_loss(bench_prediction, bench_targets_.index_select(0, idx)) * bench_share_weight;
      bench_sum += mean_over_ranks(bench_loss, world);
      loss = loss + options_.bench_weight * bench_loss;
    }
    predictor_optimizer_->zero_grad();
    loss.backward();
    group.average_gradients(predictor_params);
    if (options_.gradient_clip > 0)
      clip_grad_norm(predictor_->parameters(), options_.gradient_clip);
    predictor_optimizer_->step();
  }
  report.predictor_loss = loss_sum / std::max(steps, 1);
  report.bench_loss = bench_sum / std::max(steps, 1);

  if (options_.train_generator && !train_pairs_.empty()) {
    generator_->train();
    const std::vector<int> pairs = shuffled(train_pairs_, rng);
    double sum = 0;
    int gen_steps = 0;
    for (std::size_t first = 0; first < pairs.size(); first += batch, ++gen_steps) {
      const std::vector<int> members(pairs.begin() + first, pairs.begin() + std::min(pairs.size(), first + batch));
      sum += generator_step(members, rng, true);
    }
    report.generator_loss = sum / std::max(gen_steps, 1);
  }

  const auto [spearman, mse] = validate_predictor();
  report.validation_spearman = spearman;
  report.validation_mse = mse;
  report.validation_prior_spearman = validate_prior();
  const double criterion = spearman + report.validation_prior_spearman;
  const bool has_validation = !validation_samples_.empty() || !bench_validation_rows_.empty();
  if (!has_validation || criterion > best_spearman_) {
    best_spearman_ = criterion;
    best_predictor_ = clone_eval(predictor_);
    best_predictor_epoch_ = report.epoch;
    report.best_predictor = true;
  }
  if (options_.train_generator) {
    report.validation_generator_loss = validate_generator();
    if (validation_pairs_.empty() || best_generator_epoch_ == 0 ||
        report.validation_generator_loss < best_generator_loss_) {
      best_generator_loss_ = report.validation_generator_loss;
      best_generator_ = clone_eval(generator_);
      best_generator_epoch_ = report.epoch;
      report.best_generator = true;
    }
  }
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  history_.push_back(report);
  return report;
}

std::pair<double, double> MetaTrainer::validate_predictor() {
  if (validation_samples_.empty()) return {0.0, 0.0};
  torch::NoGradGuard no_grad;
  predictor_->eval();
  std::mt19937_64 rng = stream(options_.seed, 0, kValidationStream);
  std::map<int, std::vector<int>> by_task;
  for (int s : validation_samples_) by_task[data_.samples[s].task].push_back(s);
  double spearman_sum = 0, squared_error = 0;
  int ranked_tasks = 0;
  for (const auto& [task, members] : by_task) {
    std::vector<Nb201Cell> cells;
    std::vector<double> truth;
    for (int s : members) {
      cells.push_back(data_.samples[s].cell);
      truth.push_back(data_.samples[s].accuracy);
    }
    const torch::Tensor codes = cells_to_op_codes(cells);
    torch::Tensor sum = torch::zeros({static_cast<int64_t>(members.size())});
    for (int d = 0; d < options_.validation_draws; ++d) {
      const torch::Tensor draw = draw_dataset(data_.tasks[task].features, options_.images_per_class, rng);
      sum += predictor_->forward(codes, predictor_->encode_dataset(draw.unsqueeze(0)));
    }
    const torch::Tensor mean = sum / options_.validation_draws;
    const std::vector<double> predicted(mean.data_ptr<float>(), mean.data_ptr<float>() + mean.numel());
    for (std::size_t i = 0; i < truth.size(); ++i) {
      const double expected = target(members[i]);
      squared_error += (predicted[i] - expected) * (predicted[i] - expected);
    }
    const bool constant = std::all_of(truth.begin(), truth.end(), [&](double t) { return t == truth[0]; });
    if (truth.size() >= 2 && !constant) {
      spearman_sum += spearman(predicted, truth);
      ++ranked_tasks;
    }
  }
  predictor_->train();
  return {ranked_tasks > 0 ? spearman_sum / ranked_tasks : 0.0,
          squared_error / static_cast<double>(validation_samples_.size())};
}

double MetaTrainer::validate_prior() {
  if (!uses_prior()) return 0.0;
  torch::NoGradGuard no_grad;
  predictor_->eval();
  double sum = 0;
  for (const std::vector<int64_t>& rows : bench_validation_rows_) {
    const torch::Tensor idx = torch::tensor(rows, torch::kLong);
    const torch::Tensor prior =
        predictor_->prior_score(predictor_->embed_cells(bench_codes_.index_select(0, idx))).contiguous();
    const torch::Tensor truth = bench_targets_.index_select(0, idx).contiguous();
    sum += spearman(std::vector<double>(prior.data_ptr<float>(), prior.data_ptr<float>() + prior.numel()),
                    std::vector<double>(truth.data_ptr<float>(), truth.data_ptr<float>() + truth.numel()));
  }
  predictor_->train();
  return sum / static_cast<double>(bench_validation_rows_.size());
}

double MetaTrainer::validate_generator() {
  const std::vector<int>& pairs = validation_pairs_.empty() ? train_pairs_ : validation_pairs_;
  if (pairs.empty()) return 0.0;
  torch::NoGradGuard no_grad;
  generator_->eval();
  std::mt19937_64 rng = stream(options_.seed, 0, kValidationStream + 1);
  double sum = 0;
  const auto batch = static_cast<std::size_t>(options_.batch_size);
  for (std::size_t first = 0; first < pairs.size(); first += batch) {
    const std::vector<int> members(pairs.begin() + first, pairs.begin() + std::min(pairs.size(), first + batch));
    sum += generator_step(members, rng, false) * members.size();
  }
  generator_->train();
  return sum / pairs.size();
}

double MetaTrainer::target(int sample) const {
  const MetaSample& s = data_.samples.at(static_cast<std::size_t>(sample));
  if (options_.standardise == "task") {
    return (s.accuracy - task_accuracy_mean_[s.task]) / task_accuracy_std_[s.task];
  }
  return (s.accuracy - accuracy_mean_) / accuracy_std_;
}

Predictor MetaTrainer::best_predictor() const { return clone_eval(best_predictor_); }
Generator MetaTrainer::best_generator() const { return clone_eval(best_generator_); }

std::vector<std::string> MetaTrainer::validation_task_ids() const {
  std::vector<std::string> ids;
  for (std::size_t t = 0; t < data_.tasks.size(); ++t) {
    if (is_validation_task_[t]) ids.push_back(data_.tasks[t].id);
  }
  return ids;
}

std::string MetaTrainer::fingerprint() const {
  std::ostringstream text;
  text << data_.feature_extractor << '|' << data_.feature_dim << '|';
  for (const MetaTask& t : data_.tasks) text << t.id << ',' << t.features.size(0) << ',' << t.features.size(1) << ';';
  for (const MetaSample& s : data_.samples) text << s.task << ':' << s.cell.dense_index() << ':' << s.accuracy << ';';
  for (const BenchColumn& c : bench_) text << c.metric << '@' << c.source << ';';
  nlohmann::json options = options_.to_json();
  options.erase("epochs");  // a resumed run may ask for more epochs
  text << options.dump();
  Fnv1a hash;
  hash.add(text.str());
  return hash.hex();
}

nlohmann::json MetaTrainer::describe() const {
  nlohmann::json columns = nlohmann::json::array();
  for (std::size_t c = 0; c < bench_.size(); ++c) {
    columns.push_back({{"metric", bench_[c].metric},
                       {"source", bench_[c].source},
                       {"table_kind", bench_[c].table_kind},
                       {"cells", bench_[c].cells.size()},
                       {"accuracy_mean", bench_mean_[c]},
                       {"accuracy_std", bench_std_[c]}});
  }
  std::size_t train_tasks = 0;
  for (bool v : is_validation_task_) train_tasks += !v;
  return {{"databases", data_.databases},
          {"feature_extractor", data_.feature_extractor},
          {"tasks", data_.tasks.size()},
          {"train_tasks", train_tasks},
          {"validation_tasks", validation_task_ids()},
          {"train_records", train_samples_.size()},
          {"validation_records", validation_samples_.size()},
          {"generator_pairs", {{"train", train_pairs_.size()}, {"validation", validation_pairs_.size()}}},
          {"accuracy_mean", accuracy_mean_},
          {"accuracy_std", accuracy_std_},
          {"standardise", options_.standardise == "task"
                              ? "within each task (a task head predicts each task's mean and "
                                "spread)"
                              : "over all training records"},
          {"benchmark_columns", columns},
          {"benchmark_use", bench_.empty() ? "none"
                            : uses_prior() ? "a dataset-agnostic prior(cell) fitted to the columns "
                                             "(standardised within each column); database records "
                                             "fit the dataset-conditioned residual"
                                           : "image-less tasks with learned dataset vectors, "
                                             "standardised within each column"},
          {"options", options_.to_json()},
          {"fingerprint", fingerprint()}};
}

void MetaTrainer::save_checkpoint(const std::string& dir_name) const {
  const fs::path dir(dir_name);
  const fs::path tmp = dir_name + ".tmp";
  const fs::path old = dir_name + ".old";
  std::error_code error;
  fs::remove_all(tmp, error);
  fs::create_directories(tmp, error);
  if (error) throw runtime_failure(tmp.string() + ": cannot create (" + error.message() + ")");

  save_predictor(tmp / "predictor", predictor_, nullptr);
  save_generator(tmp / "generator", generator_, nullptr);
  save_predictor(tmp / "best_predictor", best_predictor_, nullptr);
  save_generator(tmp / "best_generator", best_generator_, nullptr);
  try {
    torch::serialize::OutputArchive archive, predictor_state, generator_state;
    predictor_optimizer_->save(predictor_state);
    generator_optimizer_->save(generator_state);
    archive.write("predictor_optimizer", predictor_state);
    archive.write("generator_optimizer", generator_state);
    archive.write("bench_vectors", bench_vectors_.detach());
    archive.save_to((tmp / kTrainerStateFile).string());
  } catch (const c10::Error&) {
    throw runtime_failure((tmp / kTrainerStateFile).string() + ": cannot write");
  }
  nlohmann::json history = nlohmann::json::array();
  for (const auto& r : history_) history.push_back(r.to_json());
  const nlohmann::json state = {{"fingerprint", fingerprint()},
                                {"epochs_done", epochs_done()},
                                {"best_predictor_epoch", best_predictor_epoch_},
                                {"best_generator_epoch", best_generator_epoch_},
                                {"best_spearman", best_spearman_},
                                {"best_generator_loss", best_generator_loss_},
                                {"world_size", dist::world().world_size()},
                                {"history", history}};
  write_file_atomically(tmp / kStateFile, state.dump(2) + "\n");

  // Swap the complete new checkpoint in; load_checkpoint falls back to .old if killed between.
  fs::remove_all(old, error);
  if (fs::exists(dir)) {
    fs::rename(dir, old, error);
    if (error) throw runtime_failure(dir_name + ": cannot replace (" + error.message() + ")");
  }
  fs::rename(tmp, dir, error);
  if (error) throw runtime_failure(dir_name + ": cannot write (" + error.message() + ")");
  fs::remove_all(old, error);
}

void MetaTrainer::load_checkpoint(const std::string& dir_name) {
  fs::path dir(dir_name);
  if (!fs::exists(dir / kStateFile) && fs::exists(fs::path(dir_name + ".old") / kStateFile)) {
    dir = dir_name + ".old";  // killed while swapping: the previous checkpoint is complete
  }
  const fs::path state_path = dir / kStateFile;
  nlohmann::json state;
  try {
    state = nlohmann::json::parse(read_text(state_path));
  } catch (const nlohmann::json::exception& e) {
    throw bad_input(state_path.string() + ": not valid JSON (" + e.what() + ")");
  }
  try {
    if (state.at("fingerprint").get<std::string>() != fingerprint()) {
      throw bad_input(state_path.string() +
                      ": this checkpoint was made from other databases, features, benchmark "
                      "columns or options; start afresh in another --out or repeat the same command");
    }
    // Each rank's share of a batch depends on the number of processes (checkpoints before this
    // field: one).
    const int written_by = state.value("world_size", 1);
    if (written_by != dist::world().world_size()) {
      throw bad_input(state_path.string() + ": written by " + std::to_string(written_by) +
                      " process" + (written_by == 1 ? "" : "es") + ", this run has " +
                      std::to_string(dist::world().world_size()) + ": resume it with " +
                      std::to_string(written_by));
    }
    std::vector<MetaEpochReport> history;
    for (const auto& r : state.at("history")) history.push_back(MetaEpochReport::from_json(r));
    load_model_weights(dir / "predictor", *predictor_);
    load_model_weights(dir / "generator", *generator_);
    best_predictor_ = load_predictor(dir / "best_predictor");
    best_generator_ = load_generator(dir / "best_generator");
    torch::serialize::InputArchive archive, predictor_state, generator_state;
    archive.load_from((dir / kTrainerStateFile).string());
    archive.read("predictor_optimizer", predictor_state);
    archive.read("generator_optimizer", generator_state);
    predictor_optimizer_->load(predictor_state);
    generator_optimizer_->load(generator_state);
    torch::Tensor vectors;
    archive.read("bench_vectors", vectors);
    if (!vectors.sizes().equals(bench_vectors_.sizes())) throw bad_input((dir / kTrainerStateFile).string() + ": benchmark vectors of another shape");
    {
      torch::NoGradGuard no_grad;
      bench_vectors_.copy_(vectors);
    }
    history_ = std::move(history);
    best_predictor_epoch_ = state.at("best_predictor_epoch").get<int>();
    best_generator_epoch_ = state.at("best_generator_epoch").get<int>();
    best_spearman_ = state.at("best_spearman").get<double>();
    best_generator_loss_ = state.at("best_generator_loss").get<double>();
  } catch (const nlohmann::json::exception& e) {
    throw bad_input(state_path.string() + ": damaged checkpoint (" + e.what() + ")");
  } catch (const c10::Error& e) {
    const std::string what = e.what_without_backtrace();
    throw bad_input(dir.string() + ": damaged checkpoint (" + what.substr(0, what.find('\n')) + ")");
  }
  predictor_->train();
  generator_->train();
}

}  // namespace d2a
