#include "d2a/search/searcher.h"
#include "d2a/space/darts_genotype.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <sstream>
#include <string>
#include <vector>

#include "d2a/error.h"
#include "d2a/space/nb201.h"
#include "search/search_test_support.h"

namespace d2a {
namespace {

using test::tiny_batches;
using test::tiny_search_config;

std::vector<torch::Tensor> copies(const std::vector<torch::Tensor>& tensors) {
  std::vector<torch::Tensor> out;
  for (const auto& t : tensors) out.push_back(t.detach().clone());
  return out;
}

bool all_equal(const std::vector<torch::Tensor>& a, const std::vector<torch::Tensor>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (!torch::equal(a[i].detach(), b[i].detach())) return false;
  }
  return true;
}

TEST(Searcher, EveryMethodRunsTwoStepsAndDerivesAValidGenotype) {
  const auto batches = tiny_batches(2);
  for (const auto& name : searcher_names()) {
    auto searcher = make_searcher(name, tiny_search_config());
    EXPECT_EQ(searcher->name(), name);
    const auto alphas_before = copies(searcher->alphas());
    const auto weights_before = copies(searcher->supernet().weights());
    for (int epoch = 0; epoch < 2; ++epoch) {
      searcher->new_epoch(epoch, 2);
      const SearchStepStats stats = searcher->step(batches[epoch].first, batches[epoch].second);
      EXPECT_TRUE(std::isfinite(stats.train_loss.item<double>())) << name;
      EXPECT_GT(stats.train_loss.item<double>(), 0) << name;
      EXPECT_TRUE(stats.arch_step) << name;
      EXPECT_TRUE(std::isfinite(stats.valid_loss.item<double>())) << name;
      EXPECT_GE(stats.valid_accuracy.item<double>(), 0) << name;
      EXPECT_LE(stats.valid_accuracy.item<double>(), 100) << name;
    }
    EXPECT_EQ(searcher->steps(), 2) << name;
    const std::string genotype = searcher->genotype();
    EXPECT_NO_THROW(Nb201Cell::parse(genotype)) << name << ": " << genotype;
    // Both kinds of parameters moved (StacNAS rebuilt its supernet: compare shapes only).
    if (name != "stacnas") {
      EXPECT_FALSE(all_equal(alphas_before, searcher->alphas())) << name;
      EXPECT_FALSE(all_equal(weights_before, searcher->supernet().weights())) << name;
    }
    const auto w = searcher->op_weights();
    ASSERT_EQ(w.size(), 1u) << name;
    EXPECT_TRUE(torch::allclose(w[0].sum(1), torch::ones({6}, torch::kDouble))) << name;
    EXPECT_EQ(searcher->cell_types(), std::vector<std::string>{"cell"});
  }
}

// bf16 autocast: every method steps with the forward passes in bfloat16, and its weights,
// alphas and their gradients stay float32; the losses differ from fp32's but not by much.
TEST(Searcher, EveryMethodStepsInBf16WithFloat32Parameters) {
  const auto batches = tiny_batches(1);
  for (const auto& name : searcher_names()) {
    // One after the other: make_searcher seeds torch's generator, from which GDAS samples.
    SearcherConfig config = tiny_search_config();
    auto fp32 = make_searcher(name, config);
    fp32->new_epoch(0, 2);  // (StacNAS needs an epoch per stage)
    const SearchStepStats a = fp32->step(batches[0].first, batches[0].second);
    config.precision = "bf16";
    auto bf16 = make_searcher(name, config);
    bf16->new_epoch(0, 2);
    const SearchStepStats b = bf16->step(batches[0].first, batches[0].second);
    const double fp32_loss = a.train_loss.item<double>(), bf16_loss = b.train_loss.item<double>();
    EXPECT_TRUE(std::isfinite(bf16_loss)) << name;
    EXPECT_NE(fp32_loss, bf16_loss) << name;
    EXPECT_NEAR(fp32_loss, bf16_loss, 0.05 * fp32_loss) << name;
    for (const auto& p : bf16->alphas()) {
      EXPECT_EQ(p.scalar_type(), torch::kFloat) << name;
      if (p.grad().defined()) EXPECT_EQ(p.grad().scalar_type(), torch::kFloat) << name;
    }
    for (const auto& p : bf16->supernet().weights()) EXPECT_EQ(p.scalar_type(), torch::kFloat) << name;
  }
}

// The same searchers on the DARTS space (normal and reduction alphas, 14 edges): a 3-cell,
// C=8 supernet, so that each reduction cell is there.
TEST(Searcher, EveryMethodRunsOnTheDartsSpace) {
  const auto batches = tiny_batches(2);
  for (const auto& name : searcher_names()) {
    SearcherConfig config = tiny_search_config();
    config.space = "darts";
    config.channels = 8;  // PC-DARTS' C / K = 2 channels: FactorizedReduce needs an even count
    config.cells = 3;
    config.stacnas.stage1_cells = 3;
    auto searcher = make_searcher(name, config);
    for (int epoch = 0; epoch < 2; ++epoch) {
      searcher->new_epoch(epoch, 2);
      const SearchStepStats stats = searcher->step(batches[epoch].first, batches[epoch].second);
      EXPECT_TRUE(std::isfinite(stats.train_loss.item<double>())) << name;
    }
    EXPECT_EQ(searcher->cell_types(), (std::vector<std::string>{"normal", "reduce"})) << name;
    ASSERT_EQ(searcher->alphas().size(), 2u) << name;
    EXPECT_EQ(searcher->alphas()[0].size(0), kDartsNumEdges) << name;
    const std::string genotype = searcher->genotype();
    EXPECT_NO_THROW(DartsGenotype::parse(genotype)) << name << ": " << genotype;
  }
}

TEST(Searcher, FactoryNamesTheValidMethods) {
  EXPECT_EQ(searcher_names(), (std::vector<std::string>{"darts", "darts2", "pc-darts", "ms-darts",
                                                        "stacnas", "gdas"}));
  try {
    make_searcher("enas", tiny_search_config());
    FAIL() << "no error";
  } catch (const Error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("enas"), std::string::npos);
    EXPECT_NE(message.find("pc-darts"), std::string::npos);
    EXPECT_EQ(e.exit_status(), 2);
  }
  SearcherConfig bad = tiny_search_config();
  bad.weights.lr = -1;
  EXPECT_THROW(make_searcher("darts", bad), Error);
  SearcherConfig space = tiny_search_config();
  space.space = "nasbench101";
  EXPECT_THROW(make_searcher("darts", space), Error);
}

