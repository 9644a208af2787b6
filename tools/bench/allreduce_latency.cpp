// One Gloo all-reduce alone, as `d2a train` runs it between its processes: the median, 10th and
// 90th percentile milliseconds of an in-place sum of N floats (1k to 400k; a C8 N1 network's
// gradients are 92k) over the ranks of a torchrun-style job (RANK, WORLD_SIZE, MASTER_ADDR,
// MASTER_PORT). Each collective starts after a barrier, so it measures the collective, not the
// wait for a slower rank. tools/bench/allreduce_latency.sh runs it in each configuration.
//   d2a_bench_allreduce [--repeats R] [--no-bind] [--asleep]
//     --no-bind  leave the process unbound (d2a's --cpu-bind none); default: bound to its own
//                CPU as --cpu-bind auto binds it
//     --asleep   wait asleep in Work::wait, as before GroupOptions::busy_wait; default: as d2a
//                waits for a bound process (polling, yielding the CPU)
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "d2a/dist/cpu_affinity.h"
#include "d2a/dist/launch_env.h"
#include "d2a/dist/process_group.h"

int main(int argc, char** argv) {
  int repeats = 200;
  bool bind = true, asleep = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--repeats" && i + 1 < argc) {
      repeats = std::max(1, std::atoi(argv[++i]));
    } else if (arg == "--no-bind") {
      bind = false;
    } else if (arg == "--asleep") {
      asleep = true;
    } else {
      std::fprintf(stderr, "usage: d2a_bench_allreduce [--repeats R] [--no-bind] [--asleep]\n");
      return 2;
    }
  }
  const d2a::dist::LaunchEnv env = d2a::dist::launch_env();
  if (!env.distributed()) {
    std::fprintf(stderr, "d2a_bench_allreduce: set RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT\n");
    return 2;
  }
  const auto plan = d2a::dist::plan_cpus(env, d2a::dist::allowed_cpus(), 1, bind);
  if (!plan.cpus.empty()) d2a::dist::bind_process_to_cpus(plan.cpus);
  torch::set_num_threads(1);
  d2a::dist::GroupOptions options;
  options.busy_wait = !plan.cpus.empty() && !asleep;
  d2a::dist::init_world(env, torch::kCPU, options);
  auto& group = d2a::dist::world();
  for (const std::int64_t n : {1000, 10000, 92000, 400000}) {
    torch::Tensor t = torch::ones({n});
    std::vector<double> ms;
    for (int i = 0; i < repeats + 10; ++i) {  // the first 10 warm up
      group.barrier();
      const auto start = std::chrono::steady_clock::now();
      group.start_all_reduce_sum(t);
      group.wait_started();
      const auto end = std::chrono::steady_clock::now();
      if (i >= 10) ms.push_back(std::chrono::duration<double, std::milli>(end - start).count());
    }
    std::sort(ms.begin(), ms.end());
    if (group.is_root()) {
      std::printf("  %6lld floats: median %.3f ms (p10 %.3f, p90 %.3f)\n",
                  static_cast<long long>(n), ms[ms.size() / 2], ms[ms.size() / 10],
                  ms[ms.size() * 9 / 10]);
    }
  }
  return 0;
}
