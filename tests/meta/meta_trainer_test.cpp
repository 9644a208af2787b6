// Meta-training on a tiny synthetic meta-database: the training set (features, averaging,
// cache), learning (loss down, held-out rank correlation up), resume, benchmark columns and
// the refusal of CIFAR-10 columns.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <map>

#include "d2a/error.h"
#include "d2a/meta/bench_columns.h"
#include "d2a/meta/cell_batch.h"
#include "d2a/meta/meta_trainer.h"
#include "d2a/meta/rank_correlation.h"
#include "meta_test_support.h"
#include "synthetic_meta_db.h"

namespace d2a {
namespace {

const MetaDatabase& synthetic_db() {
  static const MetaDatabase db = test::synthetic_meta_db(12, 16, 5, 3, 12, 8);
  return db;
}

// Features through a random CNN, as meta-train extracts them.
const MetaTrainingSet& extracted_set() {
  static const MetaTrainingSet set = [] {
    MetaTrainingSet s;
    add_database(s, synthetic_db(), "synthetic", FeatureExtractor::random_cnn(16, 1));
    return s;
  }();
  return set;
}

// The same records over features where the task type is a clear direction (+-1 on every
// dimension, plus unit noise): what a good extractor makes of bright and dark images. Keeps the
// learning tests short.
const MetaTrainingSet& synthetic_set() {
  static const MetaTrainingSet set = [] {
    MetaTrainingSet s = extracted_set();
    torch::manual_seed(9);
    for (std::size_t t = 0; t < s.tasks.size(); ++t) {
      const float sign = t % 2 == 0 ? 1.0f : -1.0f;
      s.tasks[t].features = torch::randn(s.tasks[t].features.sizes()) + sign;
    }
    return s;
  }();
  return set;
}

MetaTrainOptions small_options() {
  MetaTrainOptions o;
  o.epochs = 14;
  o.batch_size = 8;
  o.learning_rate = 3e-3;
  o.images_per_class = 8;
  o.validation_fraction = 0.34;
  o.validation_draws = 2;
  o.generator_top_k = 3;
  o.graph_hidden = 32;
  o.seed = 1;
  return o;
}

TEST(MetaTrainingSet, ExtractsFeaturesPerTaskAveragesRunsAndCaches) {
  const MetaTrainingSet& set = extracted_set();
  ASSERT_EQ(set.tasks.size(), 12u);
  EXPECT_EQ(set.samples.size(), 12u * 16u);  // the repeated run is averaged into one sample
  EXPECT_EQ(set.feature_dim, 16);
  EXPECT_EQ(set.tasks[0].features.sizes(), (std::vector<int64_t>{3, 12, 16}));
  const MetaSample& first = set.samples[0];
  EXPECT_EQ(first.runs, 2);
  EXPECT_NEAR(first.accuracy - test::synthetic_accuracy(first.cell, 0), 1.0f, 0.5f);  // noise + 1/2

  const auto dir = test::meta_scratch_dir("training_set_cache");
  const FeatureExtractor extractor = FeatureExtractor::random_cnn(16, 1);
  MetaTrainingSet cold, warm;
  add_database(cold, synthetic_db(), "a", extractor, dir.string());
  std::size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) files += entry.path().extension() == ".pt";
  EXPECT_EQ(files, 12u);
  add_database(warm, synthetic_db(), "a", extractor, dir.string());
  EXPECT_TRUE(torch::equal(warm.tasks[5].features, cold.tasks[5].features));
  EXPECT_TRUE(torch::equal(cold.tasks[5].features, set.tasks[5].features));
  // The same task ids twice are refused.
  EXPECT_THROW(add_database(warm, synthetic_db(), "b", extractor), Error);
}

TEST(MetaTrainingSet, DrawsAreSubsetsOfTheClassesFeatures) {
  const torch::Tensor features = torch::arange(2 * 5 * 3, torch::kFloat32).view({2, 5, 3});
  std::mt19937_64 rng(4);
  const torch::Tensor draw = draw_dataset(features, 3, rng);
  ASSERT_EQ(draw.sizes(), (std::vector<int64_t>{2, 3, 3}));
  for (int k = 0; k < 2; ++k) {
    for (int i = 0; i < 3; ++i) {
      const float first = draw[k][i][0].item<float>();
      EXPECT_GE(first, k * 15.0f);  // from class k's rows only
      EXPECT_LT(first, (k + 1) * 15.0f);
    }
  }
  EXPECT_EQ(draw_dataset(features, 9, rng).size(1), 5);  // fewer available: all of them
}

TEST(MetaTrainer, LowersItsLossAndRanksHeldOutTasksAboveChance) {
  torch::set_num_threads(1);
  MetaTrainer trainer(synthetic_set(), {}, small_options());
  EXPECT_EQ(trainer.validation_task_ids().size(), 4u);
  EXPECT_EQ(trainer.train_samples() + trainer.validation_samples(), 12u * 16u);
  for (int e = 0; e < small_options().epochs; ++e) trainer.train_epoch();
  const auto& h = trainer.history();
  EXPECT_LT(h.back().predictor_loss, 0.5 * h.front().predictor_loss);
  EXPECT_LT(h.back().generator_loss, h.front().generator_loss);
  double best = -1;
  for (const auto& r : h) best = std::max(best, r.validation_spearman);
  // Chance is 0; a predictor blind to the dataset also scores about 0, since the two task types
  // rank cells in opposite ways.
  EXPECT_GT(best, 0.6) << "held-out tasks are ranked no better than chance";
  EXPECT_EQ(h[trainer.best_predictor_epoch() - 1].validation_spearman, best);
  EXPECT_GE(trainer.best_generator_epoch(), 1);
  EXPECT_FALSE(trainer.best_predictor()->is_training());
}

TEST(MetaTrainer, StandardisedWithinTasksRanksHeldOutTasksAndLearnsEachTasksLevel) {
  torch::set_num_threads(1);
  // Shift the dark tasks' accuracies by 20 points: a level the task head must learn, and that
  // per-task standardisation keeps out of the cell terms.
  MetaTrainingSet set = synthetic_set();
  for (MetaSample& s : set.samples) s.accuracy += s.task % 2 == 1 ? 20.0f : 0.0f;
  MetaTrainOptions options = small_options();
  options.standardise = "task";
  MetaTrainer trainer(set, {}, options);
  std::map<int, std::vector<double>> targets;
  for (std::size_t s = 0; s < set.samples.size(); ++s) {
    targets[set.samples[s].task].push_back(trainer.target(static_cast<int>(s)));
  }
  for (const auto& [task, values] : targets) {
    double mean = 0, var = 0;
    for (double v : values) mean += v / values.size();
    for (double v : values) var += (v - mean) * (v - mean) / values.size();
    EXPECT_NEAR(mean, 0.0, 1e-5) << "task " << task;
    EXPECT_NEAR(var, 1.0, 1e-4) << "task " << task;
  }
  for (int e = 0; e < options.epochs; ++e) trainer.train_epoch();
  double best = -1;
  for (const auto& r : trainer.history()) best = std::max(best, r.validation_spearman);
  EXPECT_GT(best, 0.6);
  Predictor predictor = trainer.best_predictor();
  ASSERT_TRUE(predictor->options.task_stats());
  // The task head puts the dark (shifted) tasks above the bright ones.
  torch::NoGradGuard no_grad;
  std::mt19937_64 rng(3);
  double bright = 0, dark = 0;
  for (std::size_t t = 0; t < set.tasks.size(); ++t) {
    const torch::Tensor draw = draw_dataset(set.tasks[t].features, 8, rng).unsqueeze(0);
    const double level = predictor->task_stats(predictor->encode_dataset(draw))[0][0].item<double>();
    (t % 2 == 1 ? dark : bright) += level;
  }
  EXPECT_GT(dark, bright);
}

TEST(MetaTrainer, ResumeRepeatsTheUninterruptedRun) {
  torch::set_num_threads(1);
  MetaTrainOptions options = small_options();
  options.epochs = 3;
  MetaTrainer whole(synthetic_set(), {}, options);
  for (int e = 0; e < 3; ++e) whole.train_epoch();

  const auto dir = test::meta_scratch_dir("trainer_resume");
  {
    MetaTrainer first(synthetic_set(), {}, options);
    first.train_epoch();
    first.train_epoch();
    first.save_checkpoint((dir / "checkpoint").string());
  }
  MetaTrainer resumed(synthetic_set(), {}, options);
  resumed.load_checkpoint((dir / "checkpoint").string());
  EXPECT_EQ(resumed.epochs_done(), 2);
  const MetaEpochReport third = resumed.train_epoch();
  EXPECT_NEAR(third.predictor_loss, whole.history()[2].predictor_loss, 1e-5);
  EXPECT_NEAR(third.generator_loss, whole.history()[2].generator_loss, 1e-5);
  EXPECT_NEAR(third.validation_spearman, whole.history()[2].validation_spearman, 1e-6);

  options.learning_rate = 1e-2;
  MetaTrainer other(synthetic_set(), {}, options);
  try {
    other.load_checkpoint((dir / "checkpoint").string());
    ADD_FAILURE() << "a checkpoint of other options must be refused";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kBadInput);
    EXPECT_NE(std::string(e.what()).find("other"), std::string::npos) << e.what();
  }
  EXPECT_THROW(other.load_checkpoint((dir / "absent").string()), Error);
}

