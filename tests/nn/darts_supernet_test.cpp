#include "d2a/nn/darts_supernet.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "d2a/error.h"
#include "d2a/space/darts_published.h"

namespace d2a {
namespace {

// C8, 3 cells (cell 0 normal, cells 1 and 2 reductions), 16x16 colour images, 10 classes.
SupernetOptions small() { return SupernetOptions().channels(8).cells(3).num_classes(10); }

// The first edge of intermediate node k; edge first + j reads state j.
int first_edge(int node) { return node * (node + 3) / 2; }

// Alphas under which `cell` must come out: the first listed input of each node gets 5 on its op,
// the second 4, everything else 0, and `none` 8 on every edge (so that a genotype that did not
// skip `none` would pick it everywhere).
torch::Tensor alphas_for(const DartsCellGenotype& cell) {
  torch::Tensor a = torch::zeros({kDartsNumEdges, kDartsNumOps});
  a.select(1, static_cast<int>(DartsOp::kNone)).fill_(8);
  for (int node = 0; node < kDartsNumNodes; ++node) {
    for (int j = 0; j < 2; ++j) {
      const DartsGenotypeEdge& edge = cell.edges[2 * node + j];
      a[first_edge(node) + edge.input][static_cast<int>(edge.op)] = 5 - j;
    }
  }
  return a;
}

void set_alphas(DartsSupernet& net, const DartsGenotype& g) {
  torch::NoGradGuard no_grad;
  net->alphas()[0].copy_(alphas_for(g.normal()));
  net->alphas()[1].copy_(alphas_for(g.reduce()));
}

TEST(DartsSupernet, ShapesOfLogitsAlphasAndParameterGroups) {
  torch::manual_seed(0);
  std::shared_ptr<Supernet> net = make_darts_supernet(small());
  EXPECT_EQ(net->forward(torch::randn({2, 3, 16, 16})).sizes(), (torch::IntArrayRef{2, 10}));
  const auto alphas = net->alphas();
  ASSERT_EQ(alphas.size(), 2u);
  for (const auto& a : alphas) {
    EXPECT_EQ(a.sizes(), (torch::IntArrayRef{14, 8}));
    EXPECT_TRUE(a.requires_grad());
    EXPECT_LT(a.abs().max().item<double>(), 0.01);  // 1e-3 * randn
  }
  EXPECT_FALSE(alphas[0].is_same(alphas[1]));
  EXPECT_EQ(net->arch_parameters().size(), 2u);
  EXPECT_EQ(net->op_names(), darts_op_names());
  EXPECT_EQ(net->weights().size() + 2, net->parameters().size());
  for (const auto& w : net->weights()) {
    EXPECT_FALSE(w.is_same(alphas[0]) || w.is_same(alphas[1]));
  }
  // 28x28 grey images (Fashion-MNIST) halve to 14 and 7.
  std::shared_ptr<Supernet> grey = make_darts_supernet(small().input_channels(1));
  EXPECT_EQ(grey->forward(torch::randn({2, 1, 28, 28})).sizes(), (torch::IntArrayRef{2, 10}));
}

TEST(DartsSupernet, CellsHaveFourteenEdgesWithStrideTwoOnReducedInputs) {
  DartsSupernet net(small());
  const auto children = net->named_children();
  auto cell = [&](int i) { return children["cell" + std::to_string(i)]->as<DartsSearchCell>(); };
  ASSERT_NE(cell(1), nullptr);
  EXPECT_FALSE(cell(0)->options.reduction());
  EXPECT_TRUE(cell(1)->options.reduction());
  EXPECT_TRUE(cell(2)->options.reduction() && cell(2)->options.reduction_prev());
  EXPECT_EQ(cell(1)->options.channels(), 16);
  ASSERT_EQ(cell(1)->edges.size(), 14u);
  for (int node = 0; node < kDartsNumNodes; ++node) {
    for (int state = 0; state < node + 2; ++state) {
      const int e = first_edge(node) + state;
      EXPECT_EQ(cell(1)->edges[e]->options().stride(), state < 2 ? 2 : 1) << e;
      EXPECT_EQ(cell(0)->edges[e]->options().stride(), 1) << e;
    }
  }
  const torch::Tensor w = torch::softmax(torch::zeros({14, 8}), 1);
  const torch::Tensor out =
      cell(1)->forward(torch::randn({2, 24, 16, 16}), torch::randn({2, 32, 16, 16}), w, {});
  EXPECT_EQ(out.sizes(), (torch::IntArrayRef{2, 64, 8, 8}));  // 4 states of C16, halved
}

TEST(DartsSupernet, GradientsReachTheWeightsAndBothAlphaTensors) {
  torch::manual_seed(1);
  DartsSupernet net(small().edge_normalisation(true));
  ASSERT_EQ(net->arch_parameters().size(), 4u);
  const torch::Tensor logits = net->forward(torch::randn({4, 3, 16, 16}));
  torch::cross_entropy_loss(logits, torch::tensor({0, 1, 2, 3}, torch::kLong)).backward();
  for (const auto& a : net->arch_parameters()) {
    ASSERT_TRUE(a.grad().defined());
    EXPECT_GT(a.grad().abs().sum().item<double>(), 0);
  }
  for (const auto& item : net->named_parameters()) {
    ASSERT_TRUE(item.value().grad().defined()) << item.key();
    EXPECT_GT(item.value().grad().abs().sum().item<double>(), 0) << item.key();
  }
}

TEST(DartsSupernet, GenotypeFollowsHandSetAlphasAndSkipsNone) {
  DartsSupernet net(small());
  for (const char* name : {"DARTS_V2", "PC_DARTS"}) {
    const DartsGenotype g = *find_published_darts_genotype(name);
    set_alphas(net, g);
    const std::string text = net->genotype();
    EXPECT_EQ(text, g.str()) << name;
    EXPECT_EQ(DartsGenotype::parse(text), g) << name;
  }
}

TEST(DartsSupernet, EdgeNormalisationWeighsTheEdgesInTheGenotype) {
  // Node 1 (edges 2..4, states 0..2): alphas prefer states 0 then 1; betas make state 2 win.
  DartsSupernet net(small().edge_normalisation(true));
  const DartsGenotype g = *find_published_darts_genotype("DARTS_V2");
  set_alphas(net, g);
  const std::string plain = net->genotype();
  EXPECT_EQ(plain, g.str());  // betas at 1e-3 * randn barely matter
  {
    torch::NoGradGuard no_grad;
    net->alphas()[0][first_edge(1) + 2][static_cast<int>(DartsOp::kMaxPool3x3)] = 3;
    net->arch_parameters()[2][first_edge(1) + 2] = 6;  // betas_normal
  }
  const DartsGenotype weighted = DartsGenotype::parse(net->genotype());
  EXPECT_EQ(weighted.normal().edges[2], (DartsGenotypeEdge{DartsOp::kMaxPool3x3, 2}));
  EXPECT_EQ(weighted.normal().edges[3], g.normal().edges[2]);  // the best of the rest
  EXPECT_EQ(weighted.reduce(), g.reduce());
  // Each node's edge weights sum to 1.
  const torch::Tensor ew = net->edge_weights()[0];
  for (int node = 0; node < 4; ++node) {
    EXPECT_NEAR(ew.narrow(0, first_edge(node), node + 2).sum().item<double>(), 1.0, 1e-6);
  }
}

TEST(DartsSupernet, PartialChannelsKeepTheShapes) {
  torch::manual_seed(2);
  DartsSupernet net(small().partial_channels(4).edge_normalisation(true));
  const torch::Tensor logits = net->forward(torch::randn({2, 3, 16, 16}));
  EXPECT_EQ(logits.sizes(), (torch::IntArrayRef{2, 10}));
  const auto children = net->named_children();
  auto reduce = children["cell1"]->as<DartsSearchCell>();
  EXPECT_EQ(reduce->edges[0]->options().partial_channels(), 4);
  const torch::Tensor out = reduce->forward(torch::randn({2, 24, 15, 15}),
                                            torch::randn({2, 32, 15, 15}),
                                            torch::softmax(torch::randn({14, 8}), 1), {});
  EXPECT_EQ(out.sizes(), (torch::IntArrayRef{2, 64, 8, 8}));  // odd sizes halve up
  // Fewer op parameters: the ops see C/4 channels.
  int64_t partial = 0, full = 0;
  for (const auto& p : net->weights()) partial += p.numel();
  for (const auto& p : DartsSupernet(small())->weights()) full += p.numel();
  EXPECT_LT(partial * 3, full);
}

TEST(DartsSupernet, AllowedOpsGivenWeightsAndGumbelSamples) {
  torch::manual_seed(3);
  DartsSupernet net(small());
  // Only none and sep_conv_3x3 allowed on every edge: the genotype is all sep_conv_3x3.
  torch::Tensor allowed = torch::zeros({14, 8}, torch::kBool);
  allowed.select(1, 0).fill_(true);
  allowed.select(1, static_cast<int>(DartsOp::kSepConv3x3)).fill_(true);
  net->set_allowed_ops({allowed, allowed});
  const DartsGenotype g = DartsGenotype::parse(net->genotype());
  for (const auto& e : g.normal().edges) EXPECT_EQ(e.op, DartsOp::kSepConv3x3);
  const torch::Tensor w = net->op_weights()[1];
  EXPECT_TRUE(w.masked_select(allowed.logical_not()).eq(0).all().item<bool>());
  EXPECT_TRUE(torch::allclose(w.sum(1), torch::ones({14})));
  EXPECT_EQ(net->forward(torch::randn({2, 3, 16, 16})).sizes(), (torch::IntArrayRef{2, 10}));
  net->set_allowed_ops({});

  EXPECT_THROW(net->set_mixing({MixingMode::kGiven, 1.0}), Error);  // nothing given yet
  EXPECT_THROW(net->set_op_weights({torch::ones({14, 8}) / 8}), Error);  // one tensor, not two
  EXPECT_THROW(net->set_op_weights({torch::ones({14, 8}), torch::ones({14, 8})}), Error);
  const torch::Tensor given = torch::eye(8).repeat({2, 1}).narrow(0, 0, 14);
  net->set_op_weights({given, given});
  net->set_mixing({MixingMode::kGiven, 1.0});
  EXPECT_TRUE(torch::equal(net->op_weights()[0], given));

  net->set_mixing({MixingMode::kGumbelHard, 0.5});
  const torch::Tensor hard = net->op_weights()[0];
  EXPECT_TRUE(torch::allclose(hard.sum(1), torch::ones({14})));
  EXPECT_TRUE(torch::allclose(std::get<0>(hard.max(1)), torch::ones({14})));
  EXPECT_EQ(net->forward(torch::randn({2, 3, 16, 16})).sizes(), (torch::IntArrayRef{2, 10}));
  EXPECT_THROW(net->set_mixing({MixingMode::kGumbelHard, 0.0}), Error);
}

TEST(DartsSupernet, OpSubsetsAndBadOptions) {
  DartsSupernet subset(small().ops({"none", "skip_connect", "sep_conv_3x3"}));
  EXPECT_EQ(subset->alphas()[0].sizes(), (torch::IntArrayRef{14, 3}));
  EXPECT_EQ(subset->op_names(), (std::vector<std::string>{"none", "skip_connect", "sep_conv_3x3"}));
  EXPECT_EQ(subset->forward(torch::randn({2, 3, 16, 16})).sizes(), (torch::IntArrayRef{2, 10}));
  EXPECT_THROW(DartsSupernet(small().ops({"sep_conv_3x3", "sep_conv_3x3"})), Error);
  EXPECT_THROW(DartsSupernet(small().ops({"conv_7x1_1x7"})), Error);
  EXPECT_THROW(DartsSupernet(small().channels(6).partial_channels(4)), Error);
  EXPECT_THROW(DartsSupernet(small().num_classes(1)), Error);
  DartsSupernet net(small());
  EXPECT_THROW(net->forward(torch::randn({2, 1, 16, 16})), Error);
}

}  // namespace
}  // namespace d2a
