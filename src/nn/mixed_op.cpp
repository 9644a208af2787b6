#include "d2a/nn/mixed_op.h"

#include <torch/torch.h>

#include <string>
#include <utility>

#include "d2a/error.h"

namespace d2a {

MixedOpImpl::MixedOpImpl(std::vector<torch::nn::AnyModule> ops, const MixedOpOptions& options)
    : options_(options), ops_(std::move(ops)) {
  const std::int64_t c = options_.channels();
  const std::int64_t k = options_.partial_channels();
  if (c <= 0 || k <= 0 || c % k != 0) {
    throw bad_input("mixed op: channels " + std::to_string(c) + " must be positive and divisible" +
                    " by partial_channels " + std::to_string(k));
  }
  if (options_.stride() != 1 && options_.stride() != 2) {
    throw bad_input("mixed op: stride " + std::to_string(options_.stride()) + " (need 1 or 2)");
  }
  if (ops_.empty()) throw bad_input("mixed op: no candidate ops");
  for (std::size_t o = 0; o < ops_.size(); ++o) {
    if (!ops_[o].is_empty()) register_module("op" + std::to_string(o), ops_[o].ptr());
  }
}

torch::Tensor MixedOpImpl::forward(const torch::Tensor& x, const torch::Tensor& op_weights,
                                   const torch::Tensor& edge_scale) {
  const std::int64_t k = options_.partial_channels();
  const std::int64_t stride = options_.stride();
  if (x.dim() != 4 || x.size(1) != options_.channels()) {
    throw bad_input("mixed op expects [B, " + std::to_string(options_.channels()) +
                    ", H, W], got " + c10::str(x.sizes()));
  }
  if (op_weights.dim() != 1 || op_weights.size(0) != num_ops()) {
    throw bad_input("mixed op expects weights [" + std::to_string(num_ops()) + "], got " +
                    c10::str(op_weights.sizes()));
  }
  const torch::Tensor weights = edge_scale.defined() ? op_weights * edge_scale : op_weights;
  const torch::Tensor routed = k == 1 ? x : x.narrow(1, 0, x.size(1) / k);

  // Which ops run is decided on the values (one small host copy per edge): an op whose weight
  // is exactly zero contributes nothing, so it is not run. When the weights carry a gradient
  // (a GDAS straight-through sample, whose unchosen entries are 0 in value but not in
  // gradient), those zero entries are added as scalars instead, as xautodl's GDAS does, so that
  // every alpha of the edge still receives d loss / d output. For a masked softmax the added
  // zeros have zero gradient through the softmax, so the mask stays exact.
  const torch::Tensor host = weights.detach().to(torch::kCPU, torch::kDouble).contiguous();
  const double* w = host.data_ptr<double>();
  torch::Tensor sum;
  std::vector<std::int64_t> zero_weight;
  for (std::int64_t o = 0; o < num_ops(); ++o) {
    if (w[o] == 0.0) {  // `none` too: xautodl adds every unchosen hard weight
      zero_weight.push_back(o);
      continue;
    }
    // `none` with a non-zero weight: zeros, whose product with the weight has no gradient.
    if (ops_[o].is_empty()) continue;
    torch::Tensor term = weights[o] * ops_[o].forward(routed);
    sum = sum.defined() ? sum + term : term;
  }
  if (!sum.defined()) {
    const std::int64_t h = (routed.size(2) + stride - 1) / stride;
    const std::int64_t wd = (routed.size(3) + stride - 1) / stride;
    sum = torch::zeros({routed.size(0), routed.size(1), h, wd}, routed.options());
  }
  if (weights.requires_grad() && !zero_weight.empty()) {
    const torch::Tensor index = torch::tensor(zero_weight).to(weights.device());
    sum = sum + weights.index_select(0, index).sum();
  }
  if (k == 1) return sum;

  torch::Tensor bypass = x.narrow(1, x.size(1) / k, x.size(1) - x.size(1) / k);
  // ceil mode: the same output size as the strided ops on odd inputs (equal on even ones).
  if (stride == 2) bypass = torch::max_pool2d(bypass, {2, 2}, {2, 2}, {0, 0}, {1, 1}, true);
  if (edge_scale.defined()) bypass = edge_scale * bypass;
  // channel_shuffle(cat({sum, bypass}, 1), k) written by one copy instead of two: seen as
  // [B, k, C/k, H, W] the concatenation holds `sum` in group 0 and `bypass` in groups 1..k-1,
  // and the shuffle swaps the group and channel axes; concatenating along a new axis after the
  // channels writes that swapped layout directly (output channel j * k + g = group g's j-th).
  const std::int64_t b = sum.size(0), per_group = x.size(1) / k;
  const std::int64_t height = sum.size(2), width = sum.size(3);
  return torch::cat({sum.view({b, per_group, 1, height, width}),
                     bypass.view({b, k - 1, per_group, height, width}).transpose(1, 2)},
                    2)
      .view({b, k * per_group, height, width});
}

torch::Tensor channel_shuffle(const torch::Tensor& x, std::int64_t groups) {
  const std::int64_t b = x.size(0);
  const std::int64_t c = x.size(1);
  if (groups <= 0 || c % groups != 0) {
    throw bad_input("channel_shuffle: " + std::to_string(c) + " channels do not split into " +
                    std::to_string(groups) + " groups");
  }
  return x.view({b, groups, c / groups, x.size(2), x.size(3)})
      .transpose(1, 2)
      .contiguous()
      .view({b, c, x.size(2), x.size(3)});
}

}  // namespace d2a