TEST(Searcher, PcDartsUsesPartialChannelsEdgeNormalisationAndFreezesAlphasInWarmUp) {
  SearcherConfig config = tiny_search_config();
  config.pc_darts.warmup_epochs = 1;
  auto searcher = make_searcher("pc-darts", config);
  ASSERT_EQ(searcher->supernet().arch_parameters().size(), 2u);  // alphas, betas
  const auto batches = tiny_batches(2);
  const auto before = copies(searcher->supernet().arch_parameters());
  searcher->new_epoch(0, 2);
  EXPECT_FALSE(searcher->step(batches[0].first, batches[0].second).arch_step);
  EXPECT_TRUE(all_equal(before, searcher->supernet().arch_parameters()));
  searcher->new_epoch(1, 2);
  EXPECT_TRUE(searcher->step(batches[1].first, batches[1].second).arch_step);
  EXPECT_FALSE(torch::equal(before[0], searcher->alphas()[0].detach()));
  EXPECT_FALSE(torch::equal(before[1], searcher->supernet().arch_parameters()[1].detach()));
}

TEST(Searcher, GdasSamplesHardWithALinearTemperatureSchedule) {
  auto searcher = make_searcher("gdas", tiny_search_config());
  const double expected[] = {10.0, 7.525, 5.05, 2.575, 0.1};
  for (int epoch = 0; epoch < 5; ++epoch) {
    searcher->new_epoch(epoch, 5);
    EXPECT_EQ(searcher->supernet().mixing().mode, MixingMode::kGumbelHard);
    EXPECT_NEAR(searcher->supernet().mixing().tau, expected[epoch], 1e-12) << epoch;
  }
}

TEST(Searcher, StacNasSwitchesToTheWinningClustersAtFullDepth) {
  SearcherConfig config = tiny_search_config();
  config.cells = 2;
  auto searcher = make_searcher("stacnas", config);
  EXPECT_EQ(searcher->op_names(), (std::vector<std::string>{"none", "skip_connect",
                                                            "avg_pool_3x3", "nor_conv_3x3"}));
  const auto modules = searcher->supernet().named_modules("", false);
  EXPECT_EQ(modules.find("stage0_cell1"), nullptr);  // stage 1 is shallow (one cell per stage)
  const auto batches = tiny_batches(2);
  searcher->new_epoch(0, 2);
  searcher->step(batches[0].first, batches[0].second);
  const torch::Tensor winners = searcher->alphas()[0].detach().argmax(1);
  searcher->new_epoch(1, 2);
  EXPECT_EQ(searcher->op_names(), nb201_op_names());
  EXPECT_NE(searcher->supernet().named_modules("", false).find("stage0_cell1"), nullptr);
  // Each edge may only use its stage-1 cluster: representative r's cluster is {r}, except
  // nor_conv_3x3's, which is {nor_conv_1x1, nor_conv_3x3}.
  const torch::Tensor w = searcher->op_weights()[0];
  const int representative_code[] = {0, 1, 4, 3};  // none, skip, avg_pool, conv3x3 in code order
  for (int e = 0; e < 6; ++e) {
    const int winner = representative_code[winners[e].item<std::int64_t>()];
    for (int o = 0; o < 5; ++o) {
      const bool allowed = o == winner || (winner == 3 && o == 2);
      EXPECT_EQ(w[e][o].item<double>() > 0, allowed) << "edge " << e << " op " << o;
    }
  }
  searcher->step(batches[1].first, batches[1].second);
  const Nb201Cell cell = Nb201Cell::parse(searcher->genotype());
  for (int e = 0; e < 6; ++e) {
    const int op = static_cast<int>(cell.op(e));
    EXPECT_GT(w[e][op].item<double>(), 0) << "the genotype picks an allowed op on edge " << e;
  }
  EXPECT_THROW(make_searcher("stacnas", config)->new_epoch(0, 1), Error);
}

