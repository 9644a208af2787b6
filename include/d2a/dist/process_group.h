#pragma once
// Data-parallel training over LibTorch's c10d (what PyTorch's DistributedDataParallel runs on):
// a TCPStore rendezvous at MASTER_ADDR:MASTER_PORT, then ProcessGroupGloo on CPU (ProcessGroupNCCL
// on CUDA where LibTorch was built with it). Each rank takes a disjoint share of every batch;
// gradients are summed over the ranks in flat buckets after backward; every collective that
// fails (a rank died, the timeout passed) becomes one d2a::Error line naming this rank.
#include <torch/torch.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "d2a/dist/launch_env.h"
#include "d2a/dist/share_balance.h"  // shard_range

namespace d2a::dist {

struct GroupOptions {
  // How long a collective or the rendezvous waits for the other ranks before failing.
  std::chrono::milliseconds timeout = std::chrono::seconds(300);
  // BatchNorm statistics over every rank's share of the batch (SyncBatchNorm) instead of per
  // rank, PyTorch DDP's default.
  bool sync_batch_norm = false;
  std::size_t bucket_bytes = 25u << 20;  // gradients are all-reduced in buckets of this size
  // Wait for a Gloo collective by polling it and yielding the CPU, not asleep: for a process
  // bound to CPUs of its own (join_distributed_job sets it then). Asleep, the process's CPU goes
  // idle while Gloo's threads hand the data over, and each hand-over waits for it to wake: an
  // all-reduce of 92k floats between two processes bound to one CPU each took 0.28-0.37 ms
  // (median) polled and 0.44-3.3 ms asleep on this project's 2-CPU virtual machine (0.49-0.64 ms
  // unbound, asleep): tools/bench/allreduce_latency.sh. NCCL's wait does not block the host and
  // is left as it is.
  bool busy_wait = false;
  // How `train` splits each batch among the ranks (equal unless --balance).
  ShareBalance balance;
};

class ProcessGroup {
 public:
  ProcessGroup();  // no job: every collective is a no-op

  // Joins the job `env` describes (blocks until every rank has arrived or the timeout passes).
  // A launched job of one process (env.launched(), world size 1) gets a real group of one rank
  // over an in-process store, whose collectives run and change nothing: how PyTorch's DDP
  // behaves under `torchrun --nproc-per-node 1`, and how NCCL is checked on a one-GPU machine.
  // Throws d2a::Error (runtime) when the rendezvous fails.
  static ProcessGroup connect(const LaunchEnv& env, torch::Device device,
                              const GroupOptions& options);

  int rank() const;
  int world_size() const;
  bool active() const;  // a group was joined: collectives run (also in a world of one)
  bool is_root() const { return rank() == 0; }
  const GroupOptions& options() const;
  std::string backend() const;  // "gloo", "nccl" or "none"
  // Whether this process waits for its collectives by polling them (options().busy_wait, on
  // Gloo) rather than asleep.
  bool polls_collectives() const;

  // Sums the tensors over the ranks, in place (flattened into buckets of options().bucket_bytes).
  void all_reduce_sum(const std::vector<torch::Tensor>& tensors);
  // Starts summing `tensor` (contiguous) over the ranks in place and returns without waiting;
  // wait_started() waits for every collective started so far. Every rank must start the same
  // collectives in the same order (as PyTorch DDP's buckets). Failures surface in wait_started().
  void start_all_reduce_sum(const torch::Tensor& tensor);
  void wait_started();
  // Replaces each tensor by its mean over the ranks, in place.
  void average(const std::vector<torch::Tensor>& tensors);
  // Sums every defined gradient of `parameters` over the ranks and divides by the world size.
  void average_gradients(const std::vector<torch::Tensor>& parameters);
  // Copies rank `root`'s tensors to every rank, in place.
  void broadcast(const std::vector<torch::Tensor>& tensors, int root = 0);
  // Rank 0's parameters and buffers (BatchNorm running statistics) to every rank.
  void broadcast_module(const torch::nn::Module& module);
  void barrier();
  // True on every rank when `value` is true on any (e.g. a signal that reached one rank).
  bool any(bool value);

  // Seconds the calling thread spent in collectives so far (the communication overhead of a
  // step): for started ones, starting and waiting, not the time they ran beside other work.
  double communication_seconds() const;

 private:
  friend void init_world(const LaunchEnv& env, torch::Device device, const GroupOptions& options);
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

// The process's default group, as torch.distributed's init_process_group: one process until
// init_world() joins a job.
ProcessGroup& world();
void init_world(const LaunchEnv& env, torch::Device device, const GroupOptions& options);

}  // namespace d2a::dist
