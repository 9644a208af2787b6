// The CPU tensor-memory counter: counts exactly the storage tensors hold, drops it when they
// die, keeps the peak, and leaves the memory usable by oneDNN (raw_allocate) and by tensors.
#include "d2a/train/tensor_memory.h"

#include <c10/core/CPUAllocator.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

TEST(TensorMemory, CountsLiveAndPeakStorageOfCpuTensors) {
  d2a::count_cpu_tensor_memory();
  ASSERT_TRUE(d2a::counting_cpu_tensor_memory());
  const std::int64_t before = d2a::cpu_tensor_bytes();
  d2a::reset_peak_cpu_tensor_bytes();
  {
    torch::Tensor a = torch::ones({1000}, torch::kFloat);   // 4,000 bytes
    torch::Tensor b = torch::zeros({250}, torch::kDouble);  // 2,000 bytes
    EXPECT_EQ(d2a::cpu_tensor_bytes() - before, 6000);
    EXPECT_EQ(a.sum().item<float>(), 1000.0f);  // the memory handed out is usable
    a = torch::Tensor();
    EXPECT_EQ(d2a::cpu_tensor_bytes() - before, 2000);
  }
  EXPECT_EQ(d2a::cpu_tensor_bytes(), before);
  EXPECT_GE(d2a::peak_cpu_tensor_bytes() - before, 6000);
  d2a::reset_peak_cpu_tensor_bytes();
  EXPECT_EQ(d2a::peak_cpu_tensor_bytes(), d2a::cpu_tensor_bytes());
}

TEST(TensorMemory, RawAllocationsStillWork) {
  d2a::count_cpu_tensor_memory();
  c10::Allocator* allocator = c10::GetCPUAllocator();
  const std::int64_t before = d2a::cpu_tensor_bytes();
  void* p = allocator->raw_allocate(128);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(p) % 64, 0u);  // LibTorch's alignment kept
  EXPECT_EQ(d2a::cpu_tensor_bytes() - before, 128);
  allocator->raw_deallocate(p);
  EXPECT_EQ(d2a::cpu_tensor_bytes(), before);
}

TEST(TensorMemory, ConvolutionTrainingStepRunsOnCountedMemory) {
  d2a::count_cpu_tensor_memory();
  torch::nn::Conv2d conv(torch::nn::Conv2dOptions(3, 8, 3).padding(1));
  const torch::Tensor x = torch::randn({4, 3, 16, 16});
  const std::int64_t before = d2a::cpu_tensor_bytes();
  d2a::reset_peak_cpu_tensor_bytes();
  conv->forward(x).relu().sum().backward();
  // The output (4 x 8 x 16 x 16 floats) was alive at some point.
  EXPECT_GE(d2a::peak_cpu_tensor_bytes() - before, 4 * 8 * 16 * 16 * 4);
  EXPECT_TRUE(conv->weight.grad().defined());
}
