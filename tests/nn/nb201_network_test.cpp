#include "d2a/nn/nb201_network.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <string>

#include "d2a/error.h"
#include "d2a/space/nb201_cost.h"
#include "d2a/space/nb201_graph.h"
#include "d2a/train/layout.h"

namespace d2a {
namespace {

const char* kAllConv3 =
    "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|"
    "nor_conv_3x3~2|";
const char* kMixed =
    "|nor_conv_1x1~0|+|avg_pool_3x3~0|none~1|+|skip_connect~0|nor_conv_3x3~1|"
    "none~2|";

Nb201MacroConfig macro(int channels, int cells, int input_channels, int classes) {
  Nb201MacroConfig m;
  m.channels = channels;
  m.cells_per_stage = cells;
  m.input_channels = input_channels;
  m.num_classes = classes;
  return m;
}

TEST(Nb201Network, ParameterCountMatchesTheCostModel) {
  const std::vector<std::string> cells = {
      kAllConv3, kMixed, "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|",
      "|skip_connect~0|+|avg_pool_3x3~0|skip_connect~1|+|none~0|none~1|avg_pool_3x3~2|",
      "|nor_conv_1x1~0|+|nor_conv_1x1~0|nor_conv_3x3~1|+|avg_pool_3x3~0|nor_conv_1x1~1|"
      "nor_conv_3x3~2|"};
  const std::vector<Nb201MacroConfig> configs = {macro(16, 5, 3, 10), macro(8, 1, 1, 4),
                                                 macro(12, 2, 3, 100)};
  for (const auto& text : cells) {
    for (const auto& config : configs) {
      const Nb201Cell cell = Nb201Cell::parse(text);
      Nb201Network net(Nb201NetworkOptions(cell, config));
      EXPECT_EQ(net->num_parameters(), nb201_network_cost(cell, config).params)
          << text << " C=" << config.channels << " N=" << config.cells_per_stage;
    }
  }
  // The benchmark network's known size: 1,531,546 parameters for the all-conv3x3 cell.
  EXPECT_EQ(Nb201Network(Nb201NetworkOptions(Nb201Cell::parse(kAllConv3)))->num_parameters(),
            73306 + 6 * 243040);
}

TEST(Nb201Network, ForwardShapesForGreyAndColourInputs) {
  const Nb201Cell cell = Nb201Cell::parse(kMixed);
  for (int input_channels : {1, 3}) {
    for (int size : {8, 16, 28, 32, 30}) {
      Nb201Network net(Nb201NetworkOptions(cell, macro(8, 1, input_channels, 7)));
      const torch::Tensor logits = net->forward(torch::randn({2, input_channels, size, size}));
      EXPECT_EQ(logits.sizes(), (torch::IntArrayRef{2, 7})) << input_channels << " " << size;
      EXPECT_TRUE(torch::isfinite(logits).all().item<bool>());
    }
  }
}

TEST(Nb201Network, RejectsBadSizesAndInputs) {
  EXPECT_THROW(Nb201Network(Nb201NetworkOptions(Nb201Cell(), macro(0, 1, 3, 10))), Error);
  EXPECT_THROW(Nb201Network(Nb201NetworkOptions(Nb201Cell(), macro(8, 1, 3, 1))), Error);
  Nb201Network net(Nb201NetworkOptions(Nb201Cell(), macro(8, 1, 3, 10)));
  EXPECT_THROW(net->forward(torch::randn({2, 1, 16, 16})), Error);  // wrong channel count
  EXPECT_THROW(net->forward(torch::randn({2, 3, 4, 4})), Error);    // too small
}

TEST(Nb201Network, NoneEdgesCreateNoModules) {
  const Nb201Cell cell = Nb201Cell::parse(kMixed);  // edges 2 and 5 are none
  Nb201FixedCell module(Nb201FixedCellOptions(cell, 8));
  int edges_with_modules = 0;
  for (int e = 0; e < kNb201NumEdges; ++e) {
    EXPECT_EQ(module->edges[e].is_empty(), cell.op(e) == Nb201Op::kNone) << e;
    edges_with_modules += !module->edges[e].is_empty();
  }
  EXPECT_EQ(edges_with_modules, 4);
  EXPECT_EQ(module->named_children().size(), 4u);
  for (const auto& item : module->named_parameters()) {
    // only the two convolutions (edges 0 and 4) own weights
    EXPECT_TRUE(item.key().rfind("edge0.", 0) == 0 || item.key().rfind("edge4.", 0) == 0)
        << item.key();
  }
}

TEST(Nb201Network, EmptyCellOutputsZerosAndAllNoneNodesFeedConvolutions) {
  torch::manual_seed(1);
  const torch::Tensor x = torch::randn({2, 4, 8, 8});
  Nb201FixedCell empty(Nb201FixedCellOptions(Nb201Cell(), 4));
  EXPECT_TRUE(empty->forward(x).eq(0).all().item<bool>());
  // Node 1 is all-none; edge (3<-1) reads it with a conv whose BN shift is the whole output.
  Nb201FixedCell zero_fed(Nb201FixedCellOptions(
      Nb201Cell::parse("|none~0|+|none~0|none~1|+|none~0|nor_conv_3x3~1|none~2|"), 4));
  zero_fed->eval();
  auto bn = zero_fed->named_modules()["edge4.bn"]->as<torch::nn::BatchNorm2d>();
  ASSERT_NE(bn, nullptr);
  {
    torch::NoGradGuard no_grad;
    bn->bias.fill_(0.5);
  }
  const torch::Tensor out = zero_fed->forward(x);
  EXPECT_EQ(out.sizes(), x.sizes());
  EXPECT_TRUE(torch::allclose(out, torch::full_like(x, 0.5)));
}

TEST(Nb201Network, GradientsReachEveryParameterOfALiveOp) {
  torch::manual_seed(2);
  const Nb201Cell cell = Nb201Cell::parse(kMixed);
  const auto live = nb201_live_edges(cell);
  Nb201Network net(Nb201NetworkOptions(cell, macro(4, 2, 3, 3)));
  const torch::Tensor loss = torch::cross_entropy_loss(net->forward(torch::randn({4, 3, 16, 16})),
                                                       torch::tensor({0, 1, 2, 1}, torch::kLong));
  loss.backward();
  int checked = 0;
  for (const auto& item : net->named_parameters()) {
    // Both convolutions of this cell (edges 0 and 4) are live, so every parameter must learn.
    ASSERT_TRUE(item.value().grad().defined()) << item.key();
    EXPECT_GT(item.value().grad().abs().sum().item<double>(), 0.0) << item.key();
    ++checked;
  }
  // Edge 1 (a pool into node 2, which only a none edge leaves) is dead but owns no weights.
  EXPECT_EQ(live, (std::array<bool, kNb201NumEdges>{true, false, false, true, true, false}));
  EXPECT_GT(checked, 20);
}

TEST(Nb201Network, CloneCopiesWeightsIntoAnIndependentNetwork) {
  torch::manual_seed(3);
  Nb201Network net(Nb201NetworkOptions(Nb201Cell::parse(kMixed), macro(4, 1, 3, 3)));
  auto copy = std::dynamic_pointer_cast<Nb201NetworkImpl>(net->clone());
  ASSERT_NE(copy, nullptr);
  const torch::Tensor x = torch::randn({2, 3, 8, 8});
  net->eval();
  copy->eval();
  EXPECT_TRUE(torch::equal(net->forward(x), copy->forward(x)));
  {
    torch::NoGradGuard no_grad;
    copy->classifier->bias.add_(1.0);
  }
  EXPECT_FALSE(torch::equal(net->forward(x), copy->forward(x)));
}

// Running statistics and affine parameters far from their initial values, so that a fold that
// dropped the mean, the variance, gamma or beta would change the outputs.
void give_batch_norms_statistics(torch::nn::Module& net, const torch::Tensor& x) {
  torch::NoGradGuard no_grad;
  for (auto& p : net.named_parameters()) {
    if (p.key().find("bn") != std::string::npos) p.value().uniform_(0.5, 1.5);
  }
  net.train();
  for (int i = 0; i < 3; ++i) {
    for (const auto& module : net.modules()) {
      if (auto* bn = module->as<torch::nn::BatchNorm2dImpl>()) bn->options.momentum(0.5);
    }
    net.as<Nb201NetworkImpl>()->forward(x * (i + 2) + 1);
  }
  net.eval();
}

TEST(Nb201Network, FoldedBatchNormsGiveTheEvalOutputs) {
  for (const char* cell : {kAllConv3, kMixed}) {
    for (const bool channels_last : {false, true}) {
      torch::manual_seed(11);
      Nb201Network net(Nb201NetworkOptions(Nb201Cell::parse(cell), macro(4, 1, 3, 5)));
      const torch::Tensor x = torch::randn({3, 3, 12, 12});
      give_batch_norms_statistics(*net, x);
      if (channels_last) make_channels_last(*net);
      torch::NoGradGuard no_grad;
      const torch::Tensor expected = net->forward(x);
      net->fold_batch_norms();
      const torch::Tensor folded = net->forward(x);
      EXPECT_TRUE(torch::allclose(folded, expected, 1e-4, 1e-5))
          << cell << (channels_last ? " channels-last: " : ": ")
          << (folded - expected).abs().max().item<float>();
      // The BNs no longer run: their statistics do not matter any more ...
      net->stem_bn->running_mean.add_(5);
      for (const auto& module : net->modules()) {
        if (auto* unit = module->as<ReluConvBnImpl>()) unit->bn->running_var.mul_(9);
      }
      EXPECT_TRUE(torch::equal(net->forward(x), folded)) << cell;
      // ... and a folded network cannot train.
      net->train();
      EXPECT_THROW(net->forward(x), std::logic_error);
    }
  }
}

TEST(Nb201Network, FoldsABatchNormWithoutScaleAndShift) {
  torch::manual_seed(12);
  ReluConvBn unit(ReluConvBnOptions(3, 4, 3).stride(2).affine(false));
  const torch::Tensor x = torch::randn({2, 3, 9, 9});
  {
    torch::NoGradGuard no_grad;
    unit->bn->running_mean.uniform_(-1, 1);
    unit->bn->running_var.uniform_(0.2, 3);
  }
  unit->eval();
  torch::NoGradGuard no_grad;
  const torch::Tensor expected = unit->forward(x);
  unit->fold_batch_norm();
  EXPECT_TRUE(torch::allclose(unit->forward(x), expected, 1e-4, 1e-5));
  unit->train();
  EXPECT_THROW(unit->fold_batch_norm(), std::logic_error);
}

}  // namespace
}  // namespace d2a
