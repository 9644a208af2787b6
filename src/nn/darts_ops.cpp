#include "d2a/nn/darts_ops.h"

#include <torch/torch.h>

#include <string>

#include "d2a/error.h"
#include "d2a/nn/batch_norm.h"

namespace d2a {
namespace {

torch::nn::Conv2d depthwise_conv(std::int64_t channels, std::int64_t kernel_size,
                                 std::int64_t stride, std::int64_t dilation) {
  return torch::nn::Conv2d(torch::nn::Conv2dOptions(channels, channels, kernel_size)
                               .stride(stride)
                               .padding(dilation * (kernel_size - 1) / 2)
                               .dilation(dilation)
                               .groups(channels)
                               .bias(false));
}

torch::nn::Conv2d pointwise_conv(std::int64_t in, std::int64_t out, std::int64_t stride = 1) {
  return torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, 1).stride(stride).bias(false));
}

torch::nn::BatchNorm2d batch_norm(std::int64_t channels, bool affine) {
  return torch::nn::BatchNorm2d(torch::nn::BatchNorm2dOptions(channels).affine(affine));
}

}  // namespace

SepConvImpl::SepConvImpl(const SepConvOptions& options_) : options(options_) { reset(); }

void SepConvImpl::reset() {
  const std::int64_t in = options.in_channels();
  const std::int64_t k = options.kernel_size();
  depthwise1 = register_module("depthwise1", depthwise_conv(in, k, options.stride(), 1));
  pointwise1 = register_module("pointwise1", pointwise_conv(in, in));
  bn1 = register_module("bn1", batch_norm(in, options.affine()));
  depthwise2 = register_module("depthwise2", depthwise_conv(in, k, 1, 1));
  pointwise2 = register_module("pointwise2", pointwise_conv(in, options.out_channels()));
  bn2 = register_module("bn2", batch_norm(options.out_channels(), options.affine()));
}

torch::Tensor SepConvImpl::forward(const torch::Tensor& x) {
  const torch::Tensor half = batch_norm(bn1, pointwise1(depthwise1(torch::relu(x))));
  return batch_norm(bn2, pointwise2(depthwise2(torch::relu(half))));
}

DilConvImpl::DilConvImpl(const DilConvOptions& options_) : options(options_) { reset(); }

void DilConvImpl::reset() {
  const std::int64_t in = options.in_channels();
  depthwise = register_module(
      "depthwise",
      depthwise_conv(in, options.kernel_size(), options.stride(), options.dilation()));
  pointwise = register_module("pointwise", pointwise_conv(in, options.out_channels()));
  bn = register_module("bn", batch_norm(options.out_channels(), options.affine()));
}

torch::Tensor DilConvImpl::forward(const torch::Tensor& x) {
  return batch_norm(bn, pointwise(depthwise(torch::relu(x))));
}

FactorizedReduceImpl::FactorizedReduceImpl(const FactorizedReduceOptions& options_)
    : options(options_) {
  reset();
}

void FactorizedReduceImpl::reset() {
  const std::int64_t out = options.out_channels();
  if (out <= 0 || out % 2 != 0) {
    throw bad_input("FactorizedReduce: out_channels " + std::to_string(out) +
                    " (must be positive and even: two halves of out / 2)");
  }
  conv1 = register_module("conv1", pointwise_conv(options.in_channels(), out / 2, 2));
  conv2 = register_module("conv2", pointwise_conv(options.in_channels(), out / 2, 2));
  bn = register_module("bn", batch_norm(out, options.affine()));
}

torch::Tensor FactorizedReduceImpl::forward(const torch::Tensor& x) {
  const torch::Tensor r = torch::relu(x);
  // Shift by one pixel; the zero row and column appended first only matter on odd sizes.
  const torch::Tensor shifted =
      torch::constant_pad_nd(r, {0, 1, 0, 1}, 0.0).slice(2, 1).slice(3, 1);
  return batch_norm(bn, torch::cat({conv1(r), conv2(shifted)}, 1));
}

ZeroImpl::ZeroImpl(const ZeroOptions& options_) : options(options_) {}

torch::Tensor ZeroImpl::forward(const torch::Tensor& x) {
  const std::int64_t s = options.stride();
  if (s == 1) return torch::zeros_like(x);
  return torch::zeros_like(x.slice(2, 0, c10::nullopt, s).slice(3, 0, c10::nullopt, s));
}

DartsPoolImpl::DartsPoolImpl(const DartsPoolOptions& options_) : options(options_) { reset(); }

void DartsPoolImpl::reset() {
  bn = nullptr;
  if (options.batch_norm()) bn = register_module("bn", batch_norm(options.channels(), false));
}

torch::Tensor DartsPoolImpl::forward(const torch::Tensor& x) {
  const std::int64_t s = options.stride();
  const torch::Tensor pooled =
      options.kind() == DartsPoolKind::kMax
          ? torch::max_pool2d(x, {3, 3}, {s, s}, {1, 1})
          : torch::avg_pool2d(x, {3, 3}, {s, s}, {1, 1}, /*ceil_mode=*/false,
                              /*count_include_pad=*/false);
  return bn ? batch_norm(bn, pooled) : pooled;
}

torch::nn::AnyModule make_darts_op(DartsOp op, std::int64_t channels, std::int64_t stride,
                                   bool affine) {
  if (stride != 1 && stride != 2) {
    throw bad_input("DARTS op " + std::string(darts_op_name(op)) + ": stride " +
                    std::to_string(stride) + " (must be 1 or 2)");
  }
  if (channels <= 0) {
    throw bad_input("DARTS op " + std::string(darts_op_name(op)) + ": channels " +
                    std::to_string(channels) + " (must be positive)");
  }
  auto pool = [&](DartsPoolKind kind) {
    return torch::nn::AnyModule(
        DartsPool(DartsPoolOptions(kind, channels).stride(stride).batch_norm(!affine)));
  };
  auto sep = [&](std::int64_t k) {
    return torch::nn::AnyModule(
        SepConv(SepConvOptions(channels, channels, k).stride(stride).affine(affine)));
  };
  auto dil = [&](std::int64_t k) {
    return torch::nn::AnyModule(
        DilConv(DilConvOptions(channels, channels, k).stride(stride).affine(affine)));
  };
  switch (op) {
    case DartsOp::kNone:
      return {};
    case DartsOp::kMaxPool3x3:
      return pool(DartsPoolKind::kMax);
    case DartsOp::kAvgPool3x3:
      return pool(DartsPoolKind::kAvg);
    case DartsOp::kSkipConnect:
      if (stride == 1) return torch::nn::AnyModule(torch::nn::Identity());
      return torch::nn::AnyModule(
          FactorizedReduce(FactorizedReduceOptions(channels, channels).affine(affine)));
    case DartsOp::kSepConv3x3:
      return sep(3);
    case DartsOp::kSepConv5x5:
      return sep(5);
    case DartsOp::kDilConv3x3:
      return dil(3);
    case DartsOp::kDilConv5x5:
      return dil(5);
  }
  throw bad_input("DARTS op code " + std::to_string(static_cast<int>(op)) + " is unknown");
}

}  // namespace d2a
