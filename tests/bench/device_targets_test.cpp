#include "d2a/bench/device_targets.h"

#include <gtest/gtest.h>

#include <cmath>

#include "d2a/bench/nb201_score_table.h"
#include "d2a/error.h"
#include "test_support.h"

namespace d2a {
namespace {

TEST(DeviceTargets, NamesTheHwNasBenchDevicesAndTheMeasuredOnes) {
  EXPECT_EQ(find_device_target("edgegpu").energy_column, "edgegpu_energy");
  EXPECT_TRUE(find_device_target("raspi4").energy_column.empty());
  EXPECT_TRUE(find_device_target("cpu").measured);
  try {
    find_device_target("phone");
    ADD_FAILURE() << "unknown target accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("valid: edgegpu, raspi4, edgetpu, pixel3, eyeriss, fpga, cpu, cuda"),
              std::string::npos) << e.what();
  }
}

TEST(DeviceTargets, TableCostsAndTheEdgeTpuGaps) {
  const auto path = test::nb201_table("nb201_hw_latency_cifar10.csv");
  D2A_REQUIRE_FILE(path);
  const Nb201ScoreTable table = Nb201ScoreTable::load(path.string());
  for (const DeviceTarget& d : device_targets()) EXPECT_NO_THROW(check_latency_table(table, d));
  // Benchmark index 0 (values from the file).
  const DeviceCost gpu = table_cost(table, find_device_target("edgegpu"), table.cell(0));
  ASSERT_TRUE(gpu.latency_ms && gpu.energy_mj);
  EXPECT_NEAR(*gpu.latency_ms, 5.807418537139893, 1e-12);
  // A cell edgetpu never measured has no latency, so it can never meet a bound.
  const auto& tpu = table.column("edgetpu_latency");
  int missing_row = -1;
  for (int r = 0; r < table.size() && missing_row < 0; ++r) {
    if (std::isnan(tpu[r])) missing_row = r;
  }
  ASSERT_GE(missing_row, 0);
  EXPECT_FALSE(table_cost(table, find_device_target("edgetpu"), table.cell(missing_row)).latency_ms);
}

}  // namespace
}  // namespace d2a
