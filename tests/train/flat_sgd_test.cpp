#include "d2a/train/flat_sgd.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <set>
#include <vector>

#include "d2a/error.h"
#include "d2a/train/layout.h"

namespace d2a {
namespace {

struct SmallNetImpl : torch::nn::Module {
  SmallNetImpl()
      : conv(register_module("conv",
                             torch::nn::Conv2d(torch::nn::Conv2dOptions(3, 6, 3).padding(1)))),
        bn(register_module("bn", torch::nn::BatchNorm2d(6))),
        fc(register_module("fc", torch::nn::Linear(6, 4))) {}
  torch::Tensor forward(const torch::Tensor& x) {
    return fc(torch::relu(bn(conv(x))).mean({2, 3}));
  }
  torch::nn::Conv2d conv;
  torch::nn::BatchNorm2d bn;
  torch::nn::Linear fc;
};
TORCH_MODULE(SmallNet);

// Trains two identical networks `steps` steps on the same batches, one with torch::optim::SGD
// (options `o`) and one with FlatSgd (options `f`), and returns the largest difference between
// their parameters afterwards.
double largest_difference(const FlatSgdOptions& o, const FlatSgdOptions& f, int steps) {
  torch::manual_seed(3);
  SmallNet reference;
  SmallNet flat;
  {
    torch::NoGradGuard no_grad;
    for (std::size_t i = 0; i < reference->parameters().size(); ++i) {
      flat->parameters()[i].copy_(reference->parameters()[i]);
    }
  }
  make_channels_last(*reference);
  make_channels_last(*flat);
  torch::optim::SGD sgd(reference->parameters(), torch::optim::SGDOptions(o.learning_rate)
                                                     .momentum(o.momentum)
                                                     .nesterov(o.nesterov)
                                                     .weight_decay(o.weight_decay));
  double max_diff = 0;
  {
    FlatSgd flat_sgd(flat->parameters(), f);
    for (int step = 0; step < steps; ++step) {
      const torch::Tensor x =
          torch::randn({8, 3, 6, 6}).contiguous(torch::MemoryFormat::ChannelsLast);
      const torch::Tensor y = torch::randint(0, 4, {8}, torch::kLong);
      const double lr = o.learning_rate / (1 + step);  // a schedule, as the trainer's
      for (auto& group : sgd.param_groups()) {
        static_cast<torch::optim::SGDOptions&>(group.options()).lr(lr);
      }
      sgd.zero_grad();
      torch::cross_entropy_loss(reference->forward(x), y).backward();
      sgd.step();
      flat_sgd.zero_grad();
      torch::cross_entropy_loss(flat->forward(x), y).backward();
      flat_sgd.step(lr);
    }
  }
  for (std::size_t i = 0; i < reference->parameters().size(); ++i) {
    max_diff = std::max(
        max_diff, (reference->parameters()[i] - flat->parameters()[i]).abs().max().item<double>());
  }
  return max_diff;
}

TEST(FlatSgd, StepsAsTorchSgdDoes) {
  const FlatSgdOptions trainer{0.1, 0.9, 5e-4, true};  // the budgets' recipe
  const FlatSgdOptions momentum{0.05, 0.9, 0, false};
  const FlatSgdOptions plain{0.05, 0, 1e-2, false};
  EXPECT_LT(largest_difference(trainer, trainer, 6), 1e-6);
  EXPECT_LT(largest_difference(momentum, momentum, 6), 1e-6);
  EXPECT_LT(largest_difference(plain, plain, 6), 1e-6);
  // The comparison can fail: without Nesterov, or with no weight decay, the weights move apart.
  EXPECT_GT(largest_difference(trainer, {0.1, 0.9, 5e-4, false}, 6), 1e-4);
  EXPECT_GT(largest_difference(trainer, {0.1, 0.9, 0, true}, 6), 1e-6);
}

TEST(FlatSgd, ParametersShareOneBufferAndGetTheirOwnStorageBack) {
  SmallNet net;
  make_channels_last(*net);
  const std::vector<torch::Tensor> params = net->parameters();
  const torch::Tensor weight_before = params[0].detach().clone();
  ASSERT_TRUE(params[0].is_contiguous(torch::MemoryFormat::ChannelsLast));
  {
    FlatSgd sgd(params, {});
    std::set<const void*> storages;
    for (const auto& p : params) storages.insert(p.storage().data());
    EXPECT_EQ(storages.size(), 1u);
    EXPECT_TRUE(params[0].is_contiguous(torch::MemoryFormat::ChannelsLast));  // strides kept
    EXPECT_TRUE(torch::equal(params[0], weight_before));
    for (const auto& p : params) {
      ASSERT_TRUE(p.grad().defined());
      EXPECT_EQ(p.grad().strides(), p.strides());
      EXPECT_EQ(p.grad().abs().sum().item<double>(), 0);
    }
    EXPECT_EQ(sgd.gradients().numel(), 6 * 3 * 9 + 6 + 6 + 6 + 6 * 4 + 4);
    // Backward adds into the views: the flat buffer sees every gradient.
    torch::cross_entropy_loss(net->forward(torch::randn({4, 3, 5, 5})),
                              torch::tensor({0, 1, 2, 3}, torch::kLong))
        .backward();
    double sum_of_views = 0;
    for (const auto& p : params) sum_of_views += p.grad().abs().sum().item<double>();
    EXPECT_GT(sum_of_views, 0);
    EXPECT_NEAR(sgd.gradients().abs().sum().item<double>(), sum_of_views, 1e-4);
    sgd.zero_grad();
    EXPECT_EQ(params[2].grad().abs().sum().item<double>(), 0);
  }
  std::set<const void*> storages;
  for (const auto& p : params) {
    storages.insert(p.storage().data());
    EXPECT_FALSE(p.grad().defined());
  }
  EXPECT_EQ(storages.size(), params.size());
  EXPECT_TRUE(params[0].is_contiguous(torch::MemoryFormat::ChannelsLast));
  EXPECT_TRUE(torch::equal(params[0], weight_before));
}

TEST(FlatSgd, RefusesAReplacedGradientAndMixedParameters) {
  SmallNet net;
  const std::vector<torch::Tensor> params = net->parameters();
  {
    FlatSgd sgd(params, {});
    params[1].mutable_grad() = torch::zeros_like(params[1]);
    EXPECT_THROW(sgd.step(0.1), Error);
  }
  EXPECT_THROW(FlatSgd({}, {}), Error);
  EXPECT_THROW(FlatSgd({params[0], params[1].to(torch::kDouble)}, {}), Error);
  EXPECT_THROW(FlatSgd({params[0], torch::zeros({4, 4}).narrow(1, 0, 2)}, {}), Error);  // gaps
}

}  // namespace
}  // namespace d2a
