#pragma once
// The candidate ops of the DARTS search space (Liu et al., 2019; the operations.py of the DARTS
// and PC-DARTS code) as modules, and the factory that turns a DartsOp into one. Shared by the
// evaluation network (darts_network.h) and the supernet (darts_supernet.h).
//
// `affine` follows the DARTS code: true when a fixed genotype is trained (BatchNorm with a learnt
// scale and shift), false in the search setting, where every BatchNorm is affine-free and each
// pooling op is followed by a BatchNorm2d(affine=false) so that its scale matches the convs'.
// Every op with stride 2 maps H to ceil(H / 2), odd sizes included.
#include <torch/torch.h>

#include <cstdint>

#include "d2a/nn/nb201_ops.h"  // ReluConvBn: DARTS' ReLUConvBN (with ReluConvBnOptions::affine)
#include "d2a/space/darts_genotype.h"

namespace d2a {

struct SepConvOptions {
  SepConvOptions(std::int64_t in_channels, std::int64_t out_channels, std::int64_t kernel_size)
      : in_channels_(in_channels), out_channels_(out_channels), kernel_size_(kernel_size) {}
  TORCH_ARG(std::int64_t, in_channels);
  TORCH_ARG(std::int64_t, out_channels);
  TORCH_ARG(std::int64_t, kernel_size);  // odd; padding is kernel_size / 2
  TORCH_ARG(std::int64_t, stride) = 1;   // of the first depthwise conv
  TORCH_ARG(bool, affine) = true;
};

// DARTS' SepConv: two stacked (ReLU -> depthwise k x k -> pointwise 1x1 -> BN); the first
// block keeps in_channels and carries the stride, the second maps to out_channels.
class SepConvImpl : public torch::nn::Cloneable<SepConvImpl> {
 public:
  explicit SepConvImpl(const SepConvOptions& options);
  void reset() override;
  // [B, in, H, W] -> [B, out, ceil(H / stride), ceil(W / stride)]
  torch::Tensor forward(const torch::Tensor& x);

  SepConvOptions options;
  torch::nn::Conv2d depthwise1{nullptr}, pointwise1{nullptr};
  torch::nn::BatchNorm2d bn1{nullptr};
  torch::nn::Conv2d depthwise2{nullptr}, pointwise2{nullptr};
  torch::nn::BatchNorm2d bn2{nullptr};
};
TORCH_MODULE(SepConv);

struct DilConvOptions {
  DilConvOptions(std::int64_t in_channels, std::int64_t out_channels, std::int64_t kernel_size)
      : in_channels_(in_channels), out_channels_(out_channels), kernel_size_(kernel_size) {}
  TORCH_ARG(std::int64_t, in_channels);
  TORCH_ARG(std::int64_t, out_channels);
  TORCH_ARG(std::int64_t, kernel_size);  // odd; padding is dilation * (kernel_size - 1) / 2
  TORCH_ARG(std::int64_t, stride) = 1;
  TORCH_ARG(std::int64_t, dilation) = 2;
  TORCH_ARG(bool, affine) = true;
};

// DARTS' DilConv: ReLU -> depthwise k x k with dilation -> pointwise 1x1 -> BN.
class DilConvImpl : public torch::nn::Cloneable<DilConvImpl> {
 public:
  explicit DilConvImpl(const DilConvOptions& options);
  void reset() override;
  // [B, in, H, W] -> [B, out, ceil(H / stride), ceil(W / stride)]
  torch::Tensor forward(const torch::Tensor& x);

