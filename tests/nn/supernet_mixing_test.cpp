#include "d2a/nn/supernet_mixing.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "d2a/error.h"

namespace d2a {
namespace {

TEST(SupernetMixing, SoftmaxOverAllowedOpsGivenRowsAndHardSamples) {
  torch::manual_seed(0);
  const torch::Tensor alphas = torch::randn({3, 4}, torch::requires_grad());
  torch::Tensor allowed = torch::ones({3, 4}, torch::kBool);
  allowed[1][2] = false;
  const torch::Tensor soft = mix_op_weights(alphas, allowed, {}, {});
  EXPECT_EQ(soft[1][2].item<double>(), 0.0);
  EXPECT_TRUE(torch::allclose(soft.sum(1), torch::ones({3})));
  EXPECT_TRUE(torch::allclose(soft[0], torch::softmax(alphas[0], 0)));

  const torch::Tensor given = torch::full({3, 4}, 0.25);
  EXPECT_TRUE(torch::equal(mix_op_weights(alphas, allowed, {MixingMode::kGiven, 1.0}, given),
                           given * allowed));

  const torch::Tensor hard = mix_op_weights(alphas, allowed, {MixingMode::kGumbelHard, 1.0}, {});
  EXPECT_TRUE(torch::allclose(std::get<0>(hard.max(1)), torch::ones({3})));
  EXPECT_TRUE(torch::allclose(hard.sum(1), torch::ones({3})));
  EXPECT_EQ(hard[1][2].item<double>(), 0.0);  // an op that is off is never drawn
  // Straight-through: the gradient reaches every allowed alpha.
  (hard * torch::arange(12, torch::kFloat).view({3, 4})).sum().backward();
  EXPECT_GT(alphas.grad()[0].abs().min().item<double>(), 0);
}

TEST(SupernetMixing, ChecksGivenWeightsMasksAndModes) {
  const std::vector<torch::Tensor> alphas = {torch::zeros({2, 3}), torch::zeros({2, 3})};
  const torch::Tensor row = torch::tensor({0.5, 0.25, 0.25}).repeat({2, 1});
  EXPECT_EQ(checked_op_weights({row, row}, alphas, "test").size(), 2u);
  EXPECT_THROW(checked_op_weights({row}, alphas, "test"), Error);
  EXPECT_THROW(checked_op_weights({row * 2, row}, alphas, "test"), Error);
  EXPECT_THROW(checked_op_weights({-row, row}, alphas, "test"), Error);

  std::vector<torch::Tensor> masks = {torch::ones({2, 3}, torch::kBool),
                                      torch::ones({2, 3}, torch::kBool)};
  torch::Tensor some = torch::ones({2, 3}, torch::kBool);
  some[0][1] = false;
  set_allowed_masks(masks, {some, some}, "test");
  EXPECT_FALSE(masks[1][0][1].item<bool>());
  EXPECT_THROW(set_allowed_masks(masks, {torch::zeros({2, 3}, torch::kBool), some}, "test"),
               Error);  // an edge with nothing allowed
  EXPECT_THROW(set_allowed_masks(masks, {some}, "test"), Error);
  set_allowed_masks(masks, {}, "test");
  EXPECT_TRUE(masks[0].all().item<bool>() && masks[1].all().item<bool>());

  EXPECT_THROW(check_mixing({MixingMode::kGiven, 1.0}, false, "test"), Error);
  EXPECT_NO_THROW(check_mixing({MixingMode::kGiven, 1.0}, true, "test"));
  EXPECT_THROW(check_mixing({MixingMode::kGumbelHard, 0.0}, false, "test"), Error);
}

TEST(SupernetMixing, NodeEdgeWeightsAreASoftmaxPerNode) {
  const torch::Tensor betas = torch::tensor({0.0, 1.0, 2.0, 0.5, 0.5, 3.0});
  const torch::Tensor w = node_edge_weights(betas, {0, 1, 3, 6});
  EXPECT_DOUBLE_EQ(w[0].item<double>(), 1.0);  // a node with one edge
  EXPECT_TRUE(torch::allclose(w.narrow(0, 1, 2), torch::softmax(betas.narrow(0, 1, 2), 0)));
  EXPECT_TRUE(torch::allclose(w.narrow(0, 3, 3), torch::softmax(betas.narrow(0, 3, 3), 0)));
}

}  // namespace
}  // namespace d2a