TEST(Searcher, MsDartsTrainsUnderTheShiftedMixtureAndReturnsToSoftmax) {
  auto searcher = make_searcher("ms-darts", tiny_search_config());
  const auto batches = tiny_batches(1);
  searcher->new_epoch(0, 2);
  const auto weights_before = copies(searcher->supernet().weights());
  const SearchStepStats stats = searcher->step(batches[0].first, batches[0].second);
  EXPECT_TRUE(stats.arch_step);
  EXPECT_EQ(searcher->supernet().mixing().mode, MixingMode::kSoftmax);
  EXPECT_FALSE(all_equal(weights_before, searcher->supernet().weights()));
}

// Runs `steps` of the 4-step schedule (2 epochs x 2 steps) from step `from`.
void run_steps(Searcher& searcher, const std::vector<std::pair<Batch, Batch>>& batches, int from,
               int to) {
  for (int s = from; s < to; ++s) {
    if (s % 2 == 0) searcher.new_epoch(s / 2, 2);
    searcher.step(batches[s].first, batches[s].second);
  }
}

TEST(Searcher, CheckpointAndResumeContinueBitwiseLikeAnUninterruptedRun) {
  torch::set_num_threads(1);
  const auto batches = tiny_batches(4);
  for (const auto& name : searcher_names()) {
    auto uninterrupted = make_searcher(name, tiny_search_config());
    run_steps(*uninterrupted, batches, 0, 4);
    for (int cut : {1, 3}) {  // mid-epoch 0, and mid-epoch 1 (StacNAS's stage 2)
      std::stringstream file;
      {
        auto first = make_searcher(name, tiny_search_config());
        run_steps(*first, batches, 0, cut);
        torch::serialize::OutputArchive archive;
        first->save(archive);
        archive.save_to(file);
        torch::manual_seed(999);  // whatever happens to the global generator in between
      }
      auto resumed = make_searcher(name, tiny_search_config());
      torch::serialize::InputArchive archive;
      archive.load_from(file);
      resumed->load(archive);
      EXPECT_EQ(resumed->steps(), cut) << name;
      if (cut % 2 == 1) {  // resume inside the epoch: its steps follow without new_epoch
        resumed->step(batches[cut].first, batches[cut].second);
        run_steps(*resumed, batches, cut + 1, 4);
      } else {
        run_steps(*resumed, batches, cut, 4);
      }
      EXPECT_TRUE(all_equal(resumed->alphas(), uninterrupted->alphas())) << name << " cut " << cut;
      EXPECT_TRUE(all_equal(resumed->supernet().arch_parameters(),
                            uninterrupted->supernet().arch_parameters()))
          << name << " cut " << cut;
      EXPECT_TRUE(all_equal(resumed->supernet().weights(), uninterrupted->supernet().weights()))
          << name << " cut " << cut;
      EXPECT_EQ(resumed->genotype(), uninterrupted->genotype()) << name;
    }
  }
}

TEST(Searcher, LoadRejectsAnotherMethodOrConfig) {
  auto darts = make_searcher("darts", tiny_search_config());
  torch::serialize::OutputArchive archive;
  darts->save(archive);
  std::stringstream file;
  archive.save_to(file);
  const std::string bytes = file.str();
  auto load_into = [&](Searcher& target) {
    std::stringstream in(bytes);
    torch::serialize::InputArchive input;
    input.load_from(in);
    target.load(input);
  };
  auto gdas = make_searcher("gdas", tiny_search_config());
  EXPECT_THROW(load_into(*gdas), Error);
  SearcherConfig other = tiny_search_config();
  other.weights.lr = 0.05;
  auto darts_other = make_searcher("darts", other);
  EXPECT_THROW(load_into(*darts_other), Error);
}

}  // namespace
}  // namespace d2a
