#include "d2a/data/tensor.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "d2a/error.h"

namespace d2a {
namespace {

// n images of h x w x c with varied pixel values; labels cycle over 3 classes.
ImageSet varied_set(int n, int h, int w, int c) {
  ImageSet set;
  set.source = "varied";
  set.channels = c;
  set.height = h;
  set.width = w;
  set.class_names = {"a", "b", "c"};
  for (int i = 0; i < n; ++i) {
    set.labels.push_back(i % 3);
    for (int p = 0; p < h * w * c; ++p) {
      set.pixels.push_back(static_cast<std::uint8_t>((i * 37 + p * 11 + (p % c) * 60) % 256));
    }
  }
  return set;
}

TEST(Tensor, ConvertsShapeRangeAndLayout) {
  const ImageSet set = varied_set(5, 4, 6, 3);
  const torch::Tensor x = images_to_tensor(set, TensorSpec{});
  EXPECT_EQ(x.sizes(), (std::vector<std::int64_t>{5, 3, 4, 6}));
  EXPECT_EQ(x.dtype(), torch::kFloat32);
  EXPECT_GE(x.min().item<float>(), 0.0f);
  EXPECT_LE(x.max().item<float>(), 1.0f);
  // HWC byte (image 2, row 1, col 4, channel 2) lands at [2, 2, 1, 4].
  const std::size_t byte = (1 * 6 + 4) * 3 + 2;
  EXPECT_FLOAT_EQ(x[2][2][1][4].item<float>(), set.image(2)[byte] / 255.0f);

  const torch::Tensor y = labels_to_tensor(set);
  EXPECT_EQ(y.dtype(), torch::kInt64);
  EXPECT_EQ(y.sizes(), (std::vector<std::int64_t>{5}));
  EXPECT_EQ(y[4].item<std::int64_t>(), 1);

  const torch::Tensor sub = images_to_tensor(set, {4, 0}, TensorSpec{});
  EXPECT_TRUE(torch::equal(sub[0], x[4]));
  EXPECT_TRUE(torch::equal(sub[1], x[0]));
  EXPECT_EQ(labels_to_tensor(set, {4, 0})[0].item<std::int64_t>(), 1);
}

TEST(Tensor, NormalisesWithComputedStats) {
  const ImageSet set = varied_set(20, 5, 5, 3);
  const ChannelStats stats = channel_stats(set);
  ASSERT_EQ(stats.mean.size(), 3u);
  TensorSpec spec;
  spec.mean = stats.mean;
  spec.std = stats.std;
  const torch::Tensor x = images_to_tensor(set, spec);
  const torch::Tensor per_channel = x.transpose(0, 1).reshape({3, -1});
  for (int c = 0; c < 3; ++c) {
    EXPECT_NEAR(per_channel[c].mean().item<float>(), 0.0f, 1e-4) << c;
    EXPECT_NEAR(per_channel[c].std(/*unbiased=*/false).item<float>(), 1.0f, 1e-4) << c;
  }
  // Stats are of [0, 1] values: they match the unnormalised tensor's.
  const torch::Tensor raw = images_to_tensor(set, TensorSpec{}).transpose(0, 1).reshape({3, -1});
  EXPECT_NEAR(raw[1].mean().item<float>(), stats.mean[1], 1e-5);
}

TEST(Tensor, ConvertsChannelsAndResizes) {
  const ImageSet rgb = varied_set(2, 4, 4, 3);
  TensorSpec to_grey;
  to_grey.channels = 1;
  const torch::Tensor grey = images_to_tensor(rgb, to_grey);
  EXPECT_EQ(grey.sizes(), (std::vector<std::int64_t>{2, 1, 4, 4}));
  const std::uint8_t* px = rgb.image(1) + (2 * 4 + 3) * 3;
  EXPECT_NEAR(grey[1][0][2][3].item<float>(),
              (0.299f * px[0] + 0.587f * px[1] + 0.114f * px[2]) / 255.0f, 1e-6);

  const ImageSet mono = varied_set(2, 4, 4, 1);
  TensorSpec to_rgb;
  to_rgb.channels = 3;
  const torch::Tensor colour = images_to_tensor(mono, to_rgb);
  EXPECT_EQ(colour.sizes(), (std::vector<std::int64_t>{2, 3, 4, 4}));
  EXPECT_TRUE(torch::equal(colour[0][0], colour[0][2]));
  EXPECT_FLOAT_EQ(colour[1][1][3][0].item<float>(), mono.image(1)[12] / 255.0f);

  ImageSet flat = varied_set(1, 5, 7, 3);
  std::fill(flat.pixels.begin(), flat.pixels.end(), 51);
  TensorSpec big;
  big.height = 32;
  big.width = 20;
  const torch::Tensor up = images_to_tensor(flat, big);
  EXPECT_EQ(up.sizes(), (std::vector<std::int64_t>{1, 3, 32, 20}));
  EXPECT_NEAR(up.min().item<float>(), 0.2f, 1e-6);
  EXPECT_NEAR(up.max().item<float>(), 0.2f, 1e-6);
  big.height = 2;
  big.width = 3;
  const torch::Tensor down = images_to_tensor(flat, big);
  EXPECT_NEAR((down - 0.2f).abs().max().item<float>(), 0.0f, 1e-6);
}

TEST(Tensor, RejectsInvalidSpecs) {
  const ImageSet set = varied_set(2, 4, 4, 3);
  TensorSpec spec;
  spec.mean = {0.5f, 0.5f};
  EXPECT_THROW(images_to_tensor(set, spec), Error);
  spec = TensorSpec{};
  spec.std = {0.0f};
  EXPECT_THROW(images_to_tensor(set, spec), Error);
  spec = TensorSpec{};
  spec.height = 8;
  EXPECT_THROW(images_to_tensor(set, spec), Error);
  spec = TensorSpec{};
  spec.channels = 2;
  EXPECT_THROW(images_to_tensor(set, spec), Error);
}

}  // namespace
}  // namespace d2a
