#include "d2a/search/hessian.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <vector>

#include "d2a/nn/supernet.h"

namespace d2a {
namespace {

using Tensors = std::vector<torch::Tensor>;

// A tiny supernet in double precision, so that central differences can be held to a tight
// tolerance; BN stays in training mode (batch statistics, the same batch every time).
std::shared_ptr<Supernet> double_supernet(bool edge_normalisation) {
  torch::manual_seed(3);
  auto net = make_supernet("nb201", SupernetOptions()
                                        .channels(4)
                                        .cells(1)
                                        .num_classes(3)
                                        .edge_normalisation(edge_normalisation));
  net->to(torch::kDouble);
  // Alphas away from uniform, so that the softmax Jacobian is not degenerate.
  torch::NoGradGuard no_grad;
  net->alphas()[0].normal_(0, 0.5);
  return net;
}

Batch double_batch(std::int64_t n, std::uint64_t seed) {
  torch::manual_seed(seed);
  return {torch::randn({n, 3, 8, 8}, torch::kDouble), torch::randint(0, 3, {n}, torch::kLong)};
}

Tensors random_like(const Tensors& tensors) {
  Tensors out;
  for (const auto& t : tensors) out.push_back(torch::randn_like(t));
  return out;
}

void expect_close(const Tensors& a, const Tensors& b, double rtol) {
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    const double scale = b[i].abs().max().item<double>();
    ASSERT_GT(scale, 0);
    const double error = (a[i] - b[i]).abs().max().item<double>();
    EXPECT_LT(error, rtol * scale) << "tensor " << i << ": max error " << error << " of "
                                   << scale;
  }
}

TEST(SearcherHessian, FiniteDifferenceHvpMatchesDoubleBackward) {
  for (bool edge_normalisation : {false, true}) {
    auto net = double_supernet(edge_normalisation);
    const Batch batch = double_batch(6, 5);
    const Tensors v = random_like(net->weights());
    Tensors before;
    for (const auto& w : net->weights()) before.push_back(w.detach().clone());
    const Tensors exact = exact_hvp(*net, batch, v);
    ASSERT_EQ(exact.size(), edge_normalisation ? 2u : 1u);
    // A small step in double precision: a step of DARTS's size (r = 0.01) moves thousands of
    // ReLU inputs of this tiny net across their kink, which the difference quotient cannot
    // follow (measured: even r = 1e-4 is off for some v).
    expect_close(finite_difference_hvp(*net, batch, v, 1e-6), exact, 1e-5);
    const Tensors after = net->weights();
    for (std::size_t i = 0; i < before.size(); ++i) {
      EXPECT_TRUE(torch::equal(before[i], after[i].detach())) << "weights restored, " << i;
    }
  }
}

TEST(SearcherHessian, UnrolledGradientIsTheValidGradientAtTheUnrolledWeightsMinusXiHv) {
  auto net = double_supernet(false);
  const Batch train = double_batch(6, 6);
  const Batch valid = double_batch(6, 7);
  const Tensors w = net->weights();
  const Tensors arch = net->arch_parameters();
  const Tensors momentum = random_like(w);
  const double xi = 0.05;
  const double mu = 0.9;
  const double decay = 5e-4;

  // The same computation by hand, with the exact Hessian-vector product.
  Tensors saved;
  for (const auto& t : w) saved.push_back(t.detach().clone());
  const Tensors g = torch::autograd::grad({batch_loss(*net, train).loss}, w, {}, c10::nullopt,
                                          false, true);
  {
    torch::NoGradGuard no_grad;
    for (std::size_t i = 0; i < w.size(); ++i) {
      const torch::Tensor gi = g[i].defined() ? g[i] : torch::zeros_like(w[i]);
      w[i].sub_(xi * (mu * momentum[i] + gi + decay * saved[i]));
    }
  }
  Tensors inputs = w;
  inputs.insert(inputs.end(), arch.begin(), arch.end());
  const Tensors at_unrolled = torch::autograd::grad({batch_loss(*net, valid).loss}, inputs, {},
                                                    c10::nullopt, false, true);
  {
    torch::NoGradGuard no_grad;
    for (std::size_t i = 0; i < w.size(); ++i) w[i].copy_(saved[i]);
  }
  const Tensors v(at_unrolled.begin(), at_unrolled.begin() + w.size());
  const Tensors hv = exact_hvp(*net, train, v);
  const Tensors expected = {at_unrolled[w.size()] - xi * hv[0]};

  BatchLoss valid_loss;
  const Tensors got =
      unrolled_arch_gradient(*net, train, valid, xi, mu, momentum, decay, 1e-6, &valid_loss);
  expect_close(got, expected, 1e-5);
  EXPECT_GT(valid_loss.loss.item<double>(), 0);
  // The Hessian term matters: dropping it is far off.
  const Tensors first_order = {at_unrolled[w.size()]};
  const double gap = (first_order[0] - expected[0]).abs().max().item<double>();
  EXPECT_GT(gap, 1e-3 * expected[0].abs().max().item<double>());
  for (std::size_t i = 0; i < w.size(); ++i) {
    EXPECT_TRUE(torch::equal(saved[i], w[i].detach())) << "weights restored, " << i;
  }
}

}  // namespace
}  // namespace d2a
