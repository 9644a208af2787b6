#include "d2a/dist/launch_env.h"

#include <algorithm>
#include <cstdlib>
#include <limits>

#include "d2a/error.h"

namespace d2a::dist {
namespace {

using Getter = std::function<const char*(const char*)>;

bool is_set(const Getter& get, const char* name) {
  const char* v = get(name);
  return v != nullptr && *v != '\0';
}

long read_int(const Getter& get, const char* name, long min, long max) {
  const char* v = get(name);
  if (v == nullptr || *v == '\0') {
    throw bad_input(std::string("environment variable ") + name +
                    " is not set (a multi-process launch needs it)");
  }
  char* end = nullptr;
  const long value = std::strtol(v, &end, 10);
  if (end == v || *end != '\0' || value < min || value > max) {
    throw bad_input(std::string("environment variable ") + name + "='" + v +
                    "': not an integer in [" + std::to_string(min) + ", " +
                    std::to_string(max) + "]");
  }
  return value;
}

constexpr long kMaxWorld = 1 << 20;

void check_rank(const LaunchEnv& env, const char* rank_name) {
  if (env.rank >= env.world_size) {
    throw bad_input(std::string("environment variable ") + rank_name + "=" +
                    std::to_string(env.rank) + " is not below the world size " +
                    std::to_string(env.world_size));
  }
}

}  // namespace

bool is_loopback_host(const std::string& host) {
  return host == "localhost" || host.rfind("127.", 0) == 0 || host == "::1";
}

CpuPlan plan_cpus(const LaunchEnv& env, const std::vector<int>& allowed, int requested_threads,
                  bool bind) {
  const int available = std::max<int>(1, static_cast<int>(allowed.size()));
  const int local = env.distributed() && env.launcher != "slurm" ? env.local_world_size : 0;
  CpuPlan plan;
  plan.threads = requested_threads > 0 ? requested_threads
                 : local > 1           ? std::max(1, available / local)
                                       : available;
  if (bind && local > 1 && env.local_rank < local &&
      static_cast<long>(local) * plan.threads <= static_cast<long>(allowed.size())) {
    const auto first = allowed.begin() + static_cast<long>(env.local_rank) * plan.threads;
    plan.cpus.assign(first, first + plan.threads);
  }
  return plan;
}

std::string cpu_list_text(const std::vector<int>& cpus) {
  std::string text;
  for (std::size_t i = 0; i < cpus.size();) {
    std::size_t j = i;
    while (j + 1 < cpus.size() && cpus[j + 1] == cpus[j] + 1) ++j;
    if (!text.empty()) text += ",";
    text += std::to_string(cpus[i]);
    if (j > i) text += "-" + std::to_string(cpus[j]);
    i = j + 1;
  }
  return text;
}

std::string first_slurm_host(const std::string& nodelist) {
  // The first entry ends at the first comma outside brackets.
  std::string entry;
  int depth = 0;
  for (char c : nodelist) {
    if (c == '[') ++depth;
    if (c == ']') --depth;
    if (c == ',' && depth == 0) break;
    entry += c;
  }
  if (entry.empty() || depth != 0) {
    throw bad_input("SLURM_JOB_NODELIST='" + nodelist + "': not a Slurm node list");
  }
  // Each bracket group becomes its first number, zero padding kept: node[01-04] -> node01.
  std::string host;
  std::size_t pos = 0;
  while (pos < entry.size()) {
    const auto open = entry.find('[', pos);
    if (open == std::string::npos) {
      host += entry.substr(pos);
      break;
    }
    const auto close = entry.find(']', open);
    const std::string ranges = entry.substr(open + 1, close - open - 1);
    const std::string first = ranges.substr(0, ranges.find_first_of(",-"));
    if (close == std::string::npos || first.empty() ||
        first.find_first_not_of("0123456789") != std::string::npos) {
      throw bad_input("SLURM_JOB_NODELIST='" + nodelist + "': not a Slurm node list");
    }
    host += entry.substr(pos, open - pos) + first;
    pos = close + 1;
  }
  return host;
}

LaunchEnv read_launch_env(const Getter& get) {
  LaunchEnv env;
  if (is_set(get, "RANK") || is_set(get, "WORLD_SIZE")) {
    env.launcher = "torchrun";
    env.world_size = static_cast<int>(read_int(get, "WORLD_SIZE", 1, kMaxWorld));
    env.rank = static_cast<int>(read_int(get, "RANK", 0, kMaxWorld));
    check_rank(env, "RANK");
    env.local_rank = is_set(get, "LOCAL_RANK")
                         ? static_cast<int>(read_int(get, "LOCAL_RANK", 0, kMaxWorld))
                         : env.rank;
    if (env.distributed()) {
      if (!is_set(get, "MASTER_ADDR")) {
        throw bad_input("environment variable MASTER_ADDR is not set (torchrun sets it; "
                        "set it to rank 0's host)");
      }
      env.master_addr = get("MASTER_ADDR");
      env.master_port = static_cast<int>(read_int(get, "MASTER_PORT", 1, 65535));
    }
    if (is_set(get, "LOCAL_WORLD_SIZE")) {
      env.local_world_size = static_cast<int>(read_int(get, "LOCAL_WORLD_SIZE", 1, env.world_size));
      if (env.local_rank >= env.local_world_size) {
        throw bad_input("environment variable LOCAL_RANK=" + std::to_string(env.local_rank) +
                        " is not below LOCAL_WORLD_SIZE=" + std::to_string(env.local_world_size));
      }
    } else if (is_loopback_host(env.master_addr)) {
      env.local_world_size = env.world_size;
    }
    return env;
  }
  if (is_set(get, "SLURM_PROCID") && is_set(get, "SLURM_STEP_ID")) {
    env.launcher = "slurm";
    env.world_size = static_cast<int>(is_set(get, "SLURM_STEP_NUM_TASKS")
                                          ? read_int(get, "SLURM_STEP_NUM_TASKS", 1, kMaxWorld)
                                          : read_int(get, "SLURM_NTASKS", 1, kMaxWorld));
    env.rank = static_cast<int>(read_int(get, "SLURM_PROCID", 0, kMaxWorld));
    check_rank(env, "SLURM_PROCID");
    env.local_rank = is_set(get, "SLURM_LOCALID")
                         ? static_cast<int>(read_int(get, "SLURM_LOCALID", 0, kMaxWorld))
                         : 0;
    if (env.distributed()) {
      env.master_addr = is_set(get, "MASTER_ADDR")
                            ? std::string(get("MASTER_ADDR"))
                            : first_slurm_host(is_set(get, "SLURM_JOB_NODELIST")
                                                   ? get("SLURM_JOB_NODELIST")
                                                   : "");
      env.master_port =
          is_set(get, "MASTER_PORT")
              ? static_cast<int>(read_int(get, "MASTER_PORT", 1, 65535))
              : 29500 + static_cast<int>(is_set(get, "SLURM_JOB_ID")
                                             ? read_int(get, "SLURM_JOB_ID", 0,
                                                        std::numeric_limits<long>::max()) % 1000
                                             : 0);
    }
    return env;
  }
  return env;
}

std::pair<int, int> scheduler_shard(const std::string& spec, const Getter& get) {
  int count = 0;
  if (spec == "auto") {
    if (!is_set(get, "SLURM_ARRAY_TASK_COUNT")) {
      throw bad_input("--shard auto: SLURM_ARRAY_TASK_COUNT is not set (not a Slurm job array; "
                      "under a Kubernetes Indexed Job give the count: --shard auto/N)");
    }
    count = static_cast<int>(read_int(get, "SLURM_ARRAY_TASK_COUNT", 1, kMaxWorld));
  } else if (spec.rfind("auto/", 0) == 0) {
    const std::string n = spec.substr(5);
    char* end = nullptr;
    const long value = std::strtol(n.c_str(), &end, 10);
    if (n.empty() || *end != '\0' || value < 1 || value > kMaxWorld) {
      throw bad_input("--shard '" + spec + "': expected auto or auto/N with N >= 1");
    }
    count = static_cast<int>(value);
  } else {
    throw bad_input("--shard '" + spec + "': expected I/N, auto or auto/N");
  }
  long index = 0;
  const char* from = nullptr;
  if (is_set(get, "JOB_COMPLETION_INDEX") && spec != "auto") {
    from = "JOB_COMPLETION_INDEX";
    index = read_int(get, from, 0, kMaxWorld);
  } else if (is_set(get, "SLURM_ARRAY_TASK_ID")) {
    from = "SLURM_ARRAY_TASK_ID";
    index = read_int(get, from, 0, std::numeric_limits<int>::max());
    if (is_set(get, "SLURM_ARRAY_TASK_MIN")) {
      index -= read_int(get, "SLURM_ARRAY_TASK_MIN", 0, std::numeric_limits<int>::max());
    }
  } else {
    throw bad_input("--shard " + spec +
                    ": neither JOB_COMPLETION_INDEX (Kubernetes Indexed Job) nor "
                    "SLURM_ARRAY_TASK_ID (Slurm job array) is set");
  }
  if (index < 0 || index >= count) {
    throw bad_input(std::string("--shard ") + spec + ": " + from + " gives shard " +
                    std::to_string(index) + ", not below the " + std::to_string(count) +
                    " shards");
  }
  return {static_cast<int>(index), count};
}

LaunchEnv launch_env() {
  return read_launch_env([](const char* name) { return std::getenv(name); });
}

int cuda_device_for(const LaunchEnv& env, int gpus) {
  int index = env.local_rank;
  if (index >= gpus && env.launcher == "slurm" && gpus > 0) index %= gpus;
  if (index >= gpus) {
    throw bad_input("--device cuda: local rank " + std::to_string(env.local_rank) +
                    " has no GPU of its own (this machine has " + std::to_string(gpus) +
                    "; NCCL needs one per process): start at most " + std::to_string(gpus) +
                    " processes per machine (torchrun --nproc-per-node " + std::to_string(gpus) +
                    "), or use --device cpu");
  }
  return index;
}

}  // namespace d2a::dist
