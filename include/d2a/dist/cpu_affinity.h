#pragma once
// The CPUs a process may run on, and binding it to some of them (Linux sched_setaffinity).
// Torch-free.
#include <vector>

namespace d2a::dist {

// The CPUs in this process's affinity mask, ascending (what `taskset -p` shows).
std::vector<int> allowed_cpus();

// Restricts every thread of this process (and so the threads it starts later) to `cpus`.
// Throws d2a::Error (runtime) when the kernel refuses.
void bind_process_to_cpus(const std::vector<int>& cpus);

}  // namespace d2a::dist
