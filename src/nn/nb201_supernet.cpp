#include "d2a/nn/nb201_supernet.h"

#include <torch/torch.h>

#include <algorithm>
#include <array>
#include <limits>
#include <string>

#include "d2a/error.h"

namespace d2a {
namespace {

constexpr double kMinusInfinity = -std::numeric_limits<double>::infinity();

// The edges of node j are contiguous in kNb201Edges: node 1 {0}, node 2 {1, 2}, node 3 {3, 4, 5}.
constexpr int kNodeFirstEdge[kNb201NumNodes + 1] = {0, 0, 1, 3, 6};

std::vector<Nb201Op> candidate_ops(const std::vector<std::string>& names) {
  std::vector<Nb201Op> ops;
  for (const auto& name : names.empty() ? nb201_op_names() : names) {
    const Nb201Op op = nb201_op_from_name(name);
    if (std::find(ops.begin(), ops.end(), op) != ops.end()) {
      throw bad_input("NAS-Bench-201 supernet: op " + name + " is listed twice");
    }
    ops.push_back(op);
  }
  return ops;
}

torch::nn::AnyModule default_op(Nb201Op op, std::int64_t channels) {
  return make_nb201_op(op, channels, /*affine=*/false);
}

}  // namespace

Nb201SearchCellImpl::Nb201SearchCellImpl(const Nb201SearchCellOptions& options_,
                                         const Nb201OpFactory& factory)
    : options(options_) {
  const std::int64_t routed = options.channels() / options.partial_channels();
  for (int e = 0; e < kNb201NumEdges; ++e) {
    std::vector<torch::nn::AnyModule> ops;
    for (Nb201Op op : options.ops()) ops.push_back(factory(op, routed));
    edges.push_back(register_module(
        "edge" + std::to_string(e),
        MixedOp(ops, MixedOpOptions(options.channels())
                         .partial_channels(options.partial_channels()))));
  }
}

torch::Tensor Nb201SearchCellImpl::forward(const torch::Tensor& x, const torch::Tensor& op_weights,
                                           const torch::Tensor& edge_weights) {
  std::array<torch::Tensor, kNb201NumNodes> nodes;
  nodes[0] = x;
  for (int e = 0; e < kNb201NumEdges; ++e) {
    const auto [from, to] = kNb201Edges[e];
    torch::Tensor out = edges[e]->forward(nodes[from], op_weights[e]);
    if (edge_weights.defined()) out = edge_weights[e] * out;
    nodes[to] = nodes[to].defined() ? nodes[to] + out : out;
  }
  return nodes[3];
}

Nb201SupernetImpl::Nb201SupernetImpl(const SupernetOptions& options, Nb201OpFactory factory)
    : options_(options), ops_(candidate_ops(options.ops())) {
  if (!factory) factory = default_op;
  const std::int64_t c0 = options_.channels();
  const std::int64_t k = options_.partial_channels();
  if (c0 <= 0 || options_.cells() <= 0 || options_.input_channels() <= 0 ||
      options_.num_classes() < 2 || k <= 0 || c0 % k != 0) {
    throw bad_input("invalid NAS-Bench-201 supernet: channels " + std::to_string(c0) +
                    ", cells " + std::to_string(options_.cells()) + ", input channels " +
                    std::to_string(options_.input_channels()) + ", classes " +
                    std::to_string(options_.num_classes()) + ", partial channels " +
                    std::to_string(k) +
                    " (need positive sizes, at least 2 classes, channels divisible by K)");
  }
  const auto num_ops = static_cast<std::int64_t>(ops_.size());
  alphas_ = register_parameter("alphas", 1e-3 * torch::randn({kNb201NumEdges, num_ops}));
  if (options_.edge_normalisation()) {
    betas_ = register_parameter("betas", 1e-3 * torch::randn({kNb201NumEdges}));
  }
  allowed_ = register_buffer("allowed", torch::ones({kNb201NumEdges, num_ops}, torch::kBool));

  std::int64_t c = c0;
  stem_conv_ = register_module(
      "stem_conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(options_.input_channels(), c, 3)
                                         .padding(1)
                                         .bias(false)));
  stem_bn_ = register_module("stem_bn", torch::nn::BatchNorm2d(c));
  for (int stage = 0; stage < 3; ++stage) {
    if (stage > 0) {
      reductions_.push_back(register_module("reduce" + std::to_string(stage),
                                            Nb201ResidualBlock(Nb201ResidualBlockOptions(c, 2 * c))));
      c *= 2;
    }
    stages_.emplace_back();
    for (std::int64_t i = 0; i < options_.cells(); ++i) {
      stages_.back().push_back(register_module(
          "stage" + std::to_string(stage) + "_cell" + std::to_string(i),
          Nb201SearchCell(Nb201SearchCellOptions(ops_, c).partial_channels(k), factory)));
    }
  }
  last_bn_ = register_module("last_bn", torch::nn::BatchNorm2d(c));
  classifier_ = register_module("classifier", torch::nn::Linear(c, options_.num_classes()));
}

