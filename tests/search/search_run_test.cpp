#include "d2a/search/search_run.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "d2a/error.h"
#include "d2a/space/nb201.h"
#include "search/search_test_support.h"
#include "test_support.h"

namespace d2a {
namespace {

using test::tiny_search_config;

TrainData tiny_data(std::int64_t n = 24) {
  torch::manual_seed(21);
  return {torch::randn({n, 3, 8, 8}), torch::randint(0, 4, {n}, torch::kLong)};
}

std::vector<std::string> lines_of(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

TEST(SearcherRun, SplitsTheDataIntoTwoDisjointSeededHalves) {
  TrainData data = tiny_data(25);
  data.labels = torch::arange(25, torch::kLong);  // label = index, to trace the images
  const SearchSplit split = split_search_data(data, 3);
  EXPECT_EQ(split.train.images.size(0), 12);
  EXPECT_EQ(split.valid.images.size(0), 13);
  std::set<std::int64_t> seen;
  for (const auto& half : {split.train, split.valid}) {
    for (std::int64_t i = 0; i < half.labels.size(0); ++i) {
      const std::int64_t index = half.labels[i].item<std::int64_t>();
      EXPECT_TRUE(seen.insert(index).second) << index;
      EXPECT_TRUE(torch::equal(half.images[i], data.images[index]));
    }
  }
  EXPECT_EQ(seen.size(), 25u);
  EXPECT_TRUE(torch::equal(split_search_data(data, 3).train.labels, split.train.labels));
  EXPECT_FALSE(torch::equal(split_search_data(data, 4).train.labels, split.train.labels));
}

TEST(SearcherRun, MeanEntropyOfOpWeights) {
  EXPECT_NEAR(mean_entropy({torch::full({6, 5}, 0.2)}), std::log(5.0), 1e-6);
  EXPECT_NEAR(mean_entropy({torch::eye(5).narrow(0, 0, 3)}), 0.0, 1e-12);
  EXPECT_NEAR(mean_entropy({torch::full({2, 4}, 0.25), torch::eye(2)}), std::log(4.0) / 2, 1e-6);
}

TEST(SearcherRun, RunsEpochsWithCallbacksCheckpointAndHistory) {
  const auto dir = test::scratch_dir("search_run_basic");
  auto searcher = make_searcher("darts", tiny_search_config());
  SearchRunOptions options;
  options.epochs = 2;
  options.batch_size = 4;
  options.checkpoint = (dir / "search.pt").string();
  options.history_csv = (dir / "alphas.csv").string();
  int steps = 0;
  std::vector<SearchEpochReport> reports;
  const SearchRunResult result = run_search(
      *searcher, tiny_data(), options,
      [&](const SearchStepReport& r) {
        EXPECT_EQ(r.steps_per_epoch, 3);  // 12 images per half, batches of 4
        EXPECT_EQ(r.step, steps % 3);
        ++steps;
      },
      [&](const SearchEpochReport& r) { reports.push_back(r); });
  EXPECT_EQ(steps, 6);
  EXPECT_EQ(searcher->steps(), 6);
  ASSERT_EQ(reports.size(), 2u);
  EXPECT_EQ(result.epochs.size(), 2u);
  EXPECT_EQ(result.first_epoch, 0);
  EXPECT_EQ(result.genotype, searcher->genotype());
  EXPECT_NO_THROW(Nb201Cell::parse(result.genotype));
  for (const auto& r : reports) {
    EXPECT_EQ(r.arch_steps, 3);
    EXPECT_GT(r.train_loss, 0);
    EXPECT_GT(r.valid_loss, 0);
    EXPECT_GT(r.alpha_entropy, 0);
    EXPECT_LE(r.alpha_entropy, std::log(5.0) + 1e-9);
    EXPECT_NO_THROW(Nb201Cell::parse(r.genotype));
  }
  EXPECT_TRUE(std::filesystem::exists(options.checkpoint));
  EXPECT_FALSE(std::filesystem::exists(options.checkpoint + ".tmp"));
  const auto lines = lines_of(options.history_csv);
  ASSERT_EQ(lines.size(), 1u + 2 * 6 * 5);
  EXPECT_EQ(lines[0], "epoch,cell_type,edge,op,weight");
  EXPECT_EQ(lines[1].rfind("0,cell,0,none,", 0), 0u) << lines[1];
  EXPECT_EQ(lines.back().rfind("1,cell,5,avg_pool_3x3,", 0), 0u) << lines.back();
  // The last epoch's rows are the searcher's op weights.
  const torch::Tensor w = searcher->op_weights()[0];
  EXPECT_NEAR(std::stod(lines.back().substr(lines.back().rfind(',') + 1)),
              w[5][4].item<double>(), 1e-7);
}

TEST(SearcherRun, AKilledRunResumesFromItsLastEpochExactly) {
  torch::set_num_threads(1);
  const auto dir = test::scratch_dir("search_run_resume");
  const TrainData data = tiny_data();
  SearchRunOptions options;
  options.epochs = 3;
  options.batch_size = 4;
  options.seed = 5;

  auto uninterrupted = make_searcher("gdas", tiny_search_config());
  const SearchRunResult full = run_search(*uninterrupted, data, options);

  options.checkpoint = (dir / "search.pt").string();
  options.history_csv = (dir / "alphas.csv").string();
  options.resume = true;
  {
    auto killed = make_searcher("gdas", tiny_search_config());
    // The "kill": an exception after epoch 1 was checkpointed.
    EXPECT_THROW(run_search(*killed, data, options, {},
                            [](const SearchEpochReport& r) {
                              if (r.epoch == 1) throw std::runtime_error("killed");
                            }),
                 std::runtime_error);
  }
  // A stale row of an epoch the checkpoint does not hold must not survive the resume.
  std::ofstream(options.history_csv, std::ios::app) << "2,cell,0,none,0.5\n";
  auto resumed = make_searcher("gdas", tiny_search_config());
  const SearchRunResult rest = run_search(*resumed, data, options);
  EXPECT_EQ(rest.first_epoch, 2);
  ASSERT_EQ(rest.epochs.size(), 1u);
  EXPECT_EQ(resumed->steps(), uninterrupted->steps());
  EXPECT_TRUE(torch::equal(resumed->alphas()[0], uninterrupted->alphas()[0]));
  EXPECT_EQ(rest.genotype, full.genotype);
  EXPECT_EQ(lines_of(options.history_csv).size(), 1u + 3 * 6 * 5);

  // Resuming a finished run does nothing; another seed is refused.
  EXPECT_TRUE(run_search(*resumed, data, options).epochs.empty());
  options.seed = 6;
  EXPECT_THROW(run_search(*resumed, data, options), Error);
}

TEST(SearcherRun, ATinyDartsSearchLearnsBeyondChance) {
  torch::set_num_threads(1);
  torch::manual_seed(1);
  // Four classes told apart by brightness: class c < 3 brightens channel c, class 3 darkens all.
  const std::int64_t n = 96;
  const torch::Tensor labels = torch::arange(n, torch::kLong) % 4;
  torch::Tensor images = torch::randn({n, 3, 8, 8});
  for (std::int64_t i = 0; i < n; ++i) {
    const std::int64_t c = labels[i].item<std::int64_t>();
    if (c < 3) {
      images[i][c] += 1.5;
    } else {
      images[i] -= 1.0;
    }
  }
  auto searcher = make_searcher("darts", tiny_search_config());
  SearchRunOptions options;
  options.epochs = 5;
  options.batch_size = 8;
  const SearchRunResult result = run_search(*searcher, {images, labels}, options);
  // Chance is 25%; measured 98% / 90% in the last epoch.
  EXPECT_GT(result.epochs.back().train_accuracy, 70.0);
  EXPECT_GT(result.epochs.back().valid_accuracy, 60.0);
  EXPECT_LT(result.epochs.back().alpha_entropy, result.epochs.front().alpha_entropy);
}

TEST(SearcherRun, RejectsMalformedData) {
  auto searcher = make_searcher("darts", tiny_search_config());
  SearchRunOptions options;
  options.epochs = 1;
  TrainData data = tiny_data();
  data.labels = data.labels.to(torch::kInt);
  EXPECT_THROW(run_search(*searcher, data, options), Error);
  data = tiny_data();
  data.labels[0] = 7;  // 4 classes
  EXPECT_THROW(run_search(*searcher, data, options), Error);
  EXPECT_THROW(run_search(*searcher, tiny_data(1), options), Error);
  options.batch_size = 0;
  EXPECT_THROW(run_search(*searcher, tiny_data(), options), Error);
}

}  // namespace
}  // namespace d2a
