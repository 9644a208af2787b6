// The training layout: channels-last on CPU, the same values, and the same network outputs.
#include "d2a/train/layout.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "d2a/nn/nb201_network.h"

namespace {

d2a::Nb201Network small_network() {
  d2a::Nb201MacroConfig macro;
  macro.channels = 8;
  macro.cells_per_stage = 1;
  macro.image_size = 16;
  macro.input_channels = 3;
  macro.num_classes = 5;
  return d2a::Nb201Network(d2a::Nb201NetworkOptions(
      d2a::Nb201Cell::parse(
          "|nor_conv_3x3~0|+|nor_conv_1x1~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|"),
      macro));
}

}  // namespace

TEST(TrainingLayout, ChannelsLastOnCpuOnly) {
  EXPECT_TRUE(d2a::trains_channels_last(torch::kCPU));
  EXPECT_FALSE(d2a::trains_channels_last(torch::Device("cuda:0")));
}

TEST(TrainingLayout, ImagesKeepTheirValuesInChannelsLast) {
  const torch::Tensor x = torch::randn({4, 3, 8, 8});
  const torch::Tensor y = d2a::to_training_layout(x, torch::kCPU);
  EXPECT_TRUE(y.is_contiguous(torch::MemoryFormat::ChannelsLast));
  EXPECT_FALSE(x.is_contiguous(torch::MemoryFormat::ChannelsLast));
  EXPECT_TRUE(torch::equal(x, y));
  EXPECT_EQ(y.sizes(), x.sizes());
}

TEST(TrainingLayout, NetworkGivesTheSameOutputsAndGradientsInEitherLayout) {
  torch::manual_seed(0);
  d2a::Nb201Network nchw = small_network();
  torch::manual_seed(0);
  d2a::Nb201Network nhwc = small_network();
  d2a::use_training_layout(*nhwc, torch::kCPU);
  int converted = 0;
  for (const torch::Tensor& p : nhwc->parameters()) {
    if (p.dim() == 4) {
      EXPECT_TRUE(p.is_contiguous(torch::MemoryFormat::ChannelsLast));
      ++converted;
    }
  }
  EXPECT_GT(converted, 0);
  const torch::Tensor x = torch::randn({6, 3, 16, 16});
  const torch::Tensor a = nchw->forward(x);
  const torch::Tensor b = nhwc->forward(d2a::to_training_layout(x, torch::kCPU));
  EXPECT_TRUE(torch::allclose(a, b, 1e-4, 1e-5));
  a.sum().backward();
  b.sum().backward();
  const auto pa = nchw->parameters();
  const auto pb = nhwc->parameters();
  ASSERT_EQ(pa.size(), pb.size());
  for (std::size_t i = 0; i < pa.size(); ++i) {
    EXPECT_TRUE(torch::allclose(pa[i].grad(), pb[i].grad(), 1e-3, 1e-4)) << i;
  }
}
