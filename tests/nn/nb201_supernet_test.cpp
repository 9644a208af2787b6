#include "d2a/nn/nb201_supernet.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <memory>
#include <string>
#include <vector>

#include "d2a/error.h"
#include "d2a/space/nb201.h"
#include "nn/probe_op.h"

namespace d2a {
namespace {

using test::Probe;
using test::ProbeLog;

SupernetOptions tiny(std::vector<std::string> ops = {}) {
  return SupernetOptions().channels(4).cells(1).input_channels(3).num_classes(5).ops(ops);
}

// Wraps every op the supernet builds in a probe; logs[((cell * 6) + edge) * ops + op] belongs to
// op `op` of edge `edge` of the cell-th cell (the order the supernet builds them in). `none`
// stays empty, so it never runs and has no log.
struct ProbedSupernet {
  explicit ProbedSupernet(const SupernetOptions& options)
      : logs(),
        net(options, [this](Nb201Op op, std::int64_t channels) {
          auto log = std::make_shared<ProbeLog>();
          logs.push_back(log);
          torch::nn::AnyModule inner = make_nb201_op(op, channels, false);
          if (inner.is_empty()) return inner;
          return torch::nn::AnyModule(Probe(log, inner));
        }) {}
  int calls(std::size_t first, std::size_t count) const {
    int n = 0;
    for (std::size_t i = first; i < first + count; ++i) n += logs[i]->calls;
    return n;
  }
  std::vector<std::shared_ptr<ProbeLog>> logs;  // declared first: the factory fills it
  Nb201Supernet net;
};

const std::vector<std::string> kNoNone = {"skip_connect", "nor_conv_1x1", "nor_conv_3x3",
                                          "avg_pool_3x3"};

TEST(Supernet, Nb201ForwardShapeAndParameterSplit) {
  torch::manual_seed(0);
  std::shared_ptr<Supernet> net = make_supernet("nb201", tiny());
  EXPECT_EQ(net->forward(torch::randn({2, 3, 8, 8})).sizes(), (torch::IntArrayRef{2, 5}));
  ASSERT_EQ(net->alphas().size(), 1u);
  EXPECT_EQ(net->alphas()[0].sizes(), (torch::IntArrayRef{6, 5}));
  EXPECT_TRUE(net->alphas()[0].requires_grad());
  EXPECT_LT(net->alphas()[0].abs().max().item<float>(), 0.01f);  // 1e-3 * randn
  EXPECT_EQ(net->op_names(), nb201_op_names());
  EXPECT_EQ(net->weights().size() + net->arch_parameters().size(), net->parameters().size());
  for (const auto& w : net->weights()) EXPECT_FALSE(w.is_same(net->alphas()[0]));
  // Cell convolutions use BN without affine parameters: only stem, residual blocks and last BN
  // have BN weights.
  int bn_weights = 0;
  for (const auto& item : net->named_parameters()) {
    if (item.key().find("bn.weight") != std::string::npos) ++bn_weights;
  }
  EXPECT_EQ(bn_weights, 2 * 2 + 2);  // two ReLUConvBN per residual block, stem_bn, last_bn
  EXPECT_NE(net->named_parameters().find("stem_bn.weight"), nullptr);

  std::shared_ptr<Supernet> pc =
      make_supernet("nb201", tiny().partial_channels(2).edge_normalisation(true));
  ASSERT_EQ(pc->arch_parameters().size(), 2u);
  EXPECT_EQ(pc->arch_parameters()[1].sizes(), (torch::IntArrayRef{6}));
  EXPECT_EQ(pc->forward(torch::randn({2, 3, 8, 8})).sizes(), (torch::IntArrayRef{2, 5}));
}

TEST(Supernet, GradientsReachWeightsAlphasAndBetas) {
  torch::manual_seed(1);
  Nb201Supernet net(tiny().edge_normalisation(true));
  const torch::Tensor logits = net->forward(torch::randn({4, 3, 8, 8}));
  torch::nn::functional::cross_entropy(logits, torch::tensor({0, 1, 2, 3})).backward();
  EXPECT_TRUE((net->alphas()[0].grad() != 0).all().item<bool>()) << net->alphas()[0].grad();
  const torch::Tensor beta_grad = net->arch_parameters()[1].grad();
  // Node 1 has a single incoming edge: its softmax is constantly 1, so beta 0 has no gradient.
  EXPECT_EQ(beta_grad[0].item<float>(), 0.0f);
  EXPECT_TRUE((beta_grad.narrow(0, 1, 5) != 0).all().item<bool>()) << beta_grad;
  for (const auto& w : net->weights()) {
    ASSERT_TRUE(w.grad().defined());
    EXPECT_GT(w.grad().abs().sum().item<float>(), 0.0f);
  }
}

TEST(Supernet, GumbelHardRunsExactlyOneOpPerEdge) {
  torch::manual_seed(2);
  ProbedSupernet probed(tiny(kNoNone));
  auto& net = probed.net;
  net->set_mixing({MixingMode::kGumbelHard, 1.0});
  const std::size_t ops = kNoNone.size();
  ASSERT_EQ(probed.logs.size(), 3 * 6 * ops);
  for (int draw = 0; draw < 3; ++draw) {
    for (auto& log : probed.logs) log->calls = 0;
    const torch::Tensor logits = net->forward(torch::randn({2, 3, 8, 8}));
    for (std::size_t edge = 0; edge < 3 * 6; ++edge) {
      EXPECT_EQ(probed.calls(edge * ops, ops), 1) << "edge " << edge;
    }
    // One sample serves every cell: the op that ran on edge e is the same in all three cells.
    for (std::size_t e = 0; e < 6; ++e) {
      for (std::size_t o = 0; o < ops; ++o) {
        EXPECT_EQ(probed.logs[e * ops + o]->calls, probed.logs[(6 + e) * ops + o]->calls);
        EXPECT_EQ(probed.logs[e * ops + o]->calls, probed.logs[(12 + e) * ops + o]->calls);
      }
    }
    // The straight-through gradient still reaches every alpha.
    net->alphas()[0].mutable_grad() = torch::Tensor();
    logits.pow(2).sum().backward();
    EXPECT_TRUE((net->alphas()[0].grad() != 0).all().item<bool>()) << net->alphas()[0].grad();
  }
  // The weights of a sample are one-hot in value.
  const torch::Tensor w = net->op_weights().detach();
  EXPECT_TRUE(torch::allclose(w.sum(1), torch::ones({6})));
  EXPECT_EQ((w == 0).sum().item<std::int64_t>(), static_cast<std::int64_t>(6 * (ops - 1)));
  // Softmax mixing runs every op.
  for (auto& log : probed.logs) log->calls = 0;
  net->set_mixing({MixingMode::kSoftmax, 1.0});
  net->forward(torch::randn({2, 3, 8, 8}));
  EXPECT_EQ(probed.calls(0, probed.logs.size()), static_cast<int>(3 * 6 * ops));
}

TEST(Supernet, AllowedOpsAreMaskedOutOfWeightsRunsAndGenotype) {
  torch::manual_seed(3);
  ProbedSupernet probed(tiny(kNoNone));
  auto& net = probed.net;
  {
    torch::NoGradGuard no_grad;
    net->alphas()[0].fill_(0).select(1, 0).fill_(5.0);  // skip_connect wins everywhere...
  }
  torch::Tensor allowed = torch::zeros({6, 4}, torch::kBool);
  allowed.select(1, 2).fill_(true);  // ...but only nor_conv_3x3 is allowed
  allowed[5][3] = true;              // and avg_pool_3x3 on the last edge
  net->set_allowed_ops({allowed});
  const torch::Tensor w = net->op_weights().detach();
  EXPECT_TRUE(torch::equal(w != 0, allowed));
  EXPECT_TRUE(torch::allclose(w.sum(1), torch::ones({6})));
  net->forward(torch::randn({2, 3, 8, 8}));
  for (std::size_t edge = 0; edge < 3 * 6; ++edge) {
    for (std::size_t o = 0; o < 4; ++o) {
      EXPECT_EQ(probed.logs[edge * 4 + o]->calls, allowed[edge % 6][o].item<bool>() ? 1 : 0);
    }
  }
  EXPECT_EQ(net->genotype(),
            "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|"
            "nor_conv_3x3~2|");
  net->set_allowed_ops({});
  EXPECT_EQ(net->genotype(),
            "|skip_connect~0|+|skip_connect~0|skip_connect~1|+|skip_connect~0|skip_connect~1|"
            "skip_connect~2|");
  EXPECT_THROW(net->set_allowed_ops({torch::zeros({6, 4}, torch::kBool)}), Error);
  EXPECT_THROW(net->set_allowed_ops({torch::ones({6, 5}, torch::kBool)}), Error);
}

TEST(Supernet, GivenWeightsDriveTheForward) {
  torch::manual_seed(4);
  ProbedSupernet probed(tiny(kNoNone));
  auto& net = probed.net;
  EXPECT_THROW(net->set_mixing({MixingMode::kGiven, 1.0}), Error);  // nothing given yet
  const torch::Tensor index = torch::tensor({0, 1, 2, 3, 2, 1});
  const torch::Tensor one_hot = torch::one_hot(index, 4).to(torch::kFloat);
  net->set_op_weights({one_hot});
  net->set_mixing({MixingMode::kGiven, 1.0});
  EXPECT_TRUE(torch::equal(net->op_weights(), one_hot));
  net->forward(torch::randn({2, 3, 8, 8}));
  for (std::size_t edge = 0; edge < 3 * 6; ++edge) {
    for (std::int64_t o = 0; o < 4; ++o) {
      EXPECT_EQ(probed.logs[edge * 4 + o]->calls, index[edge % 6].item<std::int64_t>() == o ? 1 : 0);
    }
  }
  EXPECT_THROW(net->set_op_weights({torch::ones({6, 4})}), Error);     // rows sum to 4
  EXPECT_THROW(net->set_op_weights({torch::ones({6, 5}) / 5}), Error);  // wrong shape
  EXPECT_THROW(net->set_op_weights({one_hot, one_hot}), Error);
}

TEST(Supernet, GenotypeIsTheArgmaxPerEdgeOverTheCandidateOps) {
  Nb201Supernet net(tiny({"none", "skip_connect", "avg_pool_3x3", "nor_conv_3x3"}));
  {
    torch::NoGradGuard no_grad;
    net->alphas()[0].copy_(torch::tensor({{0.f, 1.f, 0.f, 0.f},
                                          {0.f, 0.f, 0.f, 2.f},
                                          {3.f, 0.f, 0.f, 0.f},
                                          {0.f, 0.f, 1.f, 0.f},
                                          {0.f, 0.f, 0.f, 1.f},
                                          {0.f, 2.f, 1.f, 0.f}}));
  }
  const std::string g = net->genotype();
  EXPECT_EQ(g, "|skip_connect~0|+|nor_conv_3x3~0|none~1|+|avg_pool_3x3~0|nor_conv_3x3~1|"
               "skip_connect~2|");
  EXPECT_EQ(Nb201Cell::parse(g).str(), g);
}

TEST(Supernet, PartialChannelsBuildTheOpsAtCOverK) {
  torch::manual_seed(5);
  ProbedSupernet probed(tiny(kNoNone).channels(8).partial_channels(4).edge_normalisation(true));
  probed.net->forward(torch::randn({2, 3, 8, 8}));
  // Stage s runs at 8 * 2^s channels, so its ops see 2 * 2^s.
  for (std::size_t i = 0; i < probed.logs.size(); ++i) {
    EXPECT_EQ(probed.logs[i]->channels, 2 << (i / (6 * 4))) << i;
  }
}

TEST(Supernet, FactoryNamesTheValidSpacesAndRejectsBadOptions) {
  EXPECT_EQ(supernet_space_names(), (std::vector<std::string>{"nb201", "darts"}));
  try {
    make_supernet("nasbench101", tiny());
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("nasbench101"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("nb201"), std::string::npos);
  }
  EXPECT_THROW(make_supernet("nb201", tiny({"skip_connect", "conv_9x9"})), Error);
  EXPECT_THROW(make_supernet("nb201", tiny({"skip_connect", "skip_connect"})), Error);
  EXPECT_THROW(make_supernet("nb201", tiny().channels(6).partial_channels(4)), Error);
  EXPECT_THROW(make_supernet("nb201", tiny().num_classes(1)), Error);
  EXPECT_THROW(make_supernet("nb201", tiny())->forward(torch::randn({2, 1, 8, 8})), Error);
}

}  // namespace
}  // namespace d2a