torch::Tensor Nb201SupernetImpl::forward(const torch::Tensor& images) {
  if (images.dim() != 4 || images.size(1) != options_.input_channels() || images.size(2) < 8 ||
      images.size(3) < 8) {
    throw bad_input("NAS-Bench-201 supernet expects images [B, " +
                    std::to_string(options_.input_channels()) + ", H >= 8, W >= 8], got " +
                    c10::str(images.sizes()));
  }
  const torch::Tensor w = op_weights();
  const torch::Tensor ew = edge_weights();
  torch::Tensor x = stem_bn_(stem_conv_(images));
  for (std::size_t stage = 0; stage < stages_.size(); ++stage) {
    if (stage > 0) x = reductions_[stage - 1](x);
    for (auto& cell : stages_[stage]) x = cell(x, w, ew);
  }
  x = torch::relu(last_bn_(x)).mean({2, 3});  // [B, 4C, h, w] -> [B, 4C]
  return classifier_(x);
}

std::vector<torch::Tensor> Nb201SupernetImpl::weights() {
  std::vector<torch::Tensor> out;
  for (const auto& p : parameters()) {
    if (!p.is_same(alphas_) && !(betas_.defined() && p.is_same(betas_))) out.push_back(p);
  }
  return out;
}

std::vector<torch::Tensor> Nb201SupernetImpl::arch_parameters() {
  if (betas_.defined()) return {alphas_, betas_};
  return {alphas_};
}

std::vector<std::string> Nb201SupernetImpl::op_names() const {
  std::vector<std::string> names;
  for (Nb201Op op : ops_) names.emplace_back(nb201_op_name(op));
  return names;
}

void Nb201SupernetImpl::set_mixing(const SupernetMixing& mixing) {
  if (mixing.mode == MixingMode::kGumbelHard && !(mixing.tau > 0)) {
    throw bad_input("Gumbel-softmax temperature must be positive, got " +
                    std::to_string(mixing.tau));
  }
  if (mixing.mode == MixingMode::kGiven && !given_.defined()) {
    throw bad_input("NAS-Bench-201 supernet: kGiven mixing before set_op_weights");
  }
  mixing_ = mixing;
}

void Nb201SupernetImpl::set_op_weights(const std::vector<torch::Tensor>& weights) {
  if (weights.size() != 1 || weights[0].sizes() != alphas_.sizes()) {
    throw bad_input("NAS-Bench-201 supernet: op weights must be one tensor of shape " +
                    c10::str(alphas_.sizes()) + ", got " + std::to_string(weights.size()) +
                    " tensor(s)" +
                    (weights.empty() ? std::string() : " of shape " + c10::str(weights[0].sizes())));
  }
  const torch::Tensor w = weights[0].detach().to(torch::kCPU, torch::kDouble);
  const bool finite = torch::isfinite(w).all().item<bool>();
  if (!finite || (w < 0).any().item<bool>() ||
      (w.sum(1) - 1).abs().max().item<double>() > 1e-4) {
    throw bad_input("NAS-Bench-201 supernet: op weight rows must lie on the simplex (non-negative,"
                    " summing to 1)");
  }
  given_ = weights[0].detach().to(alphas_.device(), alphas_.scalar_type()).clone();
}

