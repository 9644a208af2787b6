#include "d2a/nn/nb201_supernet.h"

#include <torch/torch.h>

#include <algorithm>
#include <array>
#include <limits>
#include <string>

#include "d2a/error.h"
#include "d2a/nn/supernet_mixing.h"
#include "d2a/nn/batch_norm.h"

namespace d2a {
namespace {

constexpr double kMinusInfinity = -std::numeric_limits<double>::infinity();

constexpr const char* kWhat = "NAS-Bench-201 supernet";

// The edges of nodes 1, 2, 3 are contiguous in kNb201Edges: {0}, {1, 2}, {3, 4, 5}.
const std::vector<int> kNodeFirstEdge = {0, 1, 3, 6};

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
    const torch::Tensor out = edges[e]->forward(
        nodes[from], op_weights[e], edge_weights.defined() ? edge_weights[e] : torch::Tensor());
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
  torch::Tensor x = batch_norm(stem_bn_, stem_conv_(images));
  for (std::size_t stage = 0; stage < stages_.size(); ++stage) {
    if (stage > 0) x = reductions_[stage - 1](x);
    for (auto& cell : stages_[stage]) x = cell(x, w, ew);
  }
  x = torch::relu(batch_norm(last_bn_, x)).mean({2, 3});  // [B, 4C, h, w] -> [B, 4C]
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
  check_mixing(mixing, given_.defined(), kWhat);
  mixing_ = mixing;
}

void Nb201SupernetImpl::set_op_weights(const std::vector<torch::Tensor>& weights) {
  given_ = checked_op_weights(weights, {alphas_}, kWhat).front();
}

void Nb201SupernetImpl::set_allowed_ops(const std::vector<torch::Tensor>& allowed) {
  std::vector<torch::Tensor> masks = {allowed_};  // shares allowed_'s storage
  set_allowed_masks(masks, allowed, kWhat);
}

torch::Tensor Nb201SupernetImpl::allowed_mask() const { return allowed_ != 0; }

torch::Tensor Nb201SupernetImpl::op_weights() {
  return mix_op_weights(alphas_, allowed_mask(), mixing_, given_);
}

torch::Tensor Nb201SupernetImpl::edge_weights() {
  if (!betas_.defined()) return {};
  return node_edge_weights(betas_, kNodeFirstEdge);
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
