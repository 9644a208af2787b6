#pragma once
// Bytes of LibTorch CPU tensor storage the process holds: now, and the most at any moment since
// the last reset. The CPU analogue of CUDA's memory_allocated / max_memory_allocated: it counts
// what tensors occupy, not what the C library keeps around them (peak RSS also holds LibTorch's
// code, freed-but-kept heap and fragmentation), so two methods' activations compare directly.
//
// Counting starts with count_cpu_tensor_memory(), which wraps LibTorch's CPU allocator; storage
// allocated before that call is not counted. d2a's main() calls it first thing.
#include <cstdint>

namespace d2a {

// Installs the counting wrapper (once; later calls do nothing). Costs one small heap object per
// tensor allocation.
void count_cpu_tensor_memory();
bool counting_cpu_tensor_memory();

std::int64_t cpu_tensor_bytes();       // alive now (counted storage only)
std::int64_t peak_cpu_tensor_bytes();  // the most alive at once since the last reset
void reset_peak_cpu_tensor_bytes();    // peak := alive now

}  // namespace d2a
