// Splitting a batch among ranks: equal (as dist::shard_range), fixed weights, and by measured
// speed; --balance's text, good and bad.
#include "d2a/dist/share_balance.h"

#include <gtest/gtest.h>

#include <numeric>

#include "d2a/error.h"

namespace d2a::dist {
namespace {

std::vector<std::int64_t> counts(const std::vector<std::pair<std::int64_t, std::int64_t>>& s) {
  std::vector<std::int64_t> out;
  std::int64_t next = 0;
  for (const auto& [first, count] : s) {
    EXPECT_EQ(first, next) << "shares must be contiguous, in rank order";
    next = first + count;
    out.push_back(count);
  }
  return out;
}

TEST(ShareBalance, ParsesEqualSpeedAndWeights) {
  EXPECT_EQ(parse_share_balance("equal").mode, ShareBalance::Mode::kEqual);
  EXPECT_EQ(parse_share_balance("speed").mode, ShareBalance::Mode::kSpeed);
  const ShareBalance fixed = parse_share_balance("3,1.5");
  EXPECT_EQ(fixed.mode, ShareBalance::Mode::kFixed);
  EXPECT_EQ(fixed.weights, (std::vector<double>{3.0, 1.5}));
  EXPECT_EQ(fixed.str(), "3,1.5");
  for (const char* bad : {"", "fast", "3,", ",1", "3,0", "3,-1", "3;1", "1,2x", "inf,1"}) {
    try {
      parse_share_balance(bad);
      ADD_FAILURE() << "accepted '" << bad << "'";
    } catch (const Error& e) {
      EXPECT_EQ(e.exit_status(), 2);
      EXPECT_NE(std::string(e.what()).find("--balance"), std::string::npos) << e.what();
    }
  }
}

TEST(ShareBalance, ProportionalSharesCoverTheBatchInProportion) {
  EXPECT_EQ(counts(proportional_shares(64, {3, 1})), (std::vector<std::int64_t>{48, 16}));
  EXPECT_EQ(counts(proportional_shares(64, {0.6, 0.4})), (std::vector<std::int64_t>{38, 26}));
  // 10 over three equal weights: one each, then 7 = 2 + 2 + 2 and the last to rank 0.
  EXPECT_EQ(counts(proportional_shares(10, {1, 1, 1})), (std::vector<std::int64_t>{4, 3, 3}));
  // However lopsided the weights, every rank keeps one image.
  EXPECT_EQ(counts(proportional_shares(5, {1000, 1})), (std::vector<std::int64_t>{4, 1}));
  EXPECT_EQ(counts(proportional_shares(2, {1, 1000})), (std::vector<std::int64_t>{1, 1}));
  for (std::int64_t n = 3; n < 70; ++n) {
    const auto c = counts(proportional_shares(n, {0.37, 0.21, 0.42}));
    EXPECT_EQ(std::accumulate(c.begin(), c.end(), std::int64_t{0}), n);
  }
  EXPECT_THROW(proportional_shares(1, {1, 1}), Error);
}

TEST(ShareBalance, EqualSplitIsShardRangesAndFixedWeightsStay) {
  ShareBalancer equal(ShareBalance{}, 3);
  EXPECT_EQ(equal.share(10, 0), (std::pair<std::int64_t, std::int64_t>{0, 4}));
  EXPECT_EQ(equal.share(10, 1), (std::pair<std::int64_t, std::int64_t>{4, 3}));
  EXPECT_EQ(equal.share(10, 2), (std::pair<std::int64_t, std::int64_t>{7, 3}));
  EXPECT_FALSE(equal.record(1.0, 4)) << "equal shares time nothing";

  ShareBalancer fixed(parse_share_balance("3,1"), 2);
  EXPECT_EQ(fixed.share(64, 1), (std::pair<std::int64_t, std::int64_t>{48, 16}));
  EXPECT_FALSE(fixed.measures_speed());
  EXPECT_THROW(ShareBalancer(parse_share_balance("3,1"), 3), Error);
}

TEST(ShareBalance, SpeedSplitSettlesWhereTheRanksFinishTogether) {
  // Rank 0 does 3,000 images/s, rank 1 2,000, each with a fixed 2 ms a step besides: both steps
  // last equally long when rank 0 takes 38.4 of a 64-image batch (s / 3000 = (64 - s) / 2000;
  // the fixed cost, the same on both, cancels), so 38 or 39 once rounded to images.
  const double speed[2] = {3000.0, 2000.0};
  ShareBalancer balancer(parse_share_balance("speed"), 2, 4);
  ASSERT_TRUE(balancer.measures_speed());
  EXPECT_EQ(balancer.fractions(), (std::vector<double>{0.5, 0.5}));
  double gap = 0;
  for (int window = 0; window < 30; ++window) {
    std::vector<double> rates(2);
    double seconds[2];
    for (int rank = 0; rank < 2; ++rank) {
      ShareBalancer view = balancer;  // every rank holds the same state
      const std::int64_t share = balancer.share(64, rank).second;
      seconds[rank] = 2e-3 + static_cast<double>(share) / speed[rank];
      bool due = false;
      for (int step = 0; step < 4; ++step) due = view.record(seconds[rank], share);
      ASSERT_TRUE(due);
      rates[rank] = view.take_rate();
    }
    gap = std::abs(seconds[0] - seconds[1]) / std::max(seconds[0], seconds[1]);
    balancer.update(rates);
  }
  EXPECT_EQ(balancer.updates(), 30);
  // Settled: the two ranks' steps within one image's time of each other, rank 0 the larger.
  EXPECT_LT(gap, 0.05);
  EXPECT_GE(balancer.share(64, 0).second, 38);
  EXPECT_LE(balancer.share(64, 0).second, 39);
  // A window in which a rank timed nothing (rate 0) moves nothing.
  const std::vector<double> before = balancer.fractions();
  balancer.update({0.0, 1000.0});
  EXPECT_EQ(balancer.fractions(), before);
}

}  // namespace
}  // namespace d2a::dist
