#pragma once
// The mixed op of a supernet edge, shared by both spaces: sum_o w_o * op_o(x) over the candidate
// ops, with PC-DARTS partial channels. Built from already-made op modules so that each space
// keeps its own op factory (make_nb201_op, make_darts_op).
#include <torch/torch.h>

#include <cstdint>
#include <vector>

namespace d2a {

struct MixedOpOptions {
  explicit MixedOpOptions(std::int64_t channels) : channels_(channels) {}
  TORCH_ARG(std::int64_t, channels);  // C of the edge input and output
  TORCH_ARG(std::int64_t, stride) = 1;  // 2 on DARTS reduction edges that read a cell input
  // K: the first C/K channels go through the ops, the other C - C/K bypass them (max-pooled 2x2
  // when stride is 2), the two parts are concatenated and channel-shuffled with K groups.
  TORCH_ARG(std::int64_t, partial_channels) = 1;
};

class MixedOpImpl : public torch::nn::Module {
 public:
  // ops[o] maps [B, C/K, H, W] -> [B, C/K, H/stride, W/stride]; an empty AnyModule stands for
  // `none` (contributes zeros, runs nothing). Registered as "op<o>".
  MixedOpImpl(std::vector<torch::nn::AnyModule> ops, const MixedOpOptions& options);
  // x [B, C, H, W], weights [ops] (a simplex row, a one-hot Gumbel sample, or a row with
  // masked-out zeros) -> [B, C, H/stride, W/stride]. An op whose weight is exactly zero in value
  // and needs no gradient is skipped; a hard sample runs only its chosen op (GDAS).
  // With `edge_scale` (a scalar tensor: PC-DARTS' edge-normalisation weight), returns
  // edge_scale * output, computed by scaling the op weights and the bypass instead of the whole
  // output, so that no full-width product is kept for the backward pass.
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& weights,
                        const torch::Tensor& edge_scale = {});

  std::int64_t num_ops() const { return static_cast<std::int64_t>(ops_.size()); }
  const MixedOpOptions& options() const { return options_; }

 private:
  MixedOpOptions options_;
  std::vector<torch::nn::AnyModule> ops_;
};
TORCH_MODULE(MixedOp);

// Channel shuffle of ShuffleNet / PC-DARTS: [B, C, H, W] viewed as [B, groups, C/groups, H, W],
// transposed to [B, C/groups, groups, H, W] and flattened back. Call it qualified
// (d2a::channel_shuffle): argument-dependent lookup also finds at::channel_shuffle.
torch::Tensor channel_shuffle(const torch::Tensor& x, std::int64_t groups);

}  // namespace d2a
