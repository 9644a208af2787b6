#include "d2a/nn/latency.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

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
  const std::vector<double> ms = measure_latencies_ms(cell, tiny(), {1, 8}, options);
  ASSERT_EQ(ms.size(), 2u);
  for (double m : ms) EXPECT_TRUE(std::isfinite(m) && m > 0) << m;
  EXPECT_GT(measure_latencies_ms(cell, tiny(), {1}, options).front(), 0);
  EXPECT_THROW(measure_latencies_ms(cell, tiny(), {}, options), Error);
  EXPECT_THROW(measure_latencies_ms(cell, tiny(), {1, 0}, options), Error);
  options.repeats = 0;
  EXPECT_THROW(measure_latencies_ms(cell, tiny(), {1}, options), Error);
}

TEST(Latency, MachineKeyNamesTheLayout) {
  // Latencies in another layout are other numbers: the cache keeps them apart.
  const std::string key = latency_machine_key(torch::kCPU);
  EXPECT_EQ(key.rfind("cpu:", 0), 0u) << key;
  EXPECT_NE(key.find(":channels-last"), std::string::npos) << key;
}

}  // namespace
}  // namespace d2a
