#pragma once
// The building blocks of NAS-Bench-201 networks: the ReLU-Conv-BN unit, the stride-2 residual
// block between stages, and the factory that turns a cell edge's op into a module. Shared by the
// fixed-cell network (nb201_network.h) and the supernets.
#include <torch/torch.h>

#include <cstdint>

#include "d2a/nn/batch_norm.h"
#include "d2a/space/nb201.h"

namespace d2a {

struct ReluConvBnOptions {
  ReluConvBnOptions(std::int64_t in_channels, std::int64_t out_channels, std::int64_t kernel_size)
      : in_channels_(in_channels), out_channels_(out_channels), kernel_size_(kernel_size) {}
  TORCH_ARG(std::int64_t, in_channels);
  TORCH_ARG(std::int64_t, out_channels);
  TORCH_ARG(std::int64_t, kernel_size);  // odd; padding is kernel_size / 2
  TORCH_ARG(std::int64_t, stride) = 1;
  // false: a BN without scale and shift, as in the supernet cells of DARTS and of the
  // benchmark's searches (xautodl builds its search cells with affine=False).
  TORCH_ARG(bool, affine) = true;
};

// ReLU -> Conv2d(k x k, no bias) -> BatchNorm2d(affine unless told otherwise, running
// statistics): the benchmark's `nor_conv_kxk` op and the two halves of the residual block.
class ReluConvBnImpl : public torch::nn::Cloneable<ReluConvBnImpl> {
 public:
  explicit ReluConvBnImpl(const ReluConvBnOptions& options);
  void reset() override;
  // [B, in, H, W] -> [B, out, ceil(H / stride), ceil(W / stride)]
  torch::Tensor forward(const torch::Tensor& x);
  // For inference only (deployment latency): from now on forward runs ReLU and one convolution
  // with the BN folded in (batch_norm.h). Call in eval mode, after any move to a device or
  // layout; forward throws std::logic_error if the module is put back into training mode.
  void fold_batch_norm();

  ReluConvBnOptions options;
  torch::nn::Conv2d conv{nullptr};
  torch::nn::BatchNorm2d bn{nullptr};

 private:
  FoldedConv folded_;  // undefined tensors until fold_batch_norm()
};
TORCH_MODULE(ReluConvBn);

struct Nb201ResidualBlockOptions {
  Nb201ResidualBlockOptions(std::int64_t in_channels, std::int64_t out_channels)
      : in_channels_(in_channels), out_channels_(out_channels) {}
  TORCH_ARG(std::int64_t, in_channels);
  TORCH_ARG(std::int64_t, out_channels);
};

// The block between two stages: ReLUConvBN 3x3 stride 2 -> ReLUConvBN 3x3 stride 1, plus a
// shortcut AvgPool2d(2, 2) -> Conv2d 1x1 (no bias), added. The pool uses ceil mode so that odd
// sizes (a 28x28 input reaches 7x7) halve exactly like the strided conv; on even sizes it is
// the benchmark's pool.
class Nb201ResidualBlockImpl : public torch::nn::Cloneable<Nb201ResidualBlockImpl> {
 public:
  explicit Nb201ResidualBlockImpl(const Nb201ResidualBlockOptions& options);
  void reset() override;
  // [B, in, H, W] -> [B, out, ceil(H / 2), ceil(W / 2)]
  torch::Tensor forward(const torch::Tensor& x);

  Nb201ResidualBlockOptions options;
  ReluConvBn conv_a{nullptr};
  ReluConvBn conv_b{nullptr};
  torch::nn::AvgPool2d shortcut_pool{nullptr};
  torch::nn::Conv2d shortcut_conv{nullptr};
};
TORCH_MODULE(Nb201ResidualBlock);

// The module of one cell edge at `channels` channels, shape-preserving
// ([B, C, H, W] -> [B, C, H, W]): skip_connect is an identity, avg_pool_3x3 is
// AvgPool2d(3, stride 1, pad 1, count_include_pad=false), nor_conv_kxk is ReluConvBn(k).
// `none` has no module: returns an empty AnyModule (is_empty() is true); callers skip the edge.
// `affine` goes to the BN of the convolutions (false in the supernets).
torch::nn::AnyModule make_nb201_op(Nb201Op op, std::int64_t channels, bool affine = true);

}  // namespace d2a
