// keep_freed_memory_for_reuse: a block freed and allocated again must come back without the
// kernel faulting its pages in again (what made every training step pay for its activations).
#include "d2a/train/allocator.h"

#include <gtest/gtest.h>
#include <sys/resource.h>

#include <cstdlib>
#include <cstring>
#include <vector>

namespace {

long minor_faults() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_minflt;
}

// One "training step": allocates `blocks` blocks of `bytes` (the activations), touches every
// page, frees them all (backward is done). Returns the minor page faults of all steps but the
// first.
long faults_after_first_step(int blocks, std::size_t bytes, int steps) {
  long before = 0;
  std::vector<char*> live(blocks);
  for (int step = 0; step < steps; ++step) {
    if (step == 1) before = minor_faults();
    for (auto& block : live) {
      block = static_cast<char*>(std::malloc(bytes));
      std::memset(block, step + 1, bytes);
    }
    for (auto* block : live) std::free(block);
  }
  return minor_faults() - before;
}

}  // namespace

TEST(Allocator, FreedActivationSizedBlocksAreReusedWithoutPageFaults) {
#if !defined(__GLIBC__)
  GTEST_SKIP() << "the setting is glibc's";
#endif
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "under AddressSanitizer malloc is the sanitizer's, which glibc's setting does not reach";
#endif
  // 32 blocks of 1 MiB (a batch-128 C=8 16x16 activation is 1 MiB): once freed together
  // they leave 32 MiB at the heap top, above glibc's default trim threshold.
  const int blocks = 32;
  const std::size_t bytes = 1u << 20;
  const long pages_per_step = blocks * static_cast<long>(bytes / 4096);
  d2a::keep_freed_memory_for_reuse();
  // Without the setting each later step faults its pages in again: 4 x 8,192 faults.
  EXPECT_LT(faults_after_first_step(blocks, bytes, 5), pages_per_step / 4);
}
