#pragma once
// The data-parallel flags of the commands that train (train, search), and joining the job the
// launcher's environment describes (torchrun's or srun's variables; none: one process).
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <string>

#include "d2a/dist/launch_env.h"
#include "d2a/dist/share_balance.h"

namespace d2a::cli {

struct DistributedOptions {
  bool sync_bn = false;
  double timeout_s = 300;
  double bucket_mb = 25;          // PyTorch DDP's bucket_cap_mb
  std::string cpu_bind = "auto";  // auto | none (dist::plan_cpus)
  std::string balance = "equal";  // train only: equal | speed | weights (dist::ShareBalance)
};

void add_distributed_options(CLI::App* command, DistributedOptions& options);
// --balance, which only `train` has (its batches are what is split).
void add_balance_option(CLI::App* command, DistributedOptions& options);
// --balance checked against the launcher's job and the device (bad: d2a::Error, exit 2): one
// weight per process; `speed` only on the CPU, whose work a rank can time without a sync.
dist::ShareBalance balance_for_job(const DistributedOptions& options,
                                   const std::string& device_name);

// Reads the launcher's variables (bad ones: d2a::Error, exit 2, naming the variable) and, when
// they describe more than one process, sets this rank's threads and CPUs (dist::plan_cpus, with
// the --threads the user gave, 0 = choose) and joins the job as dist::world() on
// `device_name`'s device.
dist::LaunchEnv join_distributed_job(const DistributedOptions& options,
                                     const std::string& device_name, int requested_threads);

// The job this process joined, for a command's JSON "distributed": launcher, backend,
// world_size, sync_bn, cpus (the CPUs it was bound to, "" if none), threads, and wait
// ("polling" or "asleep": how it waits for a collective, dist::GroupOptions::busy_wait) and
// balance (--balance).
nlohmann::json describe_distributed_job(const dist::LaunchEnv& launch,
                                        const DistributedOptions& options);

}  // namespace d2a::cli
