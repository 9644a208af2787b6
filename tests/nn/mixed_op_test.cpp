#include "d2a/nn/mixed_op.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <memory>
#include <vector>

#include "d2a/error.h"
#include "d2a/nn/nb201_ops.h"
#include "nn/probe_op.h"

namespace d2a {
namespace {

using test::Probe;
using test::ProbeLog;

TEST(MixedOp, OutputIsTheWeightedSumOfTheOps) {
  torch::manual_seed(1);
  auto log = std::make_shared<ProbeLog>();
  std::vector<torch::nn::AnyModule> ops = {make_nb201_op(Nb201Op::kNone, 4),
                                           make_nb201_op(Nb201Op::kSkipConnect, 4),
                                           torch::nn::AnyModule(Probe(log, 2.0)),
                                           make_nb201_op(Nb201Op::kAvgPool3x3, 4)};
  MixedOp mixed(ops, MixedOpOptions(4));
  const torch::Tensor x = torch::randn({2, 4, 8, 8});
  const torch::Tensor w = torch::tensor({0.1, 0.2, 0.3, 0.4});
  const torch::Tensor expected =
      0.2 * x + 0.3 * 2.0 * x +
      0.4 * torch::avg_pool2d(x, {3, 3}, {1, 1}, {1, 1}, false, /*count_include_pad=*/false);
  EXPECT_TRUE(torch::allclose(mixed->forward(x, w), expected, 1e-5, 1e-6));
  EXPECT_EQ(log->calls, 1);
  EXPECT_EQ(mixed->num_ops(), 4);
  // `none` has no module; the others are registered as op<o>.
  const auto names = mixed->named_children().keys();
  EXPECT_EQ(names, (std::vector<std::string>{"op1", "op2", "op3"}));
}

TEST(MixedOp, PartialChannelsRouteExactlyOneKthThroughTheOps) {
  torch::manual_seed(2);
  for (std::int64_t k : {2, 4}) {
    auto log = std::make_shared<ProbeLog>();
    std::vector<torch::nn::AnyModule> ops = {torch::nn::AnyModule(Probe(log, -3.0))};
    MixedOp mixed(ops, MixedOpOptions(8).partial_channels(k));
    const torch::Tensor x = torch::randn({3, 8, 6, 6});
    const torch::Tensor y = mixed->forward(x, torch::tensor({0.5}));
    EXPECT_EQ(y.sizes(), x.sizes());
    EXPECT_EQ(log->calls, 1);
    EXPECT_EQ(log->channels, 8 / k);
    // The first C/K channels are scaled by 0.5 * -3, the rest pass untouched, then shuffled.
    const torch::Tensor routed = -1.5 * x.narrow(1, 0, 8 / k);
    const torch::Tensor expected =
        d2a::channel_shuffle(torch::cat({routed, x.narrow(1, 8 / k, 8 - 8 / k)}, 1), k);
    EXPECT_TRUE(torch::allclose(y, expected)) << "K=" << k;
    // Zeroing the mixed-op weight zeroes exactly C/K output channels.
    const torch::Tensor zeroed = mixed->forward(x, torch::tensor({0.0}));
    const torch::Tensor zero_channels = (zeroed.abs().sum({0, 2, 3}) == 0);
    EXPECT_EQ(zero_channels.sum().item<std::int64_t>(), 8 / k) << "K=" << k;
  }
}

TEST(MixedOp, StrideTwoBypassIsMaxPooled) {
  torch::manual_seed(3);
  std::vector<torch::nn::AnyModule> ops = {
      torch::nn::AnyModule(torch::nn::AvgPool2d(torch::nn::AvgPool2dOptions(2).stride(2)))};
  MixedOp mixed(ops, MixedOpOptions(8).stride(2).partial_channels(4));
  const torch::Tensor x = torch::randn({2, 8, 8, 8});
  const torch::Tensor y = mixed->forward(x, torch::tensor({1.0}));
  ASSERT_EQ(y.sizes(), (torch::IntArrayRef{2, 8, 4, 4}));
  const torch::Tensor expected = d2a::channel_shuffle(
      torch::cat({torch::avg_pool2d(x.narrow(1, 0, 2), {2, 2}, {2, 2}),
                  torch::max_pool2d(x.narrow(1, 2, 6), {2, 2}, {2, 2})},
                 1),
      4);
  EXPECT_TRUE(torch::allclose(y, expected));
}

// PC-DARTS' edge weight folded into the op weights and the bypass: the same value and the
// same gradients as scaling the whole output.
TEST(MixedOp, EdgeScaleEqualsScalingTheOutput) {
  torch::manual_seed(4);
  for (const std::int64_t stride : {1, 2}) {
    std::vector<torch::nn::AnyModule> ops = {make_nb201_op(Nb201Op::kNone, 2),
                                             make_nb201_op(Nb201Op::kNorConv3x3, 2)};
    if (stride == 2) ops[1] = torch::nn::AnyModule(torch::nn::AvgPool2d(torch::nn::AvgPool2dOptions(2)));
    MixedOp mixed(ops, MixedOpOptions(8).partial_channels(4).stride(stride));
    const torch::Tensor x = torch::randn({2, 8, 6, 6});
    const torch::Tensor w = torch::tensor({0.3, 0.7}).requires_grad_(true);
    const torch::Tensor scale = torch::tensor(0.6).requires_grad_(true);
    const torch::Tensor folded = mixed->forward(x, w, scale);
    const torch::Tensor outside = scale * mixed->forward(x, w);
    EXPECT_TRUE(torch::allclose(folded, outside, 1e-5, 1e-6)) << "stride " << stride;
    const auto g1 = torch::autograd::grad({folded.pow(2).sum()}, {w, scale});
    const auto g2 = torch::autograd::grad({outside.pow(2).sum()}, {w, scale});
    EXPECT_TRUE(torch::allclose(g1[0], g2[0], 1e-4, 1e-5)) << "stride " << stride;
    EXPECT_TRUE(torch::allclose(g1[1], g2[1], 1e-4, 1e-5)) << "stride " << stride;
  }
}

TEST(MixedOp, ChannelShuffleIsTheGroupTransposePermutation) {
  const torch::Tensor x =
      torch::arange(8, torch::kFloat).view({1, 8, 1, 1}).expand({2, 8, 3, 3}).contiguous();
  const torch::Tensor y = d2a::channel_shuffle(x, 4);
  // [4 groups x 2] transposed to [2 x 4 groups]: channel i of the output is input 2*(i%4)+i/4.
  const std::vector<float> order = {0, 2, 4, 6, 1, 3, 5, 7};
  for (int c = 0; c < 8; ++c) {
    EXPECT_TRUE((y.select(1, c) == order[c]).all().item<bool>()) << c;
  }
  EXPECT_TRUE(torch::equal(std::get<0>(y.select(0, 0).flatten(1).select(1, 0).sort()),
                           torch::arange(8, torch::kFloat)));
  EXPECT_THROW(d2a::channel_shuffle(x, 3), Error);
}

TEST(MixedOp, ZeroWeightOpsWithoutGradientDoNotRun) {
  auto log = std::make_shared<ProbeLog>();
  std::vector<torch::nn::AnyModule> ops = {torch::nn::AnyModule(Probe(log, 1.0)),
                                           make_nb201_op(Nb201Op::kSkipConnect, 4)};
  MixedOp mixed(ops, MixedOpOptions(4));
  const torch::Tensor x = torch::randn({2, 4, 8, 8});
  EXPECT_TRUE(torch::allclose(mixed->forward(x, torch::tensor({0.0, 1.0})), x));
  EXPECT_EQ(log->calls, 0);
  // All weights zero: the output is zeros of the right shape.
  const torch::Tensor y = mixed->forward(x, torch::tensor({0.0, 0.0}));
  EXPECT_EQ(y.sizes(), x.sizes());
  EXPECT_EQ(y.abs().sum().item<float>(), 0.0f);
  EXPECT_EQ(log->calls, 0);
}

TEST(MixedOp, HardSampleRunsOneOpAndItsGradientReachesEveryAlpha) {
  torch::manual_seed(4);
  std::vector<std::shared_ptr<ProbeLog>> logs;
  std::vector<torch::nn::AnyModule> ops = {make_nb201_op(Nb201Op::kNone, 4)};
  for (double scale : {1.0, 2.0, 3.0}) {
    logs.push_back(std::make_shared<ProbeLog>());
    ops.emplace_back(Probe(logs.back(), scale));
  }
  MixedOp mixed(ops, MixedOpOptions(4));
  const torch::Tensor x = torch::randn({2, 4, 8, 8});
  const torch::Tensor alpha = torch::randn({4}, torch::requires_grad());
  const torch::Tensor soft = torch::softmax(alpha, 0);
  const torch::Tensor hard =
      torch::one_hot(torch::tensor(2), 4).to(torch::kFloat) - soft.detach() + soft;
  const torch::Tensor y = mixed->forward(x, hard);
  EXPECT_EQ(logs[0]->calls + logs[1]->calls + logs[2]->calls, 1);
  EXPECT_EQ(logs[1]->calls, 1);  // the op of scale 2
  (y * y).sum().backward();
  const torch::Tensor grad = alpha.grad().clone();
  EXPECT_TRUE((grad != 0).all().item<bool>()) << grad;

  // xautodl's GDAS cell: the chosen op times its weight, plus the other hard weights (zeros),
  // `none`'s included.
  const torch::Tensor alpha2 = alpha.detach().clone().requires_grad_(true);
  const torch::Tensor soft2 = torch::softmax(alpha2, 0);
  const torch::Tensor hard2 =
      torch::one_hot(torch::tensor(2), 4).to(torch::kFloat) - soft2.detach() + soft2;
  const torch::Tensor y2 = 2.0 * x * hard2[2] + hard2[0] + hard2[1] + hard2[3];
  (y2 * y2).sum().backward();
  EXPECT_TRUE(torch::allclose(y, y2));
  EXPECT_TRUE(torch::allclose(grad, alpha2.grad(), 1e-5, 1e-7));
}

TEST(MixedOp, GradientsReachOpWeightsAndMixingWeights) {
  torch::manual_seed(5);
  std::vector<torch::nn::AnyModule> ops = {make_nb201_op(Nb201Op::kNone, 4),
                                           make_nb201_op(Nb201Op::kNorConv3x3, 4),
                                           make_nb201_op(Nb201Op::kAvgPool3x3, 4)};
  MixedOp mixed(ops, MixedOpOptions(4));
  const torch::Tensor alpha = (1e-3 * torch::randn({3})).requires_grad_(true);
  const torch::Tensor y = mixed->forward(torch::randn({4, 4, 8, 8}), torch::softmax(alpha, 0));
  y.pow(2).mean().backward();
  EXPECT_TRUE((alpha.grad() != 0).all().item<bool>()) << alpha.grad();
  for (const auto& p : mixed->parameters()) {
    ASSERT_TRUE(p.grad().defined());
    EXPECT_GT(p.grad().abs().sum().item<float>(), 0.0f);
  }
}

TEST(MixedOp, RejectsChannelsThatDoNotSplitIntoKParts) {
  std::vector<torch::nn::AnyModule> ops = {make_nb201_op(Nb201Op::kSkipConnect, 2)};
  EXPECT_THROW(MixedOp(ops, MixedOpOptions(6).partial_channels(4)), Error);
  MixedOp mixed(ops, MixedOpOptions(4).partial_channels(2));
  EXPECT_THROW(mixed->forward(torch::randn({1, 4, 8, 8}), torch::tensor({0.5, 0.5})), Error);
  EXPECT_THROW(mixed->forward(torch::randn({1, 3, 8, 8}), torch::tensor({1.0})), Error);
}

}  // namespace
}  // namespace d2a
