#include "d2a/search/hessian.h"

#include <torch/torch.h>

#include <cmath>
#include <string>

#include "d2a/dist/process_group.h"
#include "d2a/error.h"

namespace d2a {
namespace {

using Tensors = std::vector<torch::Tensor>;

// d output / d inputs, zeros for the inputs the output does not depend on.
Tensors gradients(const torch::Tensor& output, const Tensors& inputs, bool create_graph = false) {
  Tensors g = torch::autograd::grad({output}, inputs, {}, /*retain_graph=*/create_graph,
                                    create_graph, /*allow_unused=*/true);
  for (std::size_t i = 0; i < g.size(); ++i) {
    if (!g[i].defined()) g[i] = torch::zeros_like(inputs[i]);
  }
  return g;
}

Tensors detached_copies(const Tensors& tensors) {
  Tensors out;
  for (const auto& t : tensors) out.push_back(t.detach().clone());
  return out;
}

void restore(const Tensors& targets, const Tensors& saved) {
  torch::NoGradGuard no_grad;
  for (std::size_t i = 0; i < targets.size(); ++i) targets[i].copy_(saved[i]);
}

// targets[i] = saved[i] + scale * v[i] (v[i] undefined: unchanged).
void set_shifted(const Tensors& targets, const Tensors& saved, const Tensors& v, double scale) {
  torch::NoGradGuard no_grad;
  for (std::size_t i = 0; i < targets.size(); ++i) {
    targets[i].copy_(saved[i]);
    if (v[i].defined()) targets[i].add_(v[i], scale);
  }
}

// The mean over the ranks of a data-parallel job (itself in one process).
Tensors averaged(Tensors grads) {
  dist::world().average(grads);
  return grads;
}

void check_matches_weights(const Tensors& v, const Tensors& weights, const char* what) {
  if (v.size() != weights.size()) {
    throw bad_input(std::string(what) + ": got " + std::to_string(v.size()) +
                    " tensors for " + std::to_string(weights.size()) + " weights");
  }
}

}  // namespace

Tensors finite_difference_hvp(Supernet& net, const Batch& batch, const Tensors& v, double r) {
  const Tensors w = net.weights();
  const Tensors arch = net.arch_parameters();
  check_matches_weights(v, w, "finite_difference_hvp");
  double squared = 0;
  for (const auto& t : v) {
    if (t.defined()) squared += t.detach().pow(2).sum().item<double>();
  }
  if (squared == 0) {
    Tensors zeros;
    for (const auto& a : arch) zeros.push_back(torch::zeros_like(a));
    return zeros;
  }
  const double eps = r / std::sqrt(squared);
  const Tensors saved = detached_copies(w);
  set_shifted(w, saved, v, eps);
  const Tensors plus = gradients(batch_loss(net, batch).loss, arch);
  set_shifted(w, saved, v, -eps);
  const Tensors minus = gradients(batch_loss(net, batch).loss, arch);
  restore(w, saved);
  Tensors out;
  for (std::size_t i = 0; i < arch.size(); ++i) out.push_back((plus[i] - minus[i]) / (2 * eps));
  return out;
}

Tensors exact_hvp(Supernet& net, const Batch& batch, const Tensors& v) {
  const Tensors w = net.weights();
  const Tensors arch = net.arch_parameters();
  check_matches_weights(v, w, "exact_hvp");
  const Tensors gw = gradients(batch_loss(net, batch).loss, w, /*create_graph=*/true);
  torch::Tensor dot = torch::zeros({}, arch.front().options().requires_grad(false));
  for (std::size_t i = 0; i < w.size(); ++i) {
    if (v[i].defined()) dot = dot + (gw[i] * v[i].detach()).sum();
  }
  return gradients(dot, arch);
}

Tensors unrolled_arch_gradient(Supernet& net, const Batch& train, const Batch& valid, double xi,
                               double momentum, const Tensors& momentum_buffers,
                               double weight_decay, double hvp_r, BatchLoss* valid_loss) {
  const Tensors w = net.weights();
  const Tensors arch = net.arch_parameters();
  check_matches_weights(momentum_buffers, w, "unrolled_arch_gradient");
  const Tensors saved = detached_copies(w);

  // w' = w - xi (momentum * m + dL_train/dw + weight_decay * w), DARTS's _compute_unrolled_model.
  // Data parallel: the unrolled step and the direction v need the whole batch's gradients.
  const Tensors g = averaged(gradients(batch_loss(net, train).loss, w));
  {
    torch::NoGradGuard no_grad;
    for (std::size_t i = 0; i < w.size(); ++i) {
      torch::Tensor step = g[i] + weight_decay * saved[i];
      if (momentum_buffers[i].defined()) step = step + momentum * momentum_buffers[i];
      w[i].sub_(step, xi);
    }
  }
  BatchLoss at_unrolled = batch_loss(net, valid);
  Tensors inputs = w;
  inputs.insert(inputs.end(), arch.begin(), arch.end());
  const Tensors all = averaged(gradients(at_unrolled.loss, inputs));
  restore(w, saved);

  const Tensors v(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(w.size()));
  const Tensors hv = finite_difference_hvp(net, train, v, hvp_r);
  Tensors dalpha;
  for (std::size_t i = 0; i < arch.size(); ++i) {
    dalpha.push_back(all[w.size() + i] - xi * hv[i]);
  }
  if (valid_loss) {
    valid_loss->loss = at_unrolled.loss.detach();
    valid_loss->accuracy = at_unrolled.accuracy;
  }
  return dalpha;
}

}  // namespace d2a
