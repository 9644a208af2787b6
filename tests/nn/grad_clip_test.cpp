#include "d2a/nn/grad_clip.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <vector>

namespace d2a {
namespace {

// Three parameters with gradients of joint norm `norm`, and one without a gradient.
std::vector<torch::Tensor> parameters_with_gradients(double norm) {
  torch::manual_seed(4);
  std::vector<torch::Tensor> params = {torch::randn({3, 4}), torch::randn({5}),
                                       torch::randn({2, 2, 3, 3}), torch::randn({7})};
  std::vector<torch::Tensor> grads = {torch::randn({3, 4}), torch::randn({5}),
                                      torch::randn({2, 2, 3, 3})};
  double squares = 0;
  for (const auto& g : grads) squares += g.pow(2).sum().item<double>();
  for (std::size_t i = 0; i < grads.size(); ++i) {
    params[i].mutable_grad() = grads[i] * (norm / std::sqrt(squares));
  }
  return params;
}

std::vector<torch::Tensor> copies(const std::vector<torch::Tensor>& params) {
  std::vector<torch::Tensor> out;
  for (const auto& p : params) {
    out.push_back(p.detach().clone());
    if (p.grad().defined()) out.back().mutable_grad() = p.grad().clone();
  }
  return out;
}

TEST(ClipGradNorm, ScalesLikeLibTorchAndKeepsTheNormOnTheDevice) {
  for (const double norm : {12.0, 0.3}) {  // above and below the limit of 5
    const auto ours = parameters_with_gradients(norm);
    const auto theirs = copies(ours);
    const torch::Tensor total = clip_grad_norm(ours, 5.0);
    const double expected_total = torch::nn::utils::clip_grad_norm_(theirs, 5.0);
    ASSERT_TRUE(total.defined());
    EXPECT_EQ(total.dim(), 0);
    EXPECT_NEAR(total.item<double>(), expected_total, 1e-4 * norm);
    EXPECT_NEAR(expected_total, norm, 1e-4 * norm);
    for (std::size_t i = 0; i < 3; ++i) {
      EXPECT_TRUE(torch::allclose(ours[i].grad(), theirs[i].grad(), 1e-6, 1e-7))
          << norm << " " << i;
    }
    EXPECT_FALSE(ours[3].grad().defined());
    double squares = 0;
    for (std::size_t i = 0; i < 3; ++i) squares += ours[i].grad().pow(2).sum().item<double>();
    EXPECT_NEAR(std::sqrt(squares), std::min(norm, 5.0), 1e-3);
  }
  EXPECT_FALSE(clip_grad_norm({torch::zeros({2})}, 1.0).defined());
}

}  // namespace
}  // namespace d2a