Nb201Table tiny_table() {
  const auto cells = test::random_cells(40, 3);
  std::vector<Nb201Cell> unique;
  for (const auto& c : cells) {
    if (std::find(unique.begin(), unique.end(), c) == unique.end()) unique.push_back(c);
  }
  std::vector<float> c10, c100;
  for (const auto& c : unique) {
    c10.push_back(test::synthetic_accuracy(c, 0));
    c100.push_back(test::synthetic_accuracy(c, 0) - 20);
  }
  return Nb201Table("tiny.csv", "test_acc_200ep", unique, {"cifar10-test", "cifar10-valid", "cifar100-test"},
                    {c10, c10, c100});
}

TEST(BenchColumns, RefuseCifar10AndUnknownColumns) {
  const Nb201Table table = tiny_table();
  for (const char* metric : {"cifar10-test", "cifar10-valid"}) {
    try {
      select_bench_columns(table, {"cifar100-test", metric});
      ADD_FAILURE() << metric << " must be refused";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::kBadInput);
      EXPECT_NE(std::string(e.what()).find("CIFAR-10"), std::string::npos) << e.what();
    }
  }
  try {
    select_bench_columns(table, {"imagenet16-120-test"});
    ADD_FAILURE() << "unknown column accepted";
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("imagenet16-120-test"), std::string::npos) << what;
    EXPECT_NE(what.find("cifar100-test"), std::string::npos) << "lists the allowed: " << what;
    EXPECT_EQ(what.find("cifar10-test"), std::string::npos) << "never offers CIFAR-10: " << what;
  }
  const auto columns = select_bench_columns(table, {"cifar100-test"});
  ASSERT_EQ(columns.size(), 1u);
  EXPECT_EQ(columns[0].cells.size(), static_cast<std::size_t>(table.size()));
  EXPECT_FLOAT_EQ(columns[0].accuracy[3], table.accuracy(3, "cifar100-test"));
  EXPECT_EQ(columns[0].source, "tiny.csv");

  EXPECT_FALSE(is_held_out_metric("cifar100-test"));
  EXPECT_TRUE(is_held_out_metric("cifar10-test"));
  EXPECT_EQ(parse_bench_column_list(" cifar100-test, imagenet16-120-test"),
            (std::vector<std::string>{"cifar100-test", "imagenet16-120-test"}));
  EXPECT_THROW(parse_bench_column_list("cifar100-test,,x"), Error);
  EXPECT_THROW(parse_bench_column_list("a,a"), Error);
}

