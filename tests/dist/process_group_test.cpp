// A process group of one rank, as a launcher starts it (`torchrun --nproc-per-node 1`): a real
// c10d group whose collectives run and leave every value as it was. On CPU it is Gloo; on CUDA
// (a GPU and a CUDA LibTorch with NCCL) it is NCCL, the one way to run NCCL on a one-GPU machine.
#include "d2a/dist/process_group.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <vector>

namespace d2a::dist {
namespace {

LaunchEnv launched_alone() {
  LaunchEnv env;
  env.launcher = "torchrun";  // RANK=0 WORLD_SIZE=1
  return env;
}

// Every collective of a group of one on `device`: the values stay as they were, bit for bit.
void expect_collectives_change_nothing(ProcessGroup& group, torch::Device device) {
  ASSERT_TRUE(group.active());
  EXPECT_EQ(group.world_size(), 1);
  EXPECT_TRUE(group.is_root());
  torch::manual_seed(3);
  const auto on = torch::TensorOptions().device(device);
  // Two dtypes and a non-contiguous tensor: three buckets, packed and copied back.
  std::vector<torch::Tensor> tensors = {torch::randn({5, 7}, on), torch::randn({3, 4}, on).t(),
                                        torch::randn({11}, on.dtype(torch::kDouble))};
  std::vector<torch::Tensor> before;
  for (const auto& t : tensors) before.push_back(t.clone());
  group.all_reduce_sum(tensors);
  group.average(tensors);
  group.broadcast({tensors[0], tensors[2]});
  for (std::size_t i = 0; i < tensors.size(); ++i) {
    EXPECT_TRUE(torch::equal(tensors[i], before[i])) << "tensor " << i;
  }
  torch::Tensor started = torch::randn({1000}, on);
  const torch::Tensor started_before = started.clone();
  group.start_all_reduce_sum(started);
  group.wait_started();
  EXPECT_TRUE(torch::equal(started, started_before));
  EXPECT_TRUE(group.any(true));
  EXPECT_FALSE(group.any(false));
  group.barrier();
  EXPECT_GT(group.communication_seconds(), 0.0) << "no collective ran";
}

TEST(ProcessGroup, WithoutALauncherThereIsNoGroup) {
  ProcessGroup group = ProcessGroup::connect(LaunchEnv{}, torch::kCPU, GroupOptions{});
  EXPECT_FALSE(group.active());
  EXPECT_EQ(group.backend(), "none");
  torch::Tensor t = torch::ones({3});
  group.all_reduce_sum({t});  // a no-op
  EXPECT_TRUE(torch::equal(t, torch::ones({3})));
  EXPECT_EQ(group.communication_seconds(), 0.0);
}

TEST(ProcessGroup, ALaunchedProcessAloneRunsGlooCollectivesThatChangeNothing) {
  ProcessGroup group = ProcessGroup::connect(launched_alone(), torch::kCPU, GroupOptions{});
  EXPECT_EQ(group.backend(), "gloo");
  expect_collectives_change_nothing(group, torch::kCPU);
}

TEST(CudaProcessGroup, ALaunchedProcessAloneRunsNcclCollectivesThatChangeNothing) {
  if (!torch::cuda::is_available()) {
    GTEST_SKIP() << "no CUDA device: the NCCL group of one runs on a machine with a GPU";
  }
  ProcessGroup group = ProcessGroup::connect(launched_alone(), torch::kCUDA, GroupOptions{});
#ifdef D2A_WITH_NCCL
  EXPECT_EQ(group.backend(), "nccl");
#else
  EXPECT_EQ(group.backend(), "gloo") << "built without nccl.h: CUDA tensors go over Gloo";
#endif
  expect_collectives_change_nothing(group, torch::kCUDA);
  torch::cuda::synchronize();
}

}  // namespace
}  // namespace d2a::dist
