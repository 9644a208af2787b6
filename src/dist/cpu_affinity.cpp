#include "d2a/dist/cpu_affinity.h"

#include <sched.h>
#include <sys/types.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>

#include "d2a/dist/launch_env.h"
#include "d2a/error.h"

namespace d2a::dist {

std::vector<int> allowed_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  std::vector<int> cpus;
  if (sched_getaffinity(0, sizeof set, &set) != 0) return cpus;
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (CPU_ISSET(cpu, &set)) cpus.push_back(cpu);
  }
  return cpus;
}

void bind_process_to_cpus(const std::vector<int>& cpus) {
  cpu_set_t set;
  CPU_ZERO(&set);
  for (int cpu : cpus) CPU_SET(cpu, &set);
  // Threads LibTorch, Gloo or OpenMP started already, then the calling thread (whose mask the
  // threads started later inherit).
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/task", ec)) {
    const pid_t tid = static_cast<pid_t>(std::stol(entry.path().filename().string()));
    sched_setaffinity(tid, sizeof set, &set);  // a thread that just ended: nothing to bind
  }
  if (sched_setaffinity(0, sizeof set, &set) != 0) {
    throw runtime_failure("cannot bind to CPUs " + cpu_list_text(cpus) + ": " +
                          std::strerror(errno));
  }
}

}  // namespace d2a::dist
