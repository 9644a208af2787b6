#include "d2a/data/image_ops.h"

#include <gtest/gtest.h>

#include "d2a/error.h"

namespace d2a {
namespace {

TEST(ImageOps, ResizeKeepsAConstantImageConstant) {
  const std::vector<std::uint8_t> grey(7 * 5 * 3, 137);
  for (const auto& [h, w] :
       {std::pair{3, 2}, std::pair{32, 32}, std::pair{7, 5}, std::pair{1, 9}}) {
    const auto out = resize_bilinear(grey.data(), 7, 5, 3, h, w);
    ASSERT_EQ(out.size(), static_cast<std::size_t>(h * w * 3));
    for (const auto v : out) ASSERT_EQ(v, 137) << h << "x" << w;
  }
}

TEST(ImageOps, ResizeToTheSameSizeIsTheIdentity) {
  std::vector<std::uint8_t> image(4 * 6 * 2);
  for (std::size_t i = 0; i < image.size(); ++i) image[i] = static_cast<std::uint8_t>(i * 5);
  EXPECT_EQ(resize_bilinear(image.data(), 4, 6, 2, 4, 6), image);
}

TEST(ImageOps, UpsamplingInterpolatesBetweenPixelCentres) {
  // 1x2 -> 1x4: output centres sit at input x = -0.25, 0.25, 0.75, 1.25 (edges clamp).
  const float row[] = {0.0f, 100.0f};
  const auto out = resize_bilinear(row, 1, 2, 1, 1, 4);
  ASSERT_EQ(out.size(), 4u);
  EXPECT_FLOAT_EQ(out[0], 0.0f);
  EXPECT_FLOAT_EQ(out[1], 25.0f);
  EXPECT_FLOAT_EQ(out[2], 75.0f);
  EXPECT_FLOAT_EQ(out[3], 100.0f);
}

TEST(ImageOps, DownsamplingByTwoAveragesEveryPixel) {
  // A 2x2 block to 1x1: the widened triangle weights all four pixels equally.
  const float block[] = {0.0f, 40.0f, 80.0f, 120.0f};
  const auto out = resize_bilinear(block, 2, 2, 1, 1, 1);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_FLOAT_EQ(out[0], 60.0f);
  // A 1x4 stripe 0,0,255,255 halved: each output sees mostly its own pair.
  const std::uint8_t stripe[] = {0, 0, 255, 255};
  const auto half = resize_bilinear(stripe, 1, 4, 1, 1, 2);
  EXPECT_LT(half[0], 64);
  EXPECT_GT(half[1], 191);
}

TEST(ImageOps, ConvertsChannels) {
  const std::uint8_t rgb[] = {255, 0, 0, 0, 255, 0, 10, 20, 30};
  const auto grey = convert_channels(rgb, 3, 3, 1);
  EXPECT_EQ(grey, (std::vector<std::uint8_t>{76, 150, 18}));  // 0.299*255, 0.587*255, luma
  const std::uint8_t g[] = {7, 200};
  EXPECT_EQ(convert_channels(g, 2, 1, 3), (std::vector<std::uint8_t>{7, 7, 7, 200, 200, 200}));
  const std::uint8_t grey_alpha[] = {9, 255, 11, 0};
  EXPECT_EQ(convert_channels(grey_alpha, 2, 2, 1), (std::vector<std::uint8_t>{9, 11}));
  const std::uint8_t rgba[] = {1, 2, 3, 4};
  EXPECT_EQ(convert_channels(rgba, 1, 4, 3), (std::vector<std::uint8_t>{1, 2, 3}));
  EXPECT_THROW(convert_channels(rgb, 3, 3, 2), Error);
  EXPECT_THROW(resize_bilinear(rgb, 0, 3, 1, 2, 2), Error);
}

}  // namespace
}  // namespace d2a
