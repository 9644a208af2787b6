#include "d2a/search/mean_shift.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <string>
#include <vector>

#include "d2a/error.h"

namespace d2a {
namespace {

// `tolerance` on the row sums: 1e-12 for double rows, 1e-6 for float ones.
void expect_on_simplex(const torch::Tensor& rows, const std::string& what,
                       double tolerance = 1e-12) {
  EXPECT_GE(rows.min().item<double>(), 0.0) << what;
  const double off = (rows.to(torch::kDouble).sum(1) - 1).abs().max().item<double>();
  EXPECT_LE(off, tolerance) << what;
}

TEST(SearcherMeanShift, ProjectionOntoTheSimplexKnownValues) {
  const torch::Tensor x = torch::tensor({{0.5, 0.5, 0.0},
                                         {2.0, 0.0, 0.0},
                                         {0.6, 0.6, 0.6},
                                         {-1.0, 0.5, 0.8},
                                         {0.2, 0.3, 0.1}},
                                        torch::kDouble);
  const torch::Tensor expected = torch::tensor({{0.5, 0.5, 0.0},
                                                {1.0, 0.0, 0.0},
                                                {1.0 / 3, 1.0 / 3, 1.0 / 3},
                                                {0.0, 0.35, 0.65},
                                                {0.2 + 0.4 / 3, 0.3 + 0.4 / 3, 0.1 + 0.4 / 3}},
                                               torch::kDouble);
  EXPECT_TRUE(torch::allclose(project_rows_onto_simplex(x), expected, 1e-12, 1e-12))
      << project_rows_onto_simplex(x);
  // Random rows land on the simplex, and projecting again changes nothing.
  torch::manual_seed(1);
  const torch::Tensor random = torch::randn({50, 5}, torch::kDouble);
  const torch::Tensor projected = project_rows_onto_simplex(random);
  expect_on_simplex(projected, "random rows");
  EXPECT_TRUE(torch::allclose(project_rows_onto_simplex(projected), projected, 1e-12, 1e-12));
  // Nothing on the simplex is closer: compare with random simplex points.
  const torch::Tensor others = torch::softmax(torch::randn({50, 5}, torch::kDouble) * 3, 1);
  EXPECT_TRUE(((random - projected).pow(2).sum(1) <= (random - others).pow(2).sum(1) + 1e-12)
                  .all()
                  .item<bool>());
  EXPECT_THROW(project_rows_onto_simplex(torch::ones({3})), Error);
}

TEST(SearcherMeanShift, SamplesAndTheShiftStayOnTheSimplex) {
  torch::manual_seed(2);
  const std::vector<torch::Tensor> start = {
      torch::softmax(torch::randn({6, 5}), 1), torch::softmax(torch::randn({14, 8}), 1)};
  int calls = 0;
  MeanShiftOptions options;
  options.samples = 3;
  options.iterations = 2;
  options.eps = 0.25;  // the widest of the schedule, where rows hit the simplex's faces
  const MeanShiftResult result = mean_shift(
      start,
      [&](const std::vector<torch::Tensor>& weights) {
        ++calls;
        EXPECT_EQ(weights.size(), 2u);
        return weights[0][0][0].item<double>();
      },
      options);
  EXPECT_EQ(calls, 6);
  ASSERT_EQ(result.samples.size(), 6u);
  for (const auto& sample : result.samples) {
    for (std::size_t i = 0; i < sample.size(); ++i) {
      EXPECT_EQ(sample[i].scalar_type(), torch::kFloat);
      expect_on_simplex(sample[i], "sample", 1e-6);
      // The projection does not expand distances, and the second iteration starts within the
      // first's samples: each row stays within 2 eps sqrt(K) of the start.
      const double bound = 2 * 0.25 * std::sqrt(static_cast<double>(start[i].size(1)));
      EXPECT_LE((sample[i] - start[i]).pow(2).sum(1).sqrt().max().item<float>(), bound + 1e-6);
    }
  }
  ASSERT_EQ(result.shifted.size(), 2u);
  for (const auto& rows : result.shifted) expect_on_simplex(rows, "shifted", 1e-6);
  // Some samples were drawn apart from the start (the shift is not the identity).
  EXPECT_FALSE(torch::allclose(result.shifted[0], start[0]));
}

TEST(SearcherMeanShift, LowerLossSamplesPullTheMean) {
  // One row; the loss strongly prefers weight on op 0. Averaged over seeds, the shift moves
  // p[0] up, while a loss-blind shift (constant loss) leaves it where it was on average.
  const std::vector<torch::Tensor> start = {torch::full({1, 4}, 0.25, torch::kDouble)};
  MeanShiftOptions options;
  options.samples = 8;
  options.iterations = 1;
  options.eps = 0.2;
  double guided = 0;
  double blind = 0;
  for (int seed = 0; seed < 20; ++seed) {
    torch::manual_seed(seed);
    guided += mean_shift(start,
                         [](const std::vector<torch::Tensor>& w) {
                           return -100.0 * w[0][0][0].item<double>();
                         },
                         options)
                  .shifted[0][0][0]
                  .item<double>();
    torch::manual_seed(seed);
    blind += mean_shift(start, [](const std::vector<torch::Tensor>&) { return 1.0; }, options)
                 .shifted[0][0][0]
                 .item<double>();
  }
  EXPECT_GT(guided / 20, 0.25 + 0.05);
  EXPECT_NEAR(blind / 20, 0.25, 0.03);
}

}  // namespace
}  // namespace d2a