TEST(BenchColumns, TrainAsImagelessTasksBesideTheDatabase) {
  torch::set_num_threads(1);
  MetaTrainOptions options = small_options();
  options.epochs = 3;
  options.train_generator = false;
  MetaTrainer trainer(synthetic_set(), select_bench_columns(tiny_table(), {"cifar100-test"}), options);
  for (int e = 0; e < 3; ++e) trainer.train_epoch();
  EXPECT_GT(trainer.history().front().bench_loss, 0.0);
  EXPECT_LT(trainer.history().back().bench_loss, trainer.history().front().bench_loss);
  const auto described = trainer.describe();
  EXPECT_EQ(described["benchmark_columns"][0]["metric"], "cifar100-test");
  EXPECT_EQ(described["benchmark_columns"][0]["source"], "tiny.csv");
}

// --bench-use prior: the columns teach a dataset-agnostic prior(cell) that the shipped predictor
// keeps (the column vectors of the "task" use are not shipped).
TEST(BenchColumns, TeachADatasetAgnosticPrior) {
  torch::set_num_threads(1);
  MetaTrainOptions options = small_options();
  options.epochs = 6;
  options.train_generator = false;
  options.bench_use = "prior";
  options.bench_batch = 32;
  const auto columns = select_bench_columns(tiny_table(), {"cifar100-test"});
  MetaTrainer trainer(synthetic_set(), columns, options);
  for (int e = 0; e < options.epochs; ++e) trainer.train_epoch();
  EXPECT_LT(trainer.history().back().bench_loss, trainer.history().front().bench_loss);
  Predictor predictor = trainer.best_predictor();
  ASSERT_TRUE(predictor->options.prior());
  torch::NoGradGuard no_grad;
  const torch::Tensor prior = predictor->prior_score(predictor->embed_cells(cells_to_op_codes(columns[0].cells)));
  const std::vector<double> predicted(prior.data_ptr<float>(), prior.data_ptr<float>() + prior.numel());
  const std::vector<double> truth(columns[0].accuracy.begin(), columns[0].accuracy.end());
  EXPECT_GT(spearman(predicted, truth), 0.5) << "the prior ranks the column's cells";
  EXPECT_GT(trainer.history().back().validation_prior_spearman, 0.3) << "held-out column cells";
  EXPECT_NE(trainer.describe()["benchmark_use"].get<std::string>().find("prior"), std::string::npos);

  options.bench_use = "column";
  EXPECT_THROW(MetaTrainer(synthetic_set(), columns, options), Error);
}

TEST(RankCorrelation, SpearmanOfKnownRankings) {
  EXPECT_EQ(average_ranks({10, 20, 20, 30}), (std::vector<double>{1, 2.5, 2.5, 4}));
  EXPECT_NEAR(spearman({1, 2, 3, 4}, {10, 20, 30, 45}), 1.0, 1e-12);
  EXPECT_NEAR(spearman({1, 2, 3, 4}, {4, 3, 2, 1}), -1.0, 1e-12);
  EXPECT_NEAR(spearman({1, 2, 3, 4, 5}, {2, 1, 4, 3, 5}), 0.8, 1e-12);  // 1 - 6*4/(5*24)
  EXPECT_EQ(spearman({1, 1, 1}, {1, 2, 3}), 0.0);
  EXPECT_THROW(spearman({1, 2}, {1}), Error);
}

}  // namespace
}  // namespace d2a
