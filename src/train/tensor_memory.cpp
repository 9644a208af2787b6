#include "d2a/train/tensor_memory.h"

#include <c10/core/Allocator.h>
#include <c10/core/CPUAllocator.h>

#include <atomic>
#include <cstring>
#include <mutex>

namespace d2a {
namespace {

std::atomic<std::int64_t> g_live{0};
std::atomic<std::int64_t> g_peak{0};
std::atomic<bool> g_counting{false};

void add_bytes(std::int64_t bytes) {
  const std::int64_t live = g_live.fetch_add(bytes, std::memory_order_relaxed) + bytes;
  std::int64_t peak = g_peak.load(std::memory_order_relaxed);
  while (live > peak && !g_peak.compare_exchange_weak(peak, live, std::memory_order_relaxed)) {
  }
}

// Each block carries its size in a header of kHeader bytes in front of the memory handed out,
// which keeps LibTorch's 64-byte alignment and keeps data == context, as raw_allocate() (used by
// oneDNN's scratchpads) requires. Installed only over an allocator that does the same.
constexpr std::int64_t kHeader = 64;
c10::DeleterFnPtr g_inner_deleter = nullptr;

void release(void* data) {
  char* block = static_cast<char*>(data) - kHeader;
  std::int64_t bytes = 0;
  std::memcpy(&bytes, block, sizeof bytes);
  g_live.fetch_sub(bytes, std::memory_order_relaxed);
  g_inner_deleter(block);
}

class CountingCpuAllocator final : public c10::Allocator {
 public:
  explicit CountingCpuAllocator(c10::Allocator* inner) : inner_(inner) {}

  // LibTorch 1.13 declares allocate() const and has no copy_data(); 2.x declares allocate()
  // non-const and copy_data() pure virtual. Both allocate()s are defined, so that whichever the
  // base declares is overridden (the other is a plain overload), and copy_data() too.
  c10::DataPtr allocate(size_t n) const { return counted(n); }
  c10::DataPtr allocate(size_t n) { return counted(n); }
  void copy_data(void* dest, const void* src, std::size_t count) const {
    std::memcpy(dest, src, count);
  }
  c10::DeleterFnPtr raw_deleter() const override { return &release; }

 private:
  c10::DataPtr counted(size_t n) const {
    const auto bytes = static_cast<std::int64_t>(n);
    c10::DataPtr inner = inner_->allocate(n + kHeader);
    char* block = static_cast<char*>(inner.release_context());
    std::memcpy(block, &bytes, sizeof bytes);
    add_bytes(bytes);
    return {block + kHeader, block + kHeader, &release, c10::Device(c10::DeviceType::CPU)};
  }

  c10::Allocator* inner_;
};

}  // namespace

void count_cpu_tensor_memory() {
  static std::once_flag once;
  std::call_once(once, [] {
    c10::Allocator* inner = c10::GetCPUAllocator();
    // The header scheme needs blocks whose context is the memory itself, freed by one deleter.
    c10::DataPtr probe = inner->allocate(kHeader);
    if (probe.get() != probe.get_context() || probe.get_deleter() != inner->raw_deleter()) return;
    g_inner_deleter = inner->raw_deleter();
    static CountingCpuAllocator counter(inner);
    c10::SetCPUAllocator(&counter, /*priority=*/1);  // above the default allocator's 0
    g_counting = true;
  });
}

bool counting_cpu_tensor_memory() { return g_counting; }
std::int64_t cpu_tensor_bytes() { return g_live.load(std::memory_order_relaxed); }
std::int64_t peak_cpu_tensor_bytes() { return g_peak.load(std::memory_order_relaxed); }
void reset_peak_cpu_tensor_bytes() { g_peak = g_live.load(std::memory_order_relaxed); }

}  // namespace d2a
