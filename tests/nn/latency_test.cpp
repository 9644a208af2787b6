#include "d2a/nn/latency.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "d2a/error.h"

namespace d2a {
namespace {

Nb201MacroConfig tiny() {
  Nb201MacroConfig macro;
  macro.channels = 4;
  macro.cells_per_stage = 1;
  macro.image_size = 16;
  return macro;
}

TEST(Latency, SeveralBatchesOnOneNetwork) {
  const Nb201Cell cell = Nb201Cell::parse(
      "|nor_conv_3x3~0|+|nor_conv_3x3~0|skip_connect~1|+|skip_connect~0|nor_conv_1x1~1|none~2|");
  LatencyOptions options;
  options.warmup = 1;
  options.repeats = 3;
  options.tolerance = 0;
  const std::vector<LatencyMeasurement> ms = measure_latencies_ms(cell, tiny(), {1, 8}, options);
  ASSERT_EQ(ms.size(), 2u);
  for (const LatencyMeasurement& m : ms) {
    EXPECT_TRUE(std::isfinite(m.median_ms) && m.median_ms > 0) << m.median_ms;
    EXPECT_EQ(m.forwards, 3);  // no early stop with tolerance 0 (distinct timings)
  }
  options.tolerance = 1e9;  // any two timings agree: the median is bounded after 2 of 3
  const LatencyMeasurement early = measure_latencies_ms(cell, tiny(), {1}, options).front();
  EXPECT_GT(early.median_ms, 0);
  EXPECT_EQ(early.forwards, 2);
  EXPECT_THROW(measure_latencies_ms(cell, tiny(), {}, options), Error);
  EXPECT_THROW(measure_latencies_ms(cell, tiny(), {1, 0}, options), Error);
  options.repeats = 0;
  EXPECT_THROW(measure_latencies_ms(cell, tiny(), {1}, options), Error);
}

// The median of all of `values`: the reference.
double median_of(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  return n % 2 == 1 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
}

TEST(EarlyMedian, StopsOnlyWhenTheRestCannotMoveTheMedianFar) {
  // Constant draws: the median of 5 is fixed once 3 agree; of 4 once 3 agree (v1..v3).
  int drawn = 0;
  EXPECT_DOUBLE_EQ(early_median(
                       5, 0.02, [] { return 7.0; }, &drawn),
                   7.0);
  EXPECT_EQ(drawn, 3);
  EXPECT_DOUBLE_EQ(early_median(
                       4, 0.02, [] { return 7.0; }, &drawn),
                   7.0);
  EXPECT_EQ(drawn, 3);
  EXPECT_DOUBLE_EQ(early_median(
                       1, 0.02, [] { return 7.0; }, &drawn),
                   7.0);
  EXPECT_EQ(drawn, 1);
  // The first three disagree; the 4th narrows the interval [v2, v3] to 10.05-10.1.
  std::vector<double> seq = {10.0, 50.0, 10.1, 10.05, 99.0};
  std::size_t i = 0;
  EXPECT_NEAR(early_median(
                  5, 0.02, [&] { return seq[i++]; }, &drawn),
              10.075, 1e-12);
  EXPECT_EQ(drawn, 4);
  // The first three disagree and the 4th leaves [10.1, 50]: the 5th decides.
  seq = {10.0, 10.1, 50.0, 50.0, 50.0};
  i = 0;
  EXPECT_DOUBLE_EQ(early_median(
                       5, 0.02, [&] { return seq[i++]; }, &drawn),
                   50.0);
  EXPECT_EQ(drawn, 5);
  EXPECT_THROW(early_median(0, 0.02, [] { return 1.0; }), Error);
  EXPECT_THROW(early_median(3, -0.1, [] { return 1.0; }), Error);
}

TEST(EarlyMedian, IsWithinHalfTheToleranceOfTheFullMedian) {
  // Random timings with outliers: whatever it stops on, the full median of all the planned
  // draws (the ones it never took included) is within tolerance / 2 of its answer.
  std::mt19937 rng(3);
  std::lognormal_distribution<double> noise(0.0, 0.03);
  std::bernoulli_distribution outlier(0.2);
  int stopped_early = 0;
  for (int trial = 0; trial < 2000; ++trial) {
    const int planned = 1 + trial % 7;
    const double tolerance = trial % 3 == 0 ? 0.0 : trial % 3 == 1 ? 0.02 : 0.1;
    std::vector<double> values(static_cast<std::size_t>(planned));
    for (double& v : values) v = 5.0 * noise(rng) * (outlier(rng) ? 3.0 : 1.0);
    std::size_t next = 0;
    int drawn = 0;
    const double got = early_median(
        planned, tolerance, [&] { return values[next++]; }, &drawn);
    const double full = median_of(values);
    EXPECT_LE(std::abs(got - full), 0.5 * tolerance * full + 1e-12)
        << "planned " << planned << " tolerance " << tolerance << " drawn " << drawn;
    if (tolerance == 0) {
      EXPECT_DOUBLE_EQ(got, full);
    }
    if (drawn < planned) ++stopped_early;
  }
  EXPECT_GT(stopped_early, 300);  // the early stop happens (and the bound above holds for it)
}

TEST(Latency, MachineKeyNamesTheLayout) {
  // Latencies in another layout are other numbers: the cache keeps them apart.
  const std::string key = latency_machine_key(torch::kCPU);
  EXPECT_EQ(key.rfind("cpu:", 0), 0u) << key;
  EXPECT_NE(key.find(":channels-last"), std::string::npos) << key;
}

}  // namespace
}  // namespace d2a
