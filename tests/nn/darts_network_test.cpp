#include "d2a/nn/darts_network.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "d2a/error.h"
#include "d2a/space/darts_published.h"

namespace d2a {
namespace {

DartsGenotype published(const char* name) { return *find_published_darts_genotype(name); }

DartsNetworkOptions small(const DartsGenotype& genotype, std::int64_t input_channels = 3) {
  return DartsNetworkOptions(genotype).channels(4).layers(3).input_channels(input_channels).num_classes(5);
}

TEST(DartsNetwork, ParameterCountOfDartsV2IsThePublished3Point3M) {
  // DARTS reports 3.3M for DARTS_V2 at C36, 20 cells, 10 classes, without the auxiliary head.
  // 3,349,342 = stem 3,132 + 20 cells + classifier 5,770, counted op by op (ReLUConvBN 1x1 and
  // FactorizedReduce both C_in*C + 2C; sep_conv_3x3 2(9C + C^2 + 2C); dil_conv_3x3
  // 9C + C^2 + 2C; skip_connect at stride 2 C^2 + 2C; pools none); the auxiliary head adds
  // 476,426 (576*128 + 256 + 128*768*4 + 1,536 + 7,690).
  DartsNetwork v2(DartsNetworkOptions(published("DARTS_V2")).auxiliary(true));
  EXPECT_EQ(v2->num_parameters(), 3349342);
  EXPECT_EQ(std::lround(v2->num_parameters() / 1e5), 33);  // "3.3M"
  EXPECT_EQ(v2->num_parameters_with_auxiliary(), 3349342 + 476426);
  // PC-DARTS reports 3.6M for its CIFAR genotype.
  DartsNetwork pc(DartsNetworkOptions(published("PC_DARTS")));
  EXPECT_EQ(pc->num_parameters(), 3634678);
  EXPECT_EQ(pc->num_parameters(), pc->num_parameters_with_auxiliary());  // no head
}

TEST(DartsNetwork, SmallParameterCountMatchesTheHandCount) {
  // DARTS_V2, C8, 3 layers (both reduction cells, 1 and 2), grey images, 5 classes:
  //   stem         1*24*9 + 2*24                                             =   264
  //   cell0 (C8)   preprocess 2 * (24*8 + 16); 5 sep3 * 2(72 + 64 + 16); dil3 152 = 2,088
  //   cell1 (C16)  preprocess 24*16 + 32, 32*16 + 32; max pools and identity skips =   960
  //   cell2 (C32)  FactorizedReduce 2 * 32*16 + 64, ReLUConvBN 64*32 + 64          = 3,200
  //   classifier   128*5 + 5                                                 =   645
  DartsNetwork net(DartsNetworkOptions(published("DARTS_V2")).channels(8).layers(3)
                       .input_channels(1).num_classes(5));
  EXPECT_EQ(net->num_parameters(), 7157);
}

TEST(DartsNetwork, ForwardShapesWithAndWithoutTheAuxiliaryHead) {
  torch::manual_seed(0);
  for (bool auxiliary : {false, true}) {
    for (std::int64_t size : {16, 28, 32}) {
      for (std::int64_t input_channels : {1, 3}) {
        DartsNetwork net(small(published("PC_DARTS"), input_channels).auxiliary(auxiliary));
        net->train();
        const DartsNetworkOutput out = net->forward(torch::randn({2, input_channels, size, size}));
        EXPECT_EQ(out.logits.sizes(), (torch::IntArrayRef{2, 5})) << size;
        EXPECT_EQ(out.aux_logits.defined(), auxiliary) << size;
        if (auxiliary) EXPECT_EQ(out.aux_logits.sizes(), (torch::IntArrayRef{2, 5})) << size;
        net->eval();
        const DartsNetworkOutput eval = net->forward(torch::randn({2, input_channels, size, size}));
        EXPECT_EQ(eval.logits.sizes(), (torch::IntArrayRef{2, 5}));
        EXPECT_FALSE(eval.aux_logits.defined());  // eval mode never returns auxiliary logits
      }
    }
  }
}

TEST(DartsNetwork, ReductionCellsHalveAndDoubleAtOneAndTwoThirds) {
  DartsNetwork net(DartsNetworkOptions(published("DARTS_V2")).channels(4).layers(6));
  ASSERT_EQ(net->cells.size(), 6u);
  for (int i = 0; i < 6; ++i) {
    EXPECT_EQ(net->cells[i]->options.reduction(), i == 2 || i == 4) << i;
    EXPECT_EQ(net->cells[i]->options.reduction_prev(), i == 3 || i == 5) << i;
  }
  EXPECT_EQ(net->cells[0]->options.channels(), 4);
  EXPECT_EQ(net->cells[2]->options.channels(), 8);
  EXPECT_EQ(net->cells[5]->options.channels(), 16);
  EXPECT_EQ(net->auxiliary_cell(), 4);
  const torch::Tensor s = torch::randn({2, 12, 8, 8});
  EXPECT_EQ(net->cells[2]->forward(torch::randn({2, 16, 8, 8}), torch::randn({2, 16, 8, 8})).sizes(),
            (torch::IntArrayRef{2, 32, 4, 4}));
  EXPECT_EQ(net->cells[0]->forward(s, s).sizes(), (torch::IntArrayRef{2, 16, 8, 8}));
}

TEST(DartsNetwork, AuxiliaryHeadIsThePublishedHeadOnEightByEightMaps) {
  torch::manual_seed(1);
  DartsAuxiliaryHead head(DartsAuxiliaryHeadOptions(6, 3));
  head->eval();
  const torch::Tensor x = torch::randn({2, 6, 8, 8});
  // DARTS: AvgPool2d(5, stride=3, padding=0, count_include_pad=False) in floor mode.
  const torch::Tensor pooled = torch::avg_pool2d(torch::relu(x), {5, 5}, {3, 3}, {0, 0}, false, false);
  const torch::Tensor h = torch::relu(head->bn1(head->conv1(pooled)));
  const torch::Tensor expected = head->classifier(torch::relu(head->bn2(head->conv2(h))).flatten(1));
  EXPECT_TRUE(torch::allclose(head->forward(x), expected));
  EXPECT_EQ(head->forward(torch::randn({2, 6, 7, 7})).sizes(), (torch::IntArrayRef{2, 3}));
  EXPECT_EQ(head->forward(torch::randn({2, 6, 4, 4})).sizes(), (torch::IntArrayRef{2, 3}));
}

TEST(DartsNetwork, DropPathZeroesWholeSamplesAndScalesTheRest) {
  torch::manual_seed(2);
  const torch::Tensor x = torch::rand({64, 3, 4, 4}) + 0.5;
  const torch::Tensor out = drop_path(x, 0.25);
  int dropped = 0;
  for (int b = 0; b < 64; ++b) {
    if (out[b].eq(0).all().item<bool>()) {
      ++dropped;
    } else {
      EXPECT_TRUE(torch::allclose(out[b], x[b] / 0.75)) << b;
    }
  }
  EXPECT_GT(dropped, 4);
  EXPECT_LT(dropped, 32);
  EXPECT_TRUE(drop_path(x, 0.0).is_same(x));
  EXPECT_THROW(drop_path(x, 1.0), Error);
}

TEST(DartsNetwork, CellDropsNonIdentityEdgesInTrainingOnly) {
  // Node 2 = skip(0) + sep(1); nodes 3..5 only read convolutions. With drop probability near 1
  // every non-identity edge is dropped: the output keeps only the skip's share of node 2.
  const DartsGenotype genotype = DartsGenotype::parse(
      "Genotype(normal=[('skip_connect', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 0), "
      "('dil_conv_3x3', 1), ('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 0), "
      "('sep_conv_3x3', 1)], normal_concat=[2, 3, 4, 5], reduce=[('max_pool_3x3', 0), "
      "('max_pool_3x3', 1), ('max_pool_3x3', 0), ('max_pool_3x3', 1), ('max_pool_3x3', 0), "
      "('max_pool_3x3', 1), ('max_pool_3x3', 0), ('max_pool_3x3', 1)], reduce_concat=[2, 3, 4, 5])");
  torch::manual_seed(3);
  DartsCell cell(DartsCellOptions(genotype.normal(), 4, 4, 4));
  const torch::Tensor s0 = torch::randn({3, 4, 8, 8});
  const torch::Tensor s1 = torch::randn({3, 4, 8, 8});
  cell->train();
  const torch::Tensor out = cell->forward(s0, s1, 0.999999);
  const torch::Tensor skip = cell->preprocess0.forward(s0);
  EXPECT_TRUE(torch::allclose(out.narrow(1, 0, 4), skip));     // node 2: the skip only
  EXPECT_TRUE(out.narrow(1, 4, 12).eq(0).all().item<bool>());  // nodes 3..5 dropped
  cell->eval();
  const torch::Tensor eval_out = cell->forward(s0, s1, 0.999999);
  EXPECT_TRUE(torch::allclose(eval_out, cell->forward(s0, s1, 0.0)));
  EXPECT_GT(eval_out.narrow(1, 4, 12).abs().sum().item<double>(), 0);
}

TEST(DartsNetwork, EvalModeIgnoresDropPath) {
  torch::manual_seed(4);
  DartsNetwork net(small(published("DARTS_V2")).drop_path_prob(0.5));
  net->eval();
  const torch::Tensor x = torch::randn({2, 3, 16, 16});
  const torch::Tensor with_drop = net->forward(x).logits;
  net->set_drop_path_prob(0.0);
  EXPECT_TRUE(torch::equal(with_drop, net->forward(x).logits));
  EXPECT_THROW(net->set_drop_path_prob(1.0), Error);
  EXPECT_THROW(net->set_drop_path_prob(-0.1), Error);
}

TEST(DartsNetwork, GradientsReachEveryParameterIncludingTheAuxiliaryHead) {
  torch::manual_seed(5);
  DartsNetwork net(small(published("PC_DARTS")).auxiliary(true));
  net->train();
  const DartsNetworkOutput out = net->forward(torch::randn({4, 3, 16, 16}));
  const torch::Tensor y = torch::tensor({0, 1, 2, 3}, torch::kLong);
  (torch::cross_entropy_loss(out.logits, y) + 0.4 * torch::cross_entropy_loss(out.aux_logits, y))
      .backward();
  for (const auto& p : net->named_parameters()) {
    ASSERT_TRUE(p.value().grad().defined()) << p.key();
    EXPECT_GT(p.value().grad().abs().sum().item<double>(), 0) << p.key();
  }
}

TEST(DartsNetwork, RejectsBadOptionsAndInputs) {
  const DartsGenotype g = published("DARTS_V2");
  EXPECT_THROW(DartsNetwork(small(g).channels(0)), Error);
  EXPECT_THROW(DartsNetwork(small(g).layers(0)), Error);
  EXPECT_THROW(DartsNetwork(small(g).num_classes(1)), Error);
  EXPECT_THROW(DartsNetwork(small(g).drop_path_prob(1.0)), Error);
  DartsNetwork net(small(g));
  EXPECT_THROW(net->forward(torch::randn({2, 1, 16, 16})), Error);  // wrong channel count
  EXPECT_THROW(net->forward(torch::randn({2, 3, 4, 4})), Error);    // too small
}

}  // namespace
}  // namespace d2a
