#include "d2a/meta/pareto.h"

#include <gtest/gtest.h>

namespace d2a {
namespace {

TEST(ParetoSet, KeepsExactlyTheUndominatedCandidates) {
  // (quality, cost): a (3, 5) b (2, 2) c (2, 3) d (4, 9) e (1, 1) f (4, 9) g (5, none)
  const std::vector<double> q = {3, 2, 2, 4, 1, 4, 5};
  const std::vector<std::optional<double>> c = {5, 2, 3, 9, 1, 9, std::nullopt};
  const std::vector<bool> front = pareto_set(q, c);
  // c is dominated by b (same quality, cheaper); g has no cost; d and f tie and both stay.
  EXPECT_EQ(front, (std::vector<bool>{true, true, false, true, true, true, false}));
  // Brute force agrees on a random set.
  std::vector<double> rq;
  std::vector<std::optional<double>> rc;
  for (int i = 0; i < 200; ++i) {
    rq.push_back((i * 37) % 23);
    rc.push_back((i * 53) % 29);
  }
  const std::vector<bool> fast = pareto_set(rq, rc);
  for (int i = 0; i < 200; ++i) {
    bool dominated = false;
    for (int j = 0; j < 200; ++j) {
      dominated |= rq[j] >= rq[i] && *rc[j] <= *rc[i] && (rq[j] > rq[i] || *rc[j] < *rc[i]);
    }
    EXPECT_EQ(fast[i], !dominated) << i;
  }
  EXPECT_THROW(pareto_set({1, 2}, {1}), std::exception);
}

}  // namespace
}  // namespace d2a
