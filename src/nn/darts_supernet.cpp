#include "d2a/nn/darts_supernet.h"

#include <torch/torch.h>

#include <algorithm>
#include <numeric>
#include <string>

#include "d2a/error.h"
#include "d2a/nn/darts_ops.h"
#include "d2a/nn/supernet_mixing.h"
#include "d2a/nn/batch_norm.h"

namespace d2a {
namespace {

constexpr const char* kWhat = "DARTS supernet";

// Node k's incoming edges are [kNodeFirstEdge[k], kNodeFirstEdge[k + 1]); edge
// kNodeFirstEdge[k] + j reads state j.
const std::vector<int> kNodeFirstEdge = {0, 2, 5, 9, 14};

std::vector<DartsOp> candidate_ops(const std::vector<std::string>& names) {
  std::vector<DartsOp> ops;
  for (const auto& name : names.empty() ? darts_op_names() : names) {
    const DartsOp op = darts_op_from_name(name);
    if (std::find(ops.begin(), ops.end(), op) != ops.end()) {
      throw bad_input(std::string(kWhat) + ": op " + name + " is listed twice");
    }
    ops.push_back(op);
  }
  return ops;
}

// One cell type's part of the genotype, from its op weights [14, ops] (0 for ops that are off).
DartsCellGenotype parse_cell(const torch::Tensor& weights, const torch::Tensor& allowed,
                             const std::vector<DartsOp>& ops) {
  const torch::Tensor w = weights.detach().to(torch::kCPU, torch::kDouble).contiguous();
  const torch::Tensor on = allowed.to(torch::kCPU, torch::kBool).contiguous();
  const auto w_at = w.accessor<double, 2>();
  const auto on_at = on.accessor<bool, 2>();
  // Each edge's best non-`none` allowed op and its weight (-1 and `none` when it has none).
  std::vector<std::pair<double, DartsOp>> best(kDartsNumEdges, {-1.0, DartsOp::kNone});
  for (int e = 0; e < kDartsNumEdges; ++e) {
    for (std::size_t o = 0; o < ops.size(); ++o) {
      if (ops[o] != DartsOp::kNone && on_at[e][o] && w_at[e][o] > best[e].first) {
        best[e] = {w_at[e][o], ops[o]};
      }
    }
  }
  DartsCellGenotype cell;
  for (int node = 0; node < kDartsNumNodes; ++node) {
    const int first = kNodeFirstEdge[node];
    std::vector<int> states(kNodeFirstEdge[node + 1] - first);
    std::iota(states.begin(), states.end(), 0);
    std::stable_sort(states.begin(), states.end(), [&](int a, int b) {
      return best[first + a].first > best[first + b].first;
    });
    for (int k = 0; k < kDartsInputsPerNode; ++k) {
      cell.edges.push_back({best[first + states[k]].second, states[k]});
    }
  }
  for (int s = 0; s < kDartsNumNodes; ++s) cell.concat.push_back(kDartsNumCellInputs + s);
  return cell;
}

}  // namespace

DartsSearchCellImpl::DartsSearchCellImpl(const DartsSearchCellOptions& options_)
    : options(options_) {
  const std::int64_t c = options.channels();
  if (options.reduction_prev()) {
    preprocess0 = torch::nn::AnyModule(FactorizedReduce(
        FactorizedReduceOptions(options.prev_prev_channels(), c).affine(false)));
  } else {
    preprocess0 = torch::nn::AnyModule(
        ReluConvBn(ReluConvBnOptions(options.prev_prev_channels(), c, 1).affine(false)));
  }
  register_module("preprocess0", preprocess0.ptr());
  preprocess1 = register_module(
      "preprocess1", ReluConvBn(ReluConvBnOptions(options.prev_channels(), c, 1).affine(false)));
  const std::int64_t routed = c / options.partial_channels();
  for (int node = 0; node < kDartsNumNodes; ++node) {
    for (int state = 0; state < node + kDartsNumCellInputs; ++state) {
      const std::int64_t stride = options.reduction() && state < kDartsNumCellInputs ? 2 : 1;
      std::vector<torch::nn::AnyModule> ops;
      for (DartsOp op : options.ops()) ops.push_back(make_darts_op(op, routed, stride, false));
      edges.push_back(register_module(
          "edge" + std::to_string(edges.size()),
          MixedOp(ops, MixedOpOptions(c).stride(stride).partial_channels(
                           options.partial_channels()))));
    }
  }
}

torch::Tensor DartsSearchCellImpl::forward(const torch::Tensor& s0, const torch::Tensor& s1,
                                           const torch::Tensor& op_weights,
                                           const torch::Tensor& edge_weights) {
  std::vector<torch::Tensor> states = {preprocess0.forward(s0), preprocess1(s1)};
  for (int node = 0; node < kDartsNumNodes; ++node) {
    torch::Tensor sum;
    for (int state = 0; state < node + kDartsNumCellInputs; ++state) {
      const int e = kNodeFirstEdge[node] + state;
      const torch::Tensor out = edges[e]->forward(
          states[state], op_weights[e], edge_weights.defined() ? edge_weights[e] : torch::Tensor());
      sum = sum.defined() ? sum + out : out;
    }
    states.push_back(sum);
  }
  return torch::cat(
      std::vector<torch::Tensor>(states.begin() + kDartsNumCellInputs, states.end()), 1);
}

DartsSupernetImpl::DartsSupernetImpl(const SupernetOptions& options)
    : options_(options), ops_(candidate_ops(options.ops())) {
  const std::int64_t c0 = options_.channels();
  const std::int64_t k = options_.partial_channels();
  if (c0 <= 0 || options_.cells() <= 0 || options_.input_channels() <= 0 ||
      options_.num_classes() < 2 || k <= 0 || c0 % k != 0 || (c0 / k) % 2 != 0) {
    throw bad_input("invalid DARTS supernet: channels " + std::to_string(c0) + ", cells " +
                    std::to_string(options_.cells()) + ", input channels " +
                    std::to_string(options_.input_channels()) + ", classes " +
                    std::to_string(options_.num_classes()) + ", partial channels " +
                    std::to_string(k) +
                    " (need positive sizes, at least 2 classes, channels / K even)");
  }
  const auto num_ops = static_cast<std::int64_t>(ops_.size());
  alphas_normal_ = register_parameter("alphas_normal", 1e-3 * torch::randn({kDartsNumEdges, num_ops}));
  alphas_reduce_ = register_parameter("alphas_reduce", 1e-3 * torch::randn({kDartsNumEdges, num_ops}));
  if (options_.edge_normalisation()) {
    betas_normal_ = register_parameter("betas_normal", 1e-3 * torch::randn({kDartsNumEdges}));
    betas_reduce_ = register_parameter("betas_reduce", 1e-3 * torch::randn({kDartsNumEdges}));
  }
  for (const char* name : {"allowed_normal", "allowed_reduce"}) {
    allowed_.push_back(register_buffer(name, torch::ones({kDartsNumEdges, num_ops}, torch::kBool)));
  }

  const std::int64_t stem_channels = 3 * c0;
  stem_conv_ = register_module(
      "stem_conv",
      torch::nn::Conv2d(torch::nn::Conv2dOptions(options_.input_channels(), stem_channels, 3)
                            .padding(1)
                            .bias(false)));
  stem_bn_ = register_module("stem_bn", torch::nn::BatchNorm2d(stem_channels));
  std::int64_t prev_prev = stem_channels, prev = stem_channels, c = c0;
  bool reduction_prev = false;
  const std::int64_t n = options_.cells();
  for (std::int64_t i = 0; i < n; ++i) {
    const bool reduction = i == n / 3 || i == 2 * n / 3;
    if (reduction) c *= 2;
    cells_.push_back(register_module(
        "cell" + std::to_string(i),
        DartsSearchCell(DartsSearchCellOptions(ops_, prev_prev, prev, c)
                            .reduction(reduction)
                            .reduction_prev(reduction_prev)
                            .partial_channels(k))));
    reduction_prev = reduction;
    prev_prev = prev;
    prev = kDartsNumNodes * c;
  }
  classifier_ = register_module("classifier", torch::nn::Linear(prev, options_.num_classes()));
}

torch::Tensor DartsSupernetImpl::forward(const torch::Tensor& images) {
  if (images.dim() != 4 || images.size(1) != options_.input_channels() || images.size(2) < 8 ||
      images.size(3) < 8) {
    throw bad_input(std::string(kWhat) + " expects images [B, " +
                    std::to_string(options_.input_channels()) + ", H >= 8, W >= 8], got " +
                    c10::str(images.sizes()));
  }
  const std::vector<torch::Tensor> w = op_weights();
  std::vector<torch::Tensor> ew = edge_weights();
  if (ew.empty()) ew = {torch::Tensor(), torch::Tensor()};
  torch::Tensor s0 = batch_norm(stem_bn_, stem_conv_(images));
  torch::Tensor s1 = s0;
  for (auto& cell : cells_) {
    const int type = cell->options.reduction() ? 1 : 0;
    torch::Tensor next = cell->forward(s0, s1, w[type], ew[type]);
    s0 = std::move(s1);
    s1 = std::move(next);
  }
  return classifier_(s1.mean({2, 3}));  // global average pool: [B, 4C', h, w] -> [B, 4C']
}

std::vector<torch::Tensor> DartsSupernetImpl::weights() {
  const std::vector<torch::Tensor> arch = arch_parameters();
  std::vector<torch::Tensor> out;
  for (const auto& p : parameters()) {
    const bool is_arch =
        std::any_of(arch.begin(), arch.end(), [&](const torch::Tensor& a) { return p.is_same(a); });
    if (!is_arch) out.push_back(p);
  }
  return out;
}

std::vector<torch::Tensor> DartsSupernetImpl::arch_parameters() {
  if (betas_normal_.defined()) return {alphas_normal_, alphas_reduce_, betas_normal_, betas_reduce_};
  return {alphas_normal_, alphas_reduce_};
}

std::vector<std::string> DartsSupernetImpl::op_names() const {
  std::vector<std::string> names;
  for (DartsOp op : ops_) names.emplace_back(darts_op_name(op));
  return names;
}

void DartsSupernetImpl::set_mixing(const SupernetMixing& mixing) {
  check_mixing(mixing, !given_.empty(), kWhat);
  mixing_ = mixing;
}

void DartsSupernetImpl::set_op_weights(const std::vector<torch::Tensor>& weights) {
  given_ = checked_op_weights(weights, alphas(), kWhat);
}

void DartsSupernetImpl::set_allowed_ops(const std::vector<torch::Tensor>& allowed) {
  set_allowed_masks(allowed_, allowed, kWhat);
}

std::vector<torch::Tensor> DartsSupernetImpl::op_weights() {
  const std::vector<torch::Tensor> a = alphas();
  std::vector<torch::Tensor> out;
  for (std::size_t t = 0; t < a.size(); ++t) {
    out.push_back(mix_op_weights(a[t], allowed_[t], mixing_,
                                 given_.empty() ? torch::Tensor() : given_[t]));
  }
  return out;
}

std::vector<torch::Tensor> DartsSupernetImpl::edge_weights() {
  if (!betas_normal_.defined()) return {};
  return {node_edge_weights(betas_normal_, kNodeFirstEdge),
          node_edge_weights(betas_reduce_, kNodeFirstEdge)};
}

std::string DartsSupernetImpl::genotype() {
  torch::NoGradGuard no_grad;
  const std::vector<torch::Tensor> a = alphas();
  const std::vector<torch::Tensor> ew = edge_weights();
  std::vector<DartsCellGenotype> cells;
  for (std::size_t t = 0; t < a.size(); ++t) {
    torch::Tensor w = mix_op_weights(a[t], allowed_[t], SupernetMixing{}, {});
    if (!ew.empty()) w = w * ew[t].unsqueeze(1);
    cells.push_back(parse_cell(w, allowed_[t], ops_));
  }
  return DartsGenotype(cells[0], cells[1]).str();
}

std::shared_ptr<Supernet> make_darts_supernet(const SupernetOptions& options) {
  return DartsSupernet(options).ptr();
}

}  // namespace d2a
