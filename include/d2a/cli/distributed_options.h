#pragma once
// The data-parallel flags of the commands that train (train, search), and joining the job the
// launcher's environment describes (torchrun's or srun's variables; none: one process).
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <string>

#include "d2a/dist/launch_env.h"

namespace d2a::cli {

struct DistributedOptions {
  bool sync_bn = false;
  double timeout_s = 300;
  double bucket_mb = 25;          // PyTorch DDP's bucket_cap_mb
  std::string cpu_bind = "auto";  // auto | none (dist::plan_cpus)
};

void add_distributed_options(CLI::App* command, DistributedOptions& options);

// Reads the launcher's variables (bad ones: d2a::Error, exit 2, naming the variable) and, when
// they describe more than one process, sets this rank's threads and CPUs (dist::plan_cpus, with
// the --threads the user gave, 0 = choose) and joins the job as dist::world() on
// `device_name`'s device.
dist::LaunchEnv join_distributed_job(const DistributedOptions& options,
                                     const std::string& device_name, int requested_threads);

// The job this process joined, for a command's JSON "distributed": launcher, backend,
// world_size, sync_bn, cpus (the CPUs it was bound to, "" if none), threads, and wait
// ("polling" or "asleep": how it waits for a collective, dist::GroupOptions::busy_wait).
nlohmann::json describe_distributed_job(const dist::LaunchEnv& launch,
                                        const DistributedOptions& options);

}  // namespace d2a::cli
