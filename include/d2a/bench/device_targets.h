#pragma once
// The devices of HW-NAS-Bench (nb201_hw_latency_cifar10.csv) that `suggest --target` names, and
// the two whose latency d2a measures itself (cpu, cuda). No torch here.
#include <optional>
#include <string>
#include <vector>

namespace d2a {

class Nb201ScoreTable;
class Nb201Cell;

struct DeviceTarget {
  std::string name;            // edgegpu, raspi4, edgetpu, pixel3, eyeriss, fpga, cpu, cuda
  std::string description;     // one line for --help
  bool measured = false;       // cpu, cuda: d2a times the network; others: the table's values
  std::string latency_column;  // table column (ms), "" for measured targets
  std::string energy_column;   // table column (mJ), "" when the table has none for the device
};

// In a fixed order: the table devices, then cpu and cuda.
const std::vector<DeviceTarget>& device_targets();
// Throws d2a::Error (bad input) "unknown --target 'x' (valid: edgegpu, ...)".
const DeviceTarget& find_device_target(const std::string& name);

// A cell's latency (ms) and energy (mJ) on a table device; nullopt where the table has no
// measurement (HW-NAS-Bench's edgetpu writes -1: such a cell never meets a bound) or no energy
// column for the device. The table must be the latency file (benchmark order).
struct DeviceCost {
  std::optional<double> latency_ms;
  std::optional<double> energy_mj;
};
DeviceCost table_cost(const Nb201ScoreTable& table, const DeviceTarget& device,
                      const Nb201Cell& cell);

// Checks that `table` is the HW-NAS-Bench latency file and has the device's columns. Throws
// d2a::Error (bad input) naming the file and the missing column.
void check_latency_table(const Nb201ScoreTable& table, const DeviceTarget& device);

}  // namespace d2a
