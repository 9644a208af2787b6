#pragma once
// BatchNorm as every d2a network calls it, so a data-parallel job can make it synchronous
// (PyTorch's SyncBatchNorm): with a reducer set, a BatchNorm in training mode normalises by the
// mean and variance over every process's share of the batch, and its backward sums the two
// per-channel gradient terms the same way. Without one (the default, and PyTorch DDP's), each
// process normalises by its own share.
#include <torch/torch.h>

namespace d2a {

// Sums a tensor over the processes of a job, in place (implemented by dist::ProcessGroup).
class BatchNormReducer {
 public:
  virtual ~BatchNormReducer() = default;
  virtual void all_reduce_sum(torch::Tensor& tensor) = 0;
};

// Makes every batch_norm() in training mode synchronous over `reducer` (nullptr: per process).
// Returns the previous reducer. The reducer must outlive the forward and backward passes.
BatchNormReducer* set_batch_norm_reducer(BatchNormReducer* reducer);

// bn(x) for x [B, C, H, W] -> [B, C, H, W]; synchronous when a reducer is set and bn is training.
torch::Tensor batch_norm(const torch::nn::BatchNorm2d& bn, const torch::Tensor& x);

// For inference, as deployment compilers (TorchScript freezing, ONNX Runtime, TFLite, TensorRT)
// run it: one convolution with bias that computes bn(conv(x)) with bn's running statistics.
// conv has no bias; weight keeps conv's memory format (channels-last stays channels-last).
struct FoldedConv {
  torch::Tensor weight;  // [out, in, k, k]: conv's weight scaled per output channel
  torch::Tensor bias;    // [out]

  bool defined() const { return weight.defined(); }
  // conv2d(x) with the folded weight and bias (conv's stride and padding given): the fold holds
  // the running statistics, so it throws std::logic_error for a module in training mode.
  torch::Tensor forward(const torch::Tensor& x, bool training, std::int64_t stride,
                        std::int64_t padding) const;
};
FoldedConv fold_batch_norm(const torch::nn::Conv2d& conv, const torch::nn::BatchNorm2d& bn);

}  // namespace d2a
