#include "d2a/train/augment.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

namespace d2a {
namespace {

TrainRecipe recipe_with(bool crop, int padding, bool flip) {
  TrainRecipe r;
  r.random_crop = crop;
  r.crop_padding = padding;
  r.horizontal_flip = flip;
  return r;
}

TEST(Augment, NothingSwitchedOnReturnsTheImages) {
  std::mt19937_64 rng(1);
  const torch::Tensor x = torch::randn({4, 3, 8, 8});
  EXPECT_TRUE(augment_batch(x, recipe_with(false, -1, false), rng).is_same(x));
}

TEST(Augment, FlipMirrorsAboutHalfTheImagesAndKeepsTheRest) {
  std::mt19937_64 rng(2);
  const torch::Tensor x = torch::randn({64, 3, 8, 8});
  const torch::Tensor out = augment_batch(x, recipe_with(false, -1, true), rng);
  ASSERT_EQ(out.sizes(), x.sizes());
  int mirrored = 0;
  for (int b = 0; b < 64; ++b) {
    const bool same = torch::equal(out[b], x[b]);
    const bool flipped = torch::equal(out[b], x[b].flip({2}));
    ASSERT_TRUE(same || flipped) << b;
    mirrored += flipped;
  }
  EXPECT_GT(mirrored, 16);
  EXPECT_LT(mirrored, 48);
}

TEST(Augment, CropIsAShiftedWindowOfTheZeroPaddedImage) {
  std::mt19937_64 rng(3);
  const int pad = 2;
  const torch::Tensor x = torch::rand({32, 1, 8, 8}) + 1.0;  // no zeros inside the image
  const torch::Tensor out = augment_batch(x, recipe_with(true, pad, false), rng);
  const torch::Tensor padded = torch::constant_pad_nd(x, {pad, pad, pad, pad}, 0.0);
  int shifted = 0;
  for (int b = 0; b < 32; ++b) {
    bool found = false;
    for (int dy = 0; dy <= 2 * pad && !found; ++dy) {
      for (int dx = 0; dx <= 2 * pad && !found; ++dx) {
        if (torch::equal(out[b], padded[b].narrow(1, dy, 8).narrow(2, dx, 8))) {
          found = true;
          shifted += (dy != pad || dx != pad);
        }
      }
    }
    EXPECT_TRUE(found) << b;
  }
  EXPECT_GT(shifted, 16);  // 24 of the 25 offsets move the image
}

TEST(Augment, SameGeneratorStateGivesTheSameBatch) {
  const torch::Tensor x = torch::randn({16, 3, 16, 16});
  std::mt19937_64 a(7), b(7), c(8);
  const TrainRecipe r = recipe_with(true, -1, true);
  EXPECT_TRUE(torch::equal(augment_batch(x, r, a), augment_batch(x, r, b)));
  EXPECT_FALSE(torch::equal(augment_batch(x, r, a), augment_batch(x, r, c)));
}

}  // namespace
}  // namespace d2a
