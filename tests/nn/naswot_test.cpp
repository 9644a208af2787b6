#include "d2a/nn/naswot.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "d2a/error.h"

namespace d2a {
namespace {

torch::Tensor noise_images(int64_t batch, int64_t side = 16) {
  torch::manual_seed(1);
  return torch::randn({batch, 3, side, side});
}

// A chain of skip connections: the cell is the identity, only the residual blocks have ReLUs.
const Nb201Cell kSkipChain =
    Nb201Cell::parse("|skip_connect~0|+|none~0|skip_connect~1|+|none~0|none~1|skip_connect~2|");
const Nb201Cell kAllConv = Nb201Cell::parse(
    "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|"
    "nor_conv_3x3~2|");

NaswotOptions tiny() {
  NaswotOptions options;
  options.channels = 4;
  options.cells_per_stage = 1;
  return options;
}

TEST(Naswot, KernelCountsAgreeingUnitsSymmetricWithTheUnitCountOnTheDiagonal) {
  const torch::Tensor k = naswot_kernel(kAllConv, noise_images(6), tiny());
  ASSERT_EQ(k.sizes(), torch::IntArrayRef({6, 6}));
  EXPECT_TRUE(torch::equal(k, k.t()));
  // Every image agrees with itself on every unit, and with any other image on no more units.
  const torch::Tensor diagonal = k.diagonal();
  EXPECT_TRUE(torch::all(diagonal == diagonal[0]).item<bool>());
  EXPECT_TRUE(torch::all(k <= diagonal[0]).item<bool>());
  EXPECT_TRUE(torch::all(k == k.round()).item<bool>());
  // Units: C=4 at 16x16 in the cell's 6 conv ReLUs (3 of them read from node 0, ...), etc.; at
  // least the last BN's 16 x 4 x 4 units are counted.
  EXPECT_GE(diagonal[0].item<double>(), 16.0 * 4 * 4);
}

TEST(Naswot, ScoreIsFiniteAndTellsASkipCellFromAConvCell) {
  const torch::Tensor images = noise_images(8);
  const double skip = naswot_score(kSkipChain, images, tiny());
  const double conv = naswot_score(kAllConv, images, tiny());
  EXPECT_TRUE(std::isfinite(skip));
  EXPECT_TRUE(std::isfinite(conv));
  EXPECT_NE(skip, conv);
  // More ReLU units see the images in the conv cell: a larger kernel determinant.
  EXPECT_GT(conv, skip);
}

TEST(Naswot, SameSeedSameScoreOtherSeedOtherScore) {
  const torch::Tensor images = noise_images(8);
  NaswotOptions a = tiny(), b = tiny();
  b.seed = 99;
  EXPECT_EQ(naswot_score(kAllConv, images, a), naswot_score(kAllConv, images, a));
  EXPECT_NE(naswot_score(kAllConv, images, a), naswot_score(kAllConv, images, b));
}

TEST(Naswot, IdenticalImagesGiveASingularKernel) {
  const torch::Tensor one = noise_images(1);
  const double score = naswot_score(kAllConv, torch::cat({one, one}), tiny());
  EXPECT_TRUE(std::isinf(score) && score < 0) << score;
}

TEST(Naswot, ADisconnectedCellSeesNothingAndScoresMinusInfinity) {
  // Its output is zeros, so every later ReLU gives every image the same code.
  const Nb201Cell disconnected =
      Nb201Cell::parse("|skip_connect~0|+|none~0|none~1|+|none~0|none~1|skip_connect~2|");
  const double score = naswot_score(disconnected, noise_images(8), tiny());
  EXPECT_TRUE(std::isinf(score) && score < 0) << score;
}

TEST(Naswot, RefusesABatchOfOne) {
  EXPECT_THROW(naswot_score(kAllConv, noise_images(1), tiny()), Error);
}

}  // namespace
}  // namespace d2a
