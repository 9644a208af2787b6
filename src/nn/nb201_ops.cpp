#include "d2a/nn/nb201_ops.h"

#include <torch/torch.h>

#include <stdexcept>

#include "d2a/nn/batch_norm.h"

namespace d2a {

ReluConvBnImpl::ReluConvBnImpl(const ReluConvBnOptions& options_) : options(options_) { reset(); }

void ReluConvBnImpl::reset() {
  const std::int64_t k = options.kernel_size();
  conv = register_module(
      "conv",
      torch::nn::Conv2d(torch::nn::Conv2dOptions(options.in_channels(), options.out_channels(), k)
                            .stride(options.stride())
                            .padding(k / 2)
                            .bias(false)));
  bn = register_module("bn", torch::nn::BatchNorm2d(torch::nn::BatchNorm2dOptions(
                                 options.out_channels())
                                 .affine(options.affine())));
}

torch::Tensor ReluConvBnImpl::forward(const torch::Tensor& x) {
  if (!folded_.defined()) return batch_norm(bn, conv(torch::relu(x)));
  return folded_.forward(torch::relu(x), is_training(), options.stride(),
                         options.kernel_size() / 2);
}

void ReluConvBnImpl::fold_batch_norm() {
  if (is_training()) throw std::logic_error("ReluConvBn: fold the BN in eval mode");
  folded_ = d2a::fold_batch_norm(conv, bn);
}

Nb201ResidualBlockImpl::Nb201ResidualBlockImpl(const Nb201ResidualBlockOptions& options_)
    : options(options_) {
  reset();
}

void Nb201ResidualBlockImpl::reset() {
  const std::int64_t in = options.in_channels();
  const std::int64_t out = options.out_channels();
  conv_a = register_module("conv_a", ReluConvBn(ReluConvBnOptions(in, out, 3).stride(2)));
  conv_b = register_module("conv_b", ReluConvBn(ReluConvBnOptions(out, out, 3)));
  shortcut_pool = register_module(
      "shortcut_pool",
      torch::nn::AvgPool2d(torch::nn::AvgPool2dOptions(2).stride(2).ceil_mode(true)));
  shortcut_conv = register_module(
      "shortcut_conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, 1).bias(false)));
}

torch::Tensor Nb201ResidualBlockImpl::forward(const torch::Tensor& x) {
  return conv_b(conv_a(x)) + shortcut_conv(shortcut_pool(x));
}

torch::nn::AnyModule make_nb201_op(Nb201Op op, std::int64_t channels, bool affine) {
  switch (op) {
    case Nb201Op::kNone:
      return {};
    case Nb201Op::kSkipConnect:
      return torch::nn::AnyModule(torch::nn::Identity());
    case Nb201Op::kNorConv1x1:
      return torch::nn::AnyModule(ReluConvBn(ReluConvBnOptions(channels, channels, 1).affine(affine)));
    case Nb201Op::kNorConv3x3:
      return torch::nn::AnyModule(ReluConvBn(ReluConvBnOptions(channels, channels, 3).affine(affine)));
    case Nb201Op::kAvgPool3x3:
      return torch::nn::AnyModule(torch::nn::AvgPool2d(
          torch::nn::AvgPool2dOptions(3).stride(1).padding(1).count_include_pad(false)));
  }
  return {};
}

}  // namespace d2a
