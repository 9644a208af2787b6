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

TEST(Augment, ASharePerRankGivesTheWholeBatchsImages) {
  // What data-parallel ranks rely on: each augments only its share, and together they get
  // exactly the batch one process gets, with the generator left in the same state.
  const torch::Tensor x = torch::randn({13, 3, 16, 16});
  TrainRecipe r = recipe_with(true, -1, true);
  r.cutout = 6;
  std::mt19937_64 whole_rng(11);
  const torch::Tensor whole = augment_batch(x, r, whole_rng);
  std::vector<torch::Tensor> shares;
  std::mt19937_64 last_rng;
  for (const auto [first, count] : {std::pair<int, int>{0, 7}, {7, 6}}) {
    std::mt19937_64 rng(11);
    shares.push_back(augment_batch_share(x.narrow(0, first, count), r, rng, first, 13));
    last_rng = rng;
  }
  EXPECT_TRUE(torch::equal(torch::cat(shares), whole));
  EXPECT_EQ(last_rng(), whole_rng());
}

TEST(Augment, CutoutZeroesOneClippedSquarePerImageAcrossChannels) {
  std::mt19937_64 rng(9);
  TrainRecipe r = recipe_with(false, -1, false);
  r.cutout = 4;
  const torch::Tensor x = torch::rand({64, 3, 8, 8}) + 1.0;  // no zeros inside the image
  const torch::Tensor out = augment_batch(x, r, rng);
  ASSERT_EQ(out.sizes(), x.sizes());
  int full = 0, clipped = 0;
  for (int b = 0; b < 64; ++b) {
    const torch::Tensor zero = out[b].eq(0);                    // [3, 8, 8]
    ASSERT_TRUE(torch::equal(zero[0], zero[1]) && torch::equal(zero[0], zero[2])) << b;
    const torch::Tensor kept = zero[0].logical_not();
    EXPECT_TRUE(torch::equal(out[b].masked_select(kept.expand({3, 8, 8})),
                             x[b].masked_select(kept.expand({3, 8, 8}))));
    const torch::Tensor rows = zero[0].any(1).nonzero().flatten();
    const torch::Tensor cols = zero[0].any(0).nonzero().flatten();
    ASSERT_GT(rows.numel(), 0) << b;  // a centre inside the image always cuts something
    const std::int64_t h = rows.numel(), w = cols.numel();
    EXPECT_EQ(zero[0].sum().item<std::int64_t>(), h * w) << b;  // one rectangle
    EXPECT_EQ(rows[-1].item<std::int64_t>() - rows[0].item<std::int64_t>() + 1, h) << b;
    EXPECT_EQ(cols[-1].item<std::int64_t>() - cols[0].item<std::int64_t>() + 1, w) << b;
    EXPECT_LE(h, 4);
    EXPECT_LE(w, 4);
    const bool touches_border = rows[0].item<std::int64_t>() == 0 || cols[0].item<std::int64_t>() == 0 ||
                                rows[-1].item<std::int64_t>() == 7 || cols[-1].item<std::int64_t>() == 7;
    if (!touches_border) EXPECT_EQ(h * w, 16) << b;  // unclipped squares are whole
    full += h * w == 16;
    clipped += h * w < 16;
  }
  EXPECT_GT(full, 8);
  EXPECT_GT(clipped, 8);  // centres within 2 pixels of a border clip the square
}

TEST(Augment, CutoutComesAfterCropAndFlipWithoutChangingTheirDraws) {
  const torch::Tensor x = torch::rand({16, 3, 8, 8}) + 1.0;
  TrainRecipe plain = recipe_with(true, 2, true);
  TrainRecipe with_cutout = plain;
  with_cutout.cutout = 3;
  std::mt19937_64 a(5), b(5);
  const torch::Tensor shifted = augment_batch(x, plain, a);
  const torch::Tensor cut = augment_batch(x, with_cutout, b);
  // Wherever cutout left a pixel, it is the crop-and-flip result of the same draws.
  const torch::Tensor kept = cut.ne(0);
  EXPECT_TRUE(torch::equal(cut.masked_select(kept), shifted.masked_select(kept)));
  EXPECT_GT(cut.eq(0).sum().item<std::int64_t>(), shifted.eq(0).sum().item<std::int64_t>());
}

}  // namespace
}  // namespace d2a
