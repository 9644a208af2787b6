#pragma once
// Who this process is in a multi-process job, read from the launcher's environment: torchrun
// (RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT) or Slurm's srun (SLURM_PROCID,
// SLURM_NTASKS, SLURM_LOCALID, the first host of SLURM_JOB_NODELIST). No variables: one process.
// Torch-free, so the command line can check it before any work starts.
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace d2a::dist {

struct LaunchEnv {
  int rank = 0;
  int world_size = 1;
  int local_rank = 0;
  std::string master_addr = "127.0.0.1";
  int master_port = 29500;
  std::string launcher = "none";  // "torchrun", "slurm" or "none"
  // Processes of this job on this machine: torchrun's LOCAL_WORLD_SIZE; without it, the world
  // size when MASTER_ADDR is loopback (every rank is here); 0 = unknown.
  int local_world_size = 0;
  // Set on joining a job (cli::join_distributed_job): the CPUs this process was bound to
  // (empty: not bound) and the LibTorch threads it runs with.
  std::vector<int> bound_cpus;
  int threads = 0;
  int cuda_device = -1;  // the GPU this rank computes on (--device cuda); -1: none

  bool distributed() const { return world_size > 1; }
  // Started by a launcher (torchrun's or Slurm's variables are set), even as a job of one
  // process: it joins a real process group then, as torch.distributed does for a world of 1.
  bool launched() const { return launcher != "none"; }
};

// Reads the variables through `get` (returns nullptr for an unset variable). torchrun's win
// when RANK or WORLD_SIZE is set; Slurm's are used under srun (SLURM_PROCID and SLURM_STEP_ID
// set; world size from SLURM_STEP_NUM_TASKS, else SLURM_NTASKS), with MASTER_ADDR / MASTER_PORT
// overriding the first node and the default port 29500 + SLURM_JOB_ID % 1000. Throws
// d2a::Error (bad input) naming the variable when one is missing, not an integer, or out of
// range (rank outside [0, world size), port outside [1, 65535]).
LaunchEnv read_launch_env(const std::function<const char*(const char*)>& get);

// read_launch_env over the process environment.
LaunchEnv launch_env();

// Which shard of a `db build` this process is, from the scheduler that started it:
// `spec` "auto" reads a Slurm job array (I = SLURM_ARRAY_TASK_ID - SLURM_ARRAY_TASK_MIN,
// N = SLURM_ARRAY_TASK_COUNT); "auto/N" takes N as given and I from a Kubernetes Indexed Job's
// JOB_COMPLETION_INDEX, else from the Slurm array. Returns {I, N}. Throws d2a::Error (bad input)
// naming the variable when none is set, one is not an integer, or I is not below N.
std::pair<int, int> scheduler_shard(const std::string& spec,
                                    const std::function<const char*(const char*)>& get);

// The GPU a rank of `env` computes on, of the `gpus` this process sees: its local rank's, one
// per process (as PyTorch DDP users call torch.cuda.set_device(local_rank)), since NCCL refuses
// two ranks on one GPU. Under srun, Slurm may bind each task to GPUs of its own
// (--gpus-per-task), so a local rank past them takes local_rank % gpus there. Throws d2a::Error
// (bad input) when the local rank has no GPU of its own.
int cuda_device_for(const LaunchEnv& env, int gpus);

// localhost, 127.x.y.z or ::1.
bool is_loopback_host(const std::string& host);

// How a rank uses this machine's CPUs (join_distributed_job applies it).
struct CpuPlan {
  int threads = 1;        // LibTorch threads
  std::vector<int> cpus;  // the CPUs to bind this process to; empty: not bound
};

// The plan for `env`'s rank given the CPUs this process may run on (`allowed`, its affinity
// mask), the --threads the user asked for (0 = choose) and whether binding is wanted
// (--cpu-bind auto). As torchrun gives each of several local processes one OpenMP thread, and
// PyTorch's CPU launcher (torch.backends.xeon.run_cpu) gives each its own cores: with L local
// processes (known), --threads 0 becomes |allowed| / L (at least 1), and rank r is bound to the
// r-th slice of `threads` CPUs when all L slices fit. Under Slurm, whose task/affinity plugin
// binds tasks itself (srun --cpu-bind), and with L unknown nothing is bound.
CpuPlan plan_cpus(const LaunchEnv& env, const std::vector<int>& allowed, int requested_threads,
                  bool bind);

// "0-3,8" for {0, 1, 2, 3, 8}: the Linux cpulist format, as taskset -c takes it.
std::string cpu_list_text(const std::vector<int>& cpus);

// The first host of a Slurm node list: "node[01-04,07],gpu2" -> "node01", "a,b" -> "a".
// Throws d2a::Error (bad input) for an empty or malformed list.
std::string first_slurm_host(const std::string& nodelist);

}  // namespace d2a::dist
