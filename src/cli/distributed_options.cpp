#include "d2a/cli/distributed_options.h"

#include <torch/torch.h>

#include <chrono>

#include "d2a/dist/cpu_affinity.h"
#include "d2a/dist/process_group.h"
#include "d2a/error.h"
#include "d2a/train/cuda_device.h"

namespace d2a::cli {

void add_distributed_options(CLI::App* command, DistributedOptions& options) {
  command->add_flag("--sync-bn", options.sync_bn,
                    "Data parallel: BatchNorm statistics over every process's share of the batch");
  command->add_option("--dist-timeout", options.timeout_s,
                      "Data parallel: seconds to wait for the other processes before failing")
      ->check(CLI::Range(1.0, 86400.0))
      ->capture_default_str();
  command
      ->add_option("--bucket-mb", options.bucket_mb,
                   "Data parallel: gradients are all-reduced in buckets of this many MB "
                   "(PyTorch DDP's bucket_cap_mb); in `train` a bucket starts during backward "
                   "once its gradients are in")
      ->check(CLI::Range(0.001, 1024.0))
      ->capture_default_str();
  command
      ->add_option("--cpu-bind", options.cpu_bind,
                   "Data parallel on one machine: auto gives each local process its own slice "
                   "of the CPUs and --threads 0 means that slice's size (as torchrun with one "
                   "thread per process and PyTorch's CPU launcher do); none leaves placement "
                   "to the OS. Under srun, Slurm binds (--cpu-bind)")
      ->check(CLI::IsMember({"auto", "none"}))
      ->capture_default_str();
}

void add_balance_option(CLI::App* command, DistributedOptions& options) {
  command
      ->add_option("--balance", options.balance,
                   "Data parallel: how each batch is split among the processes. equal: shares "
                   "differing by at most one image (PyTorch DDP; deterministic). speed: in "
                   "proportion to each process's measured images per second, re-measured every 8 "
                   "steps, so a faster CPU does not wait for a slower one (the split, and so "
                   "the rounding, then varies from run to run; CPU only). Weights such as 3,1: "
                   "fixed proportions, one per process. The averaged gradient is the whole "
                   "batch's mean whatever the split")
      ->capture_default_str();
}

dist::ShareBalance balance_for_job(const DistributedOptions& options,
                                   const std::string& device_name) {
  dist::ShareBalance balance = dist::parse_share_balance(options.balance);
  const dist::LaunchEnv launch = dist::launch_env();
  if (launch.launched()) dist::check_share_balance(balance, launch.world_size);
  if (balance.mode == dist::ShareBalance::Mode::kSpeed && device_name == "cuda") {
    throw bad_input(
        "--balance speed times each process's work on the CPU; on CUDA give fixed weights "
        "(e.g. --balance 2,1 for a GPU twice as fast as the other)");
  }
  return balance;
}

dist::LaunchEnv join_distributed_job(const DistributedOptions& options,
                                     const std::string& device_name, int requested_threads) {
  dist::LaunchEnv launch = dist::launch_env();
  if (launch.launched()) {
    // A job of one process keeps the threads it was given, unbound, as without a launcher.
    if (launch.distributed()) {
      const dist::CpuPlan plan = dist::plan_cpus(launch, dist::allowed_cpus(), requested_threads,
                                                 options.cpu_bind == "auto");
      if (!plan.cpus.empty()) dist::bind_process_to_cpus(plan.cpus);
      torch::set_num_threads(plan.threads);
      launch.bound_cpus = plan.cpus;
    }
    launch.threads = torch::get_num_threads();
    if (device_name == "cuda") {
      launch.cuda_device = dist::cuda_device_for(launch, cuda_device_count());
      set_current_cuda_device(launch.cuda_device);
    }
    dist::GroupOptions group;
    group.sync_batch_norm = options.sync_bn;
    group.timeout = std::chrono::milliseconds(static_cast<std::int64_t>(options.timeout_s * 1000));
    group.bucket_bytes = static_cast<std::size_t>(options.bucket_mb * (1 << 20));
    group.busy_wait = !launch.bound_cpus.empty();  // the CPUs are this process's own
    group.balance = balance_for_job(options, device_name);
    dist::init_world(launch, torch::Device(device_name == "cuda" ? torch::kCUDA : torch::kCPU),
                     group);
  }
  return launch;
}

nlohmann::json describe_distributed_job(const dist::LaunchEnv& launch,
                                        const DistributedOptions& options) {
  const dist::ProcessGroup& group = dist::world();
  return {{"launcher", launch.launcher},
          {"backend", group.backend()},
          {"world_size", group.world_size()},
          {"sync_bn", options.sync_bn},
          {"cpus", dist::cpu_list_text(launch.bound_cpus)},
          {"threads", launch.threads},
          {"wait", group.polls_collectives() ? "polling" : "asleep"},
          {"balance", group.options().balance.str()},
          {"cuda_device", launch.cuda_device}};
}

}  // namespace d2a::cli
