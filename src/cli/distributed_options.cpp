#include "d2a/cli/distributed_options.h"

#include <torch/torch.h>

#include <chrono>

#include "d2a/dist/process_group.h"

namespace d2a::cli {

void add_distributed_options(CLI::App* command, DistributedOptions& options) {
  command->add_flag("--sync-bn", options.sync_bn,
                    "Data parallel: BatchNorm statistics over every process's share of the batch");
  command->add_option("--dist-timeout", options.timeout_s,
                      "Data parallel: seconds to wait for the other processes before failing")
      ->check(CLI::Range(1.0, 86400.0))
      ->capture_default_str();
}

dist::LaunchEnv join_distributed_job(const DistributedOptions& options,
                                     const std::string& device_name) {
  const dist::LaunchEnv launch = dist::launch_env();
  if (launch.distributed()) {
    dist::GroupOptions group;
    group.sync_batch_norm = options.sync_bn;
    group.timeout = std::chrono::milliseconds(static_cast<std::int64_t>(options.timeout_s * 1000));
    dist::init_world(launch, torch::Device(device_name == "cuda" ? torch::kCUDA : torch::kCPU),
                     group);
  }
  return launch;
}

}  // namespace d2a::cli
