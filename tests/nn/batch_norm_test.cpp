// The synchronous BatchNorm path (used by data-parallel --sync-bn) against LibTorch's own.
#include "d2a/nn/batch_norm.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

namespace d2a {
namespace {

// One process: the sums are already the job's.
class NoOpReducer : public BatchNormReducer {
 public:
  void all_reduce_sum(torch::Tensor&) override { ++calls; }
  int calls = 0;
};

// Two "ranks" in one process: the reducer adds the other half's sums, so two half-batches
// normalised through it must give the whole batch's result.
struct BatchNormRun {
  torch::Tensor y, dx, dweight, dbias, running_mean, running_var;
};

BatchNormRun run_batch_norm(const torch::Tensor& input, const torch::Tensor& dy, bool affine) {
  torch::manual_seed(0);
  torch::nn::BatchNorm2d bn(torch::nn::BatchNorm2dOptions(input.size(1)).affine(affine));
  if (affine) {
    torch::NoGradGuard g;
    bn->weight.uniform_(0.5, 1.5);
    bn->bias.uniform_(-0.5, 0.5);
  }
  bn->train();
  torch::Tensor x = input.clone().requires_grad_(true);
  torch::Tensor y = batch_norm(bn, x);
  (y * dy).sum().backward();
  BatchNormRun r{y.detach(), x.grad(), {}, {}, bn->running_mean.clone(), bn->running_var.clone()};
  if (affine) {
    r.dweight = bn->weight.grad();
    r.dbias = bn->bias.grad();
  }
  return r;
}

TEST(SyncBatchNorm, OneProcessMatchesLibTorch) {
  torch::manual_seed(1);
  for (const std::vector<std::int64_t> shape : {std::vector<std::int64_t>{6, 4, 5, 5}, {2, 32, 4, 4}})
  for (bool channels_last : {false, true})
  for (bool affine : {true, false}) {
    torch::Tensor x = torch::randn(shape) * 3 + 1;
    torch::Tensor dy = torch::randn(shape);
    if (channels_last) {
      x = x.contiguous(torch::MemoryFormat::ChannelsLast);
      dy = dy.contiguous(torch::MemoryFormat::ChannelsLast);
    }
    const BatchNormRun expected = run_batch_norm(x, dy, affine);
    NoOpReducer reducer;
    set_batch_norm_reducer(&reducer);
    const BatchNormRun got = run_batch_norm(x, dy, affine);
    set_batch_norm_reducer(nullptr);
    EXPECT_EQ(reducer.calls, 2);  // statistics forward, gradient terms backward
    EXPECT_TRUE(torch::allclose(got.y, expected.y, 1e-4, 1e-5));
    EXPECT_TRUE(torch::allclose(got.dx, expected.dx, 1e-4, 1e-5));
    EXPECT_TRUE(torch::allclose(got.running_mean, expected.running_mean, 1e-5, 1e-6));
    EXPECT_TRUE(torch::allclose(got.running_var, expected.running_var, 1e-5, 1e-6))
        << got.running_var << expected.running_var;
    if (affine) {
      EXPECT_TRUE(torch::allclose(got.dweight, expected.dweight, 1e-4, 1e-5));
      EXPECT_TRUE(torch::allclose(got.dbias, expected.dbias, 1e-4, 1e-5));
    }
  }
}

TEST(SyncBatchNorm, EvalModeUsesRunningStatistics) {
  NoOpReducer reducer;
  set_batch_norm_reducer(&reducer);
  torch::nn::BatchNorm2d bn(3);
  bn->eval();
  const torch::Tensor x = torch::randn({2, 3, 4, 4});
  const torch::Tensor y = batch_norm(bn, x);
  set_batch_norm_reducer(nullptr);
  EXPECT_EQ(reducer.calls, 0);
  EXPECT_TRUE(torch::allclose(y, x / std::sqrt(1 + 1e-5), 1e-5, 1e-6));
}

}  // namespace
}  // namespace d2a

namespace d2a {
namespace {

// Two "ranks" as two threads: the reducer adds both threads' tensors, so each half-batch is
// normalised by the whole batch's statistics.
class ThreadPairReducer : public BatchNormReducer {
 public:
  void all_reduce_sum(torch::Tensor& t) override {
    std::unique_lock<std::mutex> lock(mutex_);
    const int generation = generation_;
    if (pending_.defined()) {
      pending_ = pending_ + t;
      result_ = pending_;
      pending_ = torch::Tensor();
      ++generation_;
      cv_.notify_all();
    } else {
      pending_ = t.clone();
      cv_.wait(lock, [&] { return generation_ != generation; });
    }
    t.copy_(result_);
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  torch::Tensor pending_, result_;
  int generation_ = 0;
};

TEST(SyncBatchNorm, TwoHalvesNormaliseLikeTheWholeBatch) {
  for (std::int64_t batch : {2, 8}) {
    torch::manual_seed(2);
    const torch::Tensor x = (torch::randn({batch, 32, 4, 4}) * 2 + 3)
                                .contiguous(torch::MemoryFormat::ChannelsLast);
    const torch::Tensor dy = torch::randn({batch, 32, 4, 4});
    torch::nn::BatchNorm2d whole(32);
    whole->train();
    const torch::Tensor x_whole = x.clone().requires_grad_(true);
    const torch::Tensor expected = whole(x_whole);
    (expected * dy).sum().backward();
    ThreadPairReducer reducer;
    set_batch_norm_reducer(&reducer);
    std::vector<torch::nn::BatchNorm2d> halves{torch::nn::BatchNorm2d(32), torch::nn::BatchNorm2d(32)};
    std::vector<torch::Tensor> ys(2), dxs(2);
    std::vector<std::thread> threads;
    for (int r = 0; r < 2; ++r) {
      threads.emplace_back([&, r] {
        halves[r]->train();
        const torch::Tensor xr = x.narrow(0, r * batch / 2, batch / 2).clone().requires_grad_(true);
        const torch::Tensor y = batch_norm(halves[r], xr);
        (y * dy.narrow(0, r * batch / 2, batch / 2)).sum().backward();
        ys[r] = y.detach();
        dxs[r] = xr.grad();
      });
    }
    for (auto& t : threads) t.join();
    set_batch_norm_reducer(nullptr);
    EXPECT_TRUE(torch::allclose(torch::cat(ys), expected.detach(), 1e-4, 1e-5)) << batch;
    EXPECT_TRUE(torch::allclose(torch::cat(dxs), x_whole.grad(), 1e-4, 1e-5))
        << batch << " max dx error " << (torch::cat(dxs) - x_whole.grad()).abs().max();
    EXPECT_TRUE(torch::allclose(halves[0]->weight.grad() + halves[1]->weight.grad(),
                                whole->weight.grad(), 1e-4, 1e-5));
    EXPECT_TRUE(torch::allclose(halves[0]->bias.grad() + halves[1]->bias.grad(),
                                whole->bias.grad(), 1e-4, 1e-5));
    for (int r = 0; r < 2; ++r) {
      EXPECT_TRUE(torch::allclose(halves[r]->running_var, whole->running_var, 1e-5, 1e-6))
          << batch << "\n" << halves[r]->running_var.slice(0, 0, 4) << whole->running_var.slice(0, 0, 4);
    }
  }
}

}  // namespace
}  // namespace d2a
