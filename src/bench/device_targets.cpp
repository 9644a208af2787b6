#include "d2a/bench/device_targets.h"

#include <cmath>

#include "d2a/bench/nb201_score_table.h"
#include "d2a/error.h"
#include "d2a/space/nb201.h"

namespace d2a {

const std::vector<DeviceTarget>& device_targets() {
  static const std::vector<DeviceTarget> targets = {
      {"edgegpu", "NVIDIA Jetson TX2 (HW-NAS-Bench: latency and energy)", false,
       "edgegpu_latency", "edgegpu_energy"},
      {"raspi4", "Raspberry Pi 4 (HW-NAS-Bench: latency)", false, "raspi4_latency", ""},
      {"edgetpu", "Google Edge TPU (HW-NAS-Bench: latency; some cells not measured)", false,
       "edgetpu_latency", ""},
      {"pixel3", "Google Pixel 3 (HW-NAS-Bench: latency)", false, "pixel3_latency", ""},
      {"eyeriss", "Eyeriss ASIC (HW-NAS-Bench: latency and energy)", false, "eyeriss_latency",
       "eyeriss_energy"},
      {"fpga", "FPGA (HW-NAS-Bench: latency and energy)", false, "fpga_latency", "fpga_energy"},
      {"cpu", "this machine's CPU, measured by d2a", true, "", ""},
      {"cuda", "this machine's GPU, measured by d2a", true, "", ""},
  };
  return targets;
}

const DeviceTarget& find_device_target(const std::string& name) {
  std::string valid;
  for (const DeviceTarget& t : device_targets()) {
    if (t.name == name) return t;
    valid += (valid.empty() ? "" : ", ") + t.name;
  }
  throw bad_input("unknown --target '" + name + "' (valid: " + valid + ")");
}

void check_latency_table(const Nb201ScoreTable& table, const DeviceTarget& device) {
  if (device.measured) return;
  if (!table.in_benchmark_order()) {
    throw bad_input(table.source() + ": not the HW-NAS-Bench latency table "
                    "(nb201_hw_latency_cifar10.csv)");
  }
  for (const std::string& column : {device.latency_column, device.energy_column}) {
    if (!column.empty() && !table.has_column(column)) {
      throw bad_input(table.source() + ": has no column '" + column + "' for --target " +
                      device.name);
    }
  }
}

DeviceCost table_cost(const Nb201ScoreTable& table, const DeviceTarget& device,
                      const Nb201Cell& cell) {
  DeviceCost cost;
  const auto read = [&](const std::string& column) -> std::optional<double> {
    if (column.empty()) return std::nullopt;
    const double v = table.value(cell, column);
    if (!std::isfinite(v) || v < 0) return std::nullopt;  // not measured
    return v;
  };
  cost.latency_ms = read(device.latency_column);
  cost.energy_mj = read(device.energy_column);
  return cost;
}

}  // namespace d2a