void Nb201SupernetImpl::set_allowed_ops(const std::vector<torch::Tensor>& allowed) {
  if (allowed.empty()) {
    allowed_.fill_(1);
    return;
  }
  if (allowed.size() != 1 || allowed[0].sizes() != alphas_.sizes()) {
    throw bad_input("NAS-Bench-201 supernet: allowed ops must be one bool tensor of shape " +
                    c10::str(alphas_.sizes()));
  }
  const torch::Tensor mask = allowed[0].to(torch::kCPU).to(torch::kBool);
  if (!mask.any(1).all().item<bool>()) {
    throw bad_input("NAS-Bench-201 supernet: every edge needs at least one allowed op");
  }
  torch::NoGradGuard no_grad;
  allowed_.copy_(mask.to(allowed_.device(), allowed_.scalar_type()));
}

torch::Tensor Nb201SupernetImpl::allowed_mask() const { return allowed_ != 0; }

torch::Tensor Nb201SupernetImpl::op_weights() {
  const torch::Tensor allowed = allowed_mask();
  switch (mixing_.mode) {
    case MixingMode::kSoftmax:
      return torch::softmax(alphas_.masked_fill(allowed.logical_not(), kMinusInfinity), -1);
    case MixingMode::kGumbelHard:
      return gumbel_hard_sample(alphas_.masked_fill(allowed.logical_not(), kMinusInfinity));
    case MixingMode::kGiven:
      return given_.to(alphas_.device(), alphas_.scalar_type()) * allowed;
  }
  return {};
}

torch::Tensor Nb201SupernetImpl::gumbel_hard_sample(const torch::Tensor& masked_alphas) const {
  const torch::Tensor log_probs = torch::log_softmax(masked_alphas, -1);
  const auto cpu = torch::TensorOptions().dtype(masked_alphas.scalar_type());
  while (true) {
    const torch::Tensor gumbels =
        -torch::empty(masked_alphas.sizes(), cpu).exponential_().log().to(masked_alphas.device());
    const torch::Tensor probs = torch::softmax((log_probs + gumbels) / mixing_.tau, -1);
    if (torch::isinf(gumbels).any().item<bool>() || !torch::isfinite(probs).all().item<bool>()) {
      continue;
    }
    const torch::Tensor index = std::get<1>(probs.max(-1, /*keepdim=*/true));
    const torch::Tensor one_hot = torch::zeros_like(probs).scatter_(-1, index, 1.0);
    return one_hot - probs.detach() + probs;
  }
}

torch::Tensor Nb201SupernetImpl::edge_weights() {
  if (!betas_.defined()) return {};
  std::vector<torch::Tensor> parts;
  for (int node = 1; node < kNb201NumNodes; ++node) {
    const int first = kNodeFirstEdge[node];
    parts.push_back(torch::softmax(betas_.narrow(0, first, kNodeFirstEdge[node + 1] - first), 0));
  }
  return torch::cat(parts);
}

std::string Nb201SupernetImpl::genotype() {
  torch::NoGradGuard no_grad;
  const torch::Tensor scores =
      alphas_.detach().masked_fill(allowed_mask().logical_not(), kMinusInfinity).to(torch::kCPU);
  const torch::Tensor best = scores.argmax(1);
  Nb201Cell cell;
  for (int e = 0; e < kNb201NumEdges; ++e) cell.set_op(e, ops_.at(best[e].item<std::int64_t>()));
  return cell.str();
}

}  // namespace d2a
