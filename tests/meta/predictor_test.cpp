#include "d2a/meta/predictor.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <algorithm>
#include <numeric>
#include <vector>

#include "d2a/error.h"
#include "d2a/meta/cell_batch.h"
#include "meta_test_support.h"

namespace d2a {
namespace {

// Ranks from 0, ties sharing their average rank.
std::vector<double> ranks(const torch::Tensor& values) {
  const torch::Tensor v = values.to(torch::kDouble).contiguous();
  const auto n = static_cast<std::size_t>(v.size(0));
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  const double* data = v.data_ptr<double>();
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return data[a] < data[b]; });
  std::vector<double> rank(n);
  for (std::size_t i = 0; i < n;) {
    std::size_t j = i;
    while (j + 1 < n && data[order[j + 1]] == data[order[i]]) ++j;
    for (std::size_t k = i; k <= j; ++k) rank[order[k]] = 0.5 * static_cast<double>(i + j);
    i = j + 1;
  }
  return rank;
}

// Spearman correlation: the Pearson correlation of the ranks.
double rank_correlation(const torch::Tensor& a, const torch::Tensor& b) {
  const torch::Tensor ra = torch::tensor(ranks(a)), rb = torch::tensor(ranks(b));
  const torch::Tensor da = ra - ra.mean(), db = rb - rb.mean();
  return ((da * db).sum() / (da.norm() * db.norm())).item<double>();
}

TEST(Predictor, ScoresEachCellAgainstItsDataset) {
  torch::manual_seed(0);
  Predictor predictor(PredictorOptions(8));
  const torch::Tensor dataset = predictor->encode_dataset(torch::randn({3, 4, 5, 8}));
  EXPECT_EQ(dataset.sizes(), torch::IntArrayRef({3, 56}));
  const torch::Tensor codes = cells_to_op_codes(test::random_cells(3, 1));
  const torch::Tensor scores = predictor(codes, dataset);
  EXPECT_EQ(scores.sizes(), torch::IntArrayRef({3}));
  // One dataset vector broadcasts over many cells, and equals scoring each pair.
  const torch::Tensor one = dataset.slice(0, 1, 2);
  const torch::Tensor broadcast = predictor(codes, one);
  EXPECT_TRUE(torch::allclose(broadcast, predictor(codes, one.expand({3, 56})), 1e-5, 1e-6));
  EXPECT_NEAR(broadcast[1].item<double>(), scores[1].item<double>(), 1e-5);
  // The dataset matters.
  EXPECT_GT((predictor(codes, dataset.slice(0, 0, 1)) - broadcast).abs().max().item<double>(), 1e-6);
  EXPECT_THROW(predictor(codes, dataset.slice(0, 0, 2)), Error);
  EXPECT_THROW(predictor->score(torch::randn({3, 55}), one), Error);
}

TEST(Predictor, GradientsReachEveryParameter) {
  torch::manual_seed(1);
  PredictorOptions options(8);
  options.graph_encoder().hidden_dim(32);
  Predictor predictor(options);
  const torch::Tensor dataset = predictor->encode_dataset(torch::randn({2, 3, 4, 8}));
  predictor(cells_to_op_codes(test::random_cells(2, 5)), dataset).pow(2).sum().backward();
  test::expect_gradients_everywhere(*predictor);
}

TEST(Predictor, FitsASyntheticCellScore) {
  torch::manual_seed(2);
  // Narrower than the published 512 so that the test stays fast; the wiring is the same.
  PredictorOptions options(8);
  options.graph_encoder().hidden_dim(128);
  options.mlp_hidden(128);
  Predictor predictor(options);
  const std::vector<Nb201Cell> cells = test::random_cells(64, 9);
  const torch::Tensor codes = cells_to_op_codes(cells);
  // Target: the number of nor_conv_3x3 edges, standardised.
  torch::Tensor target = (codes == static_cast<int64_t>(Nb201Op::kNorConv3x3)).sum(1).to(torch::kFloat);
  target = (target - target.mean()) / target.std();
  const torch::Tensor dataset = torch::randn({1, 56});
  torch::optim::Adam optimizer(predictor->parameters(), torch::optim::AdamOptions(1e-3));
  const auto mse = [&] { return torch::mse_loss(predictor(codes, dataset), target); };
  const double initial = mse().item<double>();
  for (int step = 0; step < 150; ++step) {
    optimizer.zero_grad();
    mse().backward();
    optimizer.step();
  }
  torch::NoGradGuard no_grad;
  EXPECT_LT(mse().item<double>(), initial / 5);
  EXPECT_GT(rank_correlation(predictor(codes, dataset), target), 0.8);
}

TEST(Predictor, PriorAddsADatasetAgnosticTerm) {
  torch::manual_seed(3);
  PredictorOptions options(8);
  options.graph_encoder().hidden_dim(32);
  options.prior(true).residual_weight(0.5);
  Predictor predictor(options);
  const torch::Tensor codes = cells_to_op_codes(test::random_cells(4, 2));
  const torch::Tensor dataset = predictor->encode_dataset(torch::randn({1, 3, 4, 8}));
  const torch::Tensor cells = predictor->embed_cells(codes);
  const torch::Tensor prior = predictor->prior_score(cells);
  EXPECT_EQ(prior.sizes(), torch::IntArrayRef({4}));
  EXPECT_TRUE(torch::allclose(predictor(codes, dataset),
                              prior + 0.5 * predictor->residual(cells, dataset), 1e-5, 1e-6));
  // The prior ignores the dataset; the score does not.
  const torch::Tensor other = predictor->encode_dataset(torch::randn({1, 3, 4, 8}) + 3);
  EXPECT_GT((predictor(codes, dataset) - predictor(codes, other)).abs().max().item<double>(), 1e-6);
  predictor(codes, dataset).pow(2).sum().backward();
  test::expect_gradients_everywhere(*predictor);

  Predictor plain(PredictorOptions(8));
  EXPECT_THROW(plain->prior_score(plain->embed_cells(codes)), Error);
}

TEST(Predictor, OptionsRoundTripAndOldConfigsHaveNoPrior) {
  PredictorOptions options(8);
  options.prior(true).residual_weight(0.25);
  const nlohmann::json json = to_json(options);
  const PredictorOptions back = predictor_options_from_json(json, "config.json");
  EXPECT_TRUE(back.prior());
  EXPECT_DOUBLE_EQ(back.residual_weight(), 0.25);
  nlohmann::json old = json;
  old.erase("prior");
  old.erase("residual_weight");
  const PredictorOptions legacy = predictor_options_from_json(old, "config.json");
  EXPECT_FALSE(legacy.prior());
  EXPECT_DOUBLE_EQ(legacy.residual_weight(), 1.0);
  old["prior"] = "yes";
  EXPECT_THROW(predictor_options_from_json(old, "config.json"), Error);
}

}  // namespace
}  // namespace d2a
