#include "d2a/nn/supernet_mixing.h"

#include <torch/torch.h>

#include <limits>

#include "d2a/error.h"

namespace d2a {
namespace {

constexpr double kMinusInfinity = -std::numeric_limits<double>::infinity();

std::string shapes_of(const std::vector<torch::Tensor>& tensors) {
  std::string out;
  for (const auto& t : tensors) out += (out.empty() ? "" : ", ") + c10::str(t.sizes());
  return "[" + out + "]";
}

}  // namespace

torch::Tensor mix_op_weights(const torch::Tensor& alphas, const torch::Tensor& allowed,
                             const SupernetMixing& mixing, const torch::Tensor& given) {
  const torch::Tensor off = allowed.logical_not();
  switch (mixing.mode) {
    case MixingMode::kSoftmax:
      return torch::softmax(alphas.masked_fill(off, kMinusInfinity), -1);
    case MixingMode::kGumbelHard:
      return gumbel_hard_sample(alphas.masked_fill(off, kMinusInfinity), mixing.tau);
    case MixingMode::kGiven:
      return given.to(alphas.device(), alphas.scalar_type()) * allowed;
  }
  throw runtime_failure("supernet: unknown mixing mode");
}

torch::Tensor gumbel_hard_sample(const torch::Tensor& masked_alphas, double tau) {
  const torch::Tensor log_probs = torch::log_softmax(masked_alphas, -1);
  const auto cpu = torch::TensorOptions().dtype(masked_alphas.scalar_type());
  while (true) {
    const torch::Tensor gumbels =
        -torch::empty(masked_alphas.sizes(), cpu).exponential_().log().to(masked_alphas.device());
    const torch::Tensor probs = torch::softmax((log_probs + gumbels) / tau, -1);
    if (torch::isinf(gumbels).any().item<bool>() || !torch::isfinite(probs).all().item<bool>()) {
      continue;
    }
    const torch::Tensor index = std::get<1>(probs.max(-1, /*keepdim=*/true));
    const torch::Tensor one_hot = torch::zeros_like(probs).scatter_(-1, index, 1.0);
    return one_hot - probs.detach() + probs;
  }
}

void check_mixing(const SupernetMixing& mixing, bool have_given_weights, const std::string& what) {
  if (mixing.mode == MixingMode::kGumbelHard && !(mixing.tau > 0)) {
    throw bad_input(what + ": Gumbel-softmax temperature must be positive, got " +
                    std::to_string(mixing.tau));
  }
  if (mixing.mode == MixingMode::kGiven && !have_given_weights) {
    throw bad_input(what + ": kGiven mixing before set_op_weights");
  }
}

std::vector<torch::Tensor> checked_op_weights(const std::vector<torch::Tensor>& weights,
                                              const std::vector<torch::Tensor>& alphas,
                                              const std::string& what) {
  bool shapes_match = weights.size() == alphas.size();
  for (std::size_t i = 0; shapes_match && i < weights.size(); ++i) {
    shapes_match = weights[i].sizes() == alphas[i].sizes();
  }
  if (!shapes_match) {
    throw bad_input(what + ": op weights must have the alphas' shapes " + shapes_of(alphas) +
                    ", got " + shapes_of(weights));
  }
  std::vector<torch::Tensor> out;
  for (std::size_t i = 0; i < weights.size(); ++i) {
    const torch::Tensor w = weights[i].detach().to(torch::kCPU, torch::kDouble);
    if (!torch::isfinite(w).all().item<bool>() || (w < 0).any().item<bool>() ||
        (w.sum(1) - 1).abs().max().item<double>() > 1e-4) {
      throw bad_input(what + ": op weight rows must lie on the simplex (non-negative, summing "
                      "to 1)");
    }
    out.push_back(weights[i].detach().to(alphas[i].device(), alphas[i].scalar_type()).clone());
  }
  return out;
}

void set_allowed_masks(std::vector<torch::Tensor>& masks, const std::vector<torch::Tensor>& allowed,
                       const std::string& what) {
  torch::NoGradGuard no_grad;
  if (allowed.empty()) {
    for (auto& mask : masks) mask.fill_(true);
    return;
  }
  bool shapes_match = allowed.size() == masks.size();
  for (std::size_t i = 0; shapes_match && i < allowed.size(); ++i) {
    shapes_match = allowed[i].sizes() == masks[i].sizes();
  }
  if (!shapes_match) {
    throw bad_input(what + ": allowed ops must be bool tensors of the alphas' shapes " +
                    shapes_of(masks) + ", got " + shapes_of(allowed));
  }
  std::vector<torch::Tensor> checked;
  for (const auto& a : allowed) {
    const torch::Tensor mask = a.to(torch::kCPU).to(torch::kBool);
    if (!mask.any(1).all().item<bool>()) {
      throw bad_input(what + ": every edge needs at least one allowed op");
    }
    checked.push_back(mask);
  }
  for (std::size_t i = 0; i < masks.size(); ++i) {
    masks[i].copy_(checked[i].to(masks[i].device(), masks[i].scalar_type()));
  }
}

torch::Tensor node_edge_weights(const torch::Tensor& betas,
                                const std::vector<int>& node_first_edge) {
  std::vector<torch::Tensor> parts;
  for (std::size_t n = 0; n + 1 < node_first_edge.size(); ++n) {
    const int first = node_first_edge[n];
    parts.push_back(torch::softmax(betas.narrow(0, first, node_first_edge[n + 1] - first), 0));
  }
  return torch::cat(parts);
}

}  // namespace d2a
