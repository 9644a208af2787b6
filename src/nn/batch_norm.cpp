#include "d2a/nn/batch_norm.h"

#include <torch/torch.h>

#include <atomic>
#include <stdexcept>

namespace d2a {
namespace {

std::atomic<BatchNormReducer*> g_reducer{nullptr};

torch::Tensor per_channel(const torch::Tensor& t) { return t.view({1, -1, 1, 1}); }

// Training-mode BatchNorm whose statistics and gradient terms are summed over the reducer's
// processes. Inputs: x [B, C, H, W], weight and bias [C].
struct SyncBatchNormFunction : public torch::autograd::Function<SyncBatchNormFunction> {
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x,
                               const torch::Tensor& weight, const torch::Tensor& bias,
                               torch::Tensor running_mean, torch::Tensor running_var,
                               double momentum, double eps, BatchNormReducer* reducer) {
    const std::int64_t channels = x.size(1);
    const double local = static_cast<double>(x.numel() / channels);
    // In float64: the variance is E[x^2] - E[x]^2, which cancels badly in float32 when a
    // channel's mean is large against its spread.
    const torch::Tensor x64 = x.to(torch::kDouble);
    torch::Tensor stats = torch::cat({x64.sum({0, 2, 3}), (x64 * x64).sum({0, 2, 3}),
                                      torch::full({1}, local, x.options().dtype(torch::kDouble))});
    reducer->all_reduce_sum(stats);
    const double count = stats[2 * channels].item<double>();
    const torch::Tensor mean64 = stats.narrow(0, 0, channels) / count;
    const torch::Tensor var64 =
        (stats.narrow(0, channels, channels) / count - mean64 * mean64).clamp_min(0);
    const torch::Tensor mean = mean64.to(x.scalar_type());
    const torch::Tensor var = var64.to(x.scalar_type());
    const torch::Tensor invstd = (var64 + eps).rsqrt().to(x.scalar_type());
    if (running_mean.defined()) {
      torch::NoGradGuard no_grad;
      running_mean.mul_(1 - momentum).add_(mean, momentum);
      running_var.mul_(1 - momentum).add_(var * (count / std::max(count - 1, 1.0)), momentum);
    }
    const torch::Tensor xhat = (x - per_channel(mean)) * per_channel(invstd);
    const torch::Tensor y = xhat * per_channel(weight) + per_channel(bias);
    ctx->save_for_backward({xhat, invstd, weight});
    ctx->saved_data["count"] = count;
    ctx->saved_data["reducer"] = reinterpret_cast<std::int64_t>(reducer);
    return y;
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const torch::Tensor& xhat = saved[0];
    const torch::Tensor& invstd = saved[1];
    const torch::Tensor& weight = saved[2];
    const double count = ctx->saved_data["count"].toDouble();
    auto* reducer = reinterpret_cast<BatchNormReducer*>(ctx->saved_data["reducer"].toInt());
    const torch::Tensor dy = grads[0];
    const std::int64_t channels = dy.size(1);
    // The affine parameters' gradients stay local: the data-parallel gradient all-reduce sums
    // them like every other parameter's.
    const torch::Tensor sum_dy = dy.sum({0, 2, 3});
    const torch::Tensor sum_dy_xhat = (dy * xhat).sum({0, 2, 3});
    torch::Tensor both = torch::cat({sum_dy, sum_dy_xhat}).to(torch::kDouble);
    reducer->all_reduce_sum(both);
    both = both.to(dy.scalar_type());
    const torch::Tensor scale = invstd * weight;
    const torch::Tensor dx = per_channel(scale / count) *
                             (count * dy - per_channel(both.narrow(0, 0, channels)) -
                              xhat * per_channel(both.narrow(0, channels, channels)));
    return {dx, sum_dy_xhat, sum_dy, torch::Tensor(), torch::Tensor(), torch::Tensor(),
            torch::Tensor(), torch::Tensor()};
  }
};

}  // namespace

BatchNormReducer* set_batch_norm_reducer(BatchNormReducer* reducer) {
  return g_reducer.exchange(reducer);
}

torch::Tensor batch_norm(const torch::nn::BatchNorm2d& bn, const torch::Tensor& x) {
  BatchNormReducer* reducer = g_reducer.load();
  if (reducer == nullptr || !bn->is_training()) return bn.ptr()->forward(x);
  const auto& o = bn->options;
  // autograd::Function takes no undefined tensors: without affine parameters, an identity
  // affine that needs no gradient stands in.
  const bool affine = bn->weight.defined();
  const torch::Tensor weight = affine ? bn->weight : torch::ones({x.size(1)}, x.options());
  const torch::Tensor bias = affine ? bn->bias : torch::zeros({x.size(1)}, x.options());
  return SyncBatchNormFunction::apply(x, weight, bias, bn->running_mean, bn->running_var,
                                      o.momentum().value_or(0.1), o.eps(), reducer);
}

torch::Tensor FoldedConv::forward(const torch::Tensor& x, bool training, std::int64_t stride,
                                  std::int64_t padding) const {
  if (training) throw std::logic_error("a BN folded into its convolution is for inference only");
  return torch::conv2d(x, weight, bias, stride, padding);
}

FoldedConv fold_batch_norm(const torch::nn::Conv2d& conv, const torch::nn::BatchNorm2d& bn) {
  if (!bn->running_var.defined() || conv->options.bias()) {
    throw std::logic_error(
        "fold_batch_norm: needs a convolution without bias and a BN with running statistics");
  }
  torch::NoGradGuard no_grad;
  const torch::Tensor& w = conv->weight;
  const torch::Tensor var = bn->running_var.to(w.scalar_type());
  const torch::Tensor mean = bn->running_mean.to(w.scalar_type());
  // scale = gamma / sqrt(var + eps); bias = beta - mean * scale (gamma 1, beta 0 without affine)
  torch::Tensor scale = (var + bn->options.eps()).rsqrt();
  if (bn->options.affine()) scale = scale * bn->weight;
  torch::Tensor bias = -mean * scale;
  if (bn->options.affine()) bias = bias + bn->bias;
  return {(w * scale.view({-1, 1, 1, 1})).contiguous(w.suggest_memory_format()), bias.contiguous()};
}

}  // namespace d2a
