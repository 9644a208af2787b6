#include "d2a/nn/darts_ops.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <string>

#include "d2a/error.h"

namespace d2a {
namespace {

std::int64_t count_parameters(const torch::nn::AnyModule& op) {
  std::int64_t n = 0;
  for (const auto& p : op.ptr()->parameters()) n += p.numel();
  return n;
}

std::vector<DartsOp> all_ops() {
  std::vector<DartsOp> ops;
  for (int o = 0; o < kDartsNumOps; ++o) ops.push_back(static_cast<DartsOp>(o));
  return ops;
}

TEST(DartsOps, EveryOpKeepsChannelsAndHalvesOddAndEvenSizesAtStrideTwo) {
  torch::manual_seed(0);
  for (DartsOp op : all_ops()) {
    for (bool affine : {true, false}) {
      for (std::int64_t stride : {1, 2}) {
        torch::nn::AnyModule module = make_darts_op(op, 8, stride, affine);
        const std::string what = std::string(darts_op_name(op)) + " stride " +
                                 std::to_string(stride) + " affine " + std::to_string(affine);
        if (op == DartsOp::kNone) {
          EXPECT_TRUE(module.is_empty()) << what;
          continue;
        }
        ASSERT_FALSE(module.is_empty()) << what;
        for (std::int64_t size : {8, 7, 14, 15}) {
          const torch::Tensor out = module.forward(torch::randn({2, 8, size, size + 1}));
          const std::int64_t h = (size + stride - 1) / stride;
          const std::int64_t w = (size + 1 + stride - 1) / stride;
          EXPECT_EQ(out.sizes(), (torch::IntArrayRef{2, 8, h, w})) << what << " size " << size;
        }
      }
    }
  }
}

TEST(DartsOps, ParameterCountsMatchHandComputedValues) {
  const std::int64_t c = 8;
  // sep_conv_3x3: twice (depthwise 3*3*C + pointwise C*C + BN scale and shift 2C).
  EXPECT_EQ(count_parameters(make_darts_op(DartsOp::kSepConv3x3, c, 1, true)),
            2 * (9 * c + c * c + 2 * c));  // 304
  EXPECT_EQ(count_parameters(make_darts_op(DartsOp::kSepConv3x3, c, 1, true)), 304);
  // Affine-free BN in the search setting: no BN parameters.
  EXPECT_EQ(count_parameters(make_darts_op(DartsOp::kSepConv5x5, c, 2, false)),
            2 * (25 * c + c * c));  // 528
  // dil_conv_5x5: depthwise 5*5*C + pointwise C*C + BN 2C.
  EXPECT_EQ(count_parameters(make_darts_op(DartsOp::kDilConv5x5, c, 1, true)), 280);
  EXPECT_EQ(count_parameters(make_darts_op(DartsOp::kDilConv3x3, c, 2, true)), 9 * c + c * c + 2 * c);
  // skip_connect: nothing at stride 1; FactorizedReduce at stride 2: two C x C/2 1x1 convs + BN.
  EXPECT_EQ(count_parameters(make_darts_op(DartsOp::kSkipConnect, c, 1, true)), 0);
  EXPECT_EQ(count_parameters(make_darts_op(DartsOp::kSkipConnect, c, 2, true)), 80);
  EXPECT_EQ(count_parameters(make_darts_op(DartsOp::kMaxPool3x3, c, 2, true)), 0);
  EXPECT_EQ(count_parameters(make_darts_op(DartsOp::kAvgPool3x3, c, 1, false)), 0);
}

TEST(DartsOps, SkipIsIdentityAtStrideOneAndFactorizedReduceAtStrideTwo) {
  const torch::Tensor x = torch::randn({2, 8, 6, 6});
  EXPECT_TRUE(torch::equal(make_darts_op(DartsOp::kSkipConnect, 8, 1, true).forward(x), x));
  EXPECT_NE(make_darts_op(DartsOp::kSkipConnect, 8, 2, true).ptr()->as<FactorizedReduce>(),
            nullptr);
}

TEST(DartsOps, FactorizedReduceReadsBothPixelGrids) {
  // With the BN in eval mode at its initial statistics (identity up to eps) and all conv weights
  // 1, channel half 1 sums relu(x) at even (y, x) and half 2 at odd ones.
  FactorizedReduce fr(FactorizedReduceOptions(1, 2));
  fr->eval();
  {
    torch::NoGradGuard no_grad;
    fr->conv1->weight.fill_(1);
    fr->conv2->weight.fill_(1);
  }
  const torch::Tensor x = torch::arange(16, torch::kFloat).view({1, 1, 4, 4});
  const torch::Tensor out = fr->forward(x) * std::sqrt(1 + 1e-5);
  const torch::Tensor even = torch::tensor({0.f, 2.f, 8.f, 10.f}).view({2, 2});
  EXPECT_TRUE(torch::allclose(out[0][0], even, 1e-4, 1e-4)) << out;
  EXPECT_TRUE(torch::allclose(out[0][1], even + 5, 1e-4, 1e-4)) << out;
}

TEST(DartsOps, PoolsMatchTorchAndAverageIgnoresPadding) {
  const torch::Tensor x = torch::rand({2, 4, 5, 5}) + 1;
  const torch::Tensor avg = make_darts_op(DartsOp::kAvgPool3x3, 4, 1, true).forward(x);
  // The corner averages its 4 real neighbours (count_include_pad=false).
  const torch::Tensor corner = x.narrow(2, 0, 2).narrow(3, 0, 2).mean({2, 3});
  EXPECT_TRUE(torch::allclose(avg.select(3, 0).select(2, 0), corner));
  const torch::Tensor max = make_darts_op(DartsOp::kMaxPool3x3, 4, 2, true).forward(x);
  EXPECT_TRUE(torch::equal(max, torch::max_pool2d(x, {3, 3}, {2, 2}, {1, 1})));
}

TEST(DartsOps, SearchSettingPoolsAreBatchNormalised) {
  // In training mode an affine-free BN leaves each channel with mean 0 and variance 1.
  torch::nn::AnyModule pool = make_darts_op(DartsOp::kMaxPool3x3, 4, 1, false);
  pool.ptr()->train();
  const torch::Tensor out = pool.forward(torch::rand({4, 4, 6, 6}) * 3 + 2);
  EXPECT_LT(out.mean({0, 2, 3}).abs().max().item<double>(), 1e-4);
  EXPECT_NEAR(out.var({0, 2, 3}, false).mean().item<double>(), 1.0, 1e-2);
  EXPECT_EQ(pool.ptr()->buffers().size(), 3u);  // running mean, var, batch count
}

TEST(DartsOps, ZeroHasTheStridedShape) {
  Zero zero(ZeroOptions().stride(2));
  const torch::Tensor out = zero->forward(torch::randn({2, 3, 7, 8}));
  EXPECT_EQ(out.sizes(), (torch::IntArrayRef{2, 3, 4, 4}));
  EXPECT_TRUE(out.eq(0).all().item<bool>());
}

TEST(DartsOps, GradientsReachEveryConvOfSepConv) {
  SepConv sep(SepConvOptions(4, 4, 3).stride(2));
  sep->forward(torch::randn({2, 4, 8, 8})).pow(2).sum().backward();
  for (const auto& p : sep->named_parameters()) {
    ASSERT_TRUE(p.value().grad().defined()) << p.key();
    EXPECT_GT(p.value().grad().abs().sum().item<double>(), 0) << p.key();
  }
}

TEST(DartsOps, RejectsBadStridesAndChannels) {
  EXPECT_THROW(make_darts_op(DartsOp::kSepConv3x3, 8, 3, true), Error);
  EXPECT_THROW(make_darts_op(DartsOp::kSepConv3x3, 0, 1, true), Error);
  EXPECT_THROW(make_darts_op(DartsOp::kSkipConnect, 5, 2, true), Error);  // odd for two halves
  EXPECT_NO_THROW(make_darts_op(DartsOp::kSkipConnect, 5, 1, true));
}

}  // namespace
}  // namespace d2a