  DilConvOptions options;
  torch::nn::Conv2d depthwise{nullptr}, pointwise{nullptr};
  torch::nn::BatchNorm2d bn{nullptr};
};
TORCH_MODULE(DilConv);

struct FactorizedReduceOptions {
  FactorizedReduceOptions(std::int64_t in_channels, std::int64_t out_channels)
      : in_channels_(in_channels), out_channels_(out_channels) {}
  TORCH_ARG(std::int64_t, in_channels);
  TORCH_ARG(std::int64_t, out_channels);  // even
  TORCH_ARG(bool, affine) = true;
};

// DARTS' FactorizedReduce: ReLU, then two 1x1 stride-2 convs to out/2 channels each, one on the
// input and one on the input shifted by one pixel down and right, concatenated, then BN. On odd
// sizes the shifted input gets one zero row and column at its far end so that both halves have
// ceil(H / 2) rows (on even sizes that pad is never sampled: the DARTS op exactly).
class FactorizedReduceImpl : public torch::nn::Cloneable<FactorizedReduceImpl> {
 public:
  // Throws d2a::Error (bad input) on an odd or non-positive out_channels.
  explicit FactorizedReduceImpl(const FactorizedReduceOptions& options);
  void reset() override;
  // [B, in, H, W] -> [B, out, ceil(H / 2), ceil(W / 2)]
  torch::Tensor forward(const torch::Tensor& x);

  FactorizedReduceOptions options;
  torch::nn::Conv2d conv1{nullptr}, conv2{nullptr};
  torch::nn::BatchNorm2d bn{nullptr};
};
TORCH_MODULE(FactorizedReduce);

struct ZeroOptions {
  TORCH_ARG(std::int64_t, stride) = 1;
};

// DARTS' Zero: zeros of the op's output shape (the `none` op where a module is needed).
class ZeroImpl : public torch::nn::Cloneable<ZeroImpl> {
 public:
  explicit ZeroImpl(const ZeroOptions& options = {});
  void reset() override {}
  // [B, C, H, W] -> zeros [B, C, ceil(H / stride), ceil(W / stride)]
  torch::Tensor forward(const torch::Tensor& x);

  ZeroOptions options;
};
TORCH_MODULE(Zero);

enum class DartsPoolKind { kMax, kAvg };

struct DartsPoolOptions {
  DartsPoolOptions(DartsPoolKind kind, std::int64_t channels) : kind_(kind), channels_(channels) {}
  TORCH_ARG(DartsPoolKind, kind);
  TORCH_ARG(std::int64_t, channels);  // used by the BatchNorm only
  TORCH_ARG(std::int64_t, stride) = 1;
  // Follow the pool with BatchNorm2d(channels, affine=false): the search setting.
  TORCH_ARG(bool, batch_norm) = false;
};

// max_pool_3x3 (MaxPool2d(3, stride, pad 1)) or avg_pool_3x3 (AvgPool2d(3, stride, pad 1,
// count_include_pad=false)), optionally followed by an affine-free BatchNorm.
class DartsPoolImpl : public torch::nn::Cloneable<DartsPoolImpl> {
 public:
  explicit DartsPoolImpl(const DartsPoolOptions& options);
  void reset() override;
  // [B, C, H, W] -> [B, C, ceil(H / stride), ceil(W / stride)]
  torch::Tensor forward(const torch::Tensor& x);

  DartsPoolOptions options;
  torch::nn::BatchNorm2d bn{nullptr};  // null unless options.batch_norm()
};
TORCH_MODULE(DartsPool);

// The module of one DARTS cell edge at `channels` channels:
// [B, C, H, W] -> [B, C, ceil(H / stride), ceil(W / stride)].
//   max_pool_3x3 / avg_pool_3x3  DartsPool (with the affine-free BN when !affine)
//   skip_connect                 torch::nn::Identity at stride 1, FactorizedReduce at stride 2
//   sep_conv_3x3 / sep_conv_5x5  SepConv
//   dil_conv_3x3 / dil_conv_5x5  DilConv, dilation 2
//   none                         no module: an empty AnyModule (is_empty() is true), as
//                                make_nb201_op and MixedOp expect; ZeroImpl is there for callers
//                                that need zeros of the right shape.
// Throws d2a::Error (bad input) on a stride other than 1 or 2, non-positive channels, or odd
// channels for skip_connect at stride 2.
torch::nn::AnyModule make_darts_op(DartsOp op, std::int64_t channels, std::int64_t stride,
                                   bool affine);

}  // namespace d2a
