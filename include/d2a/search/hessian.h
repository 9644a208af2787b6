#pragma once
// Second-order DARTS (Liu et al. 2019, eqs. 6-8): the architecture gradient through one unrolled
// weight step, with its Hessian-vector product taken by central finite differences.
#include <torch/torch.h>

#include <vector>

#include "d2a/nn/supernet.h"
#include "d2a/search/searcher.h"

namespace d2a {

// H v = d/d(arch) [ grad_w L(w, arch) . v ], one tensor per net.arch_parameters() entry, by
// central differences as DARTS computes it:
//   (grad_arch L(w + eps v, arch) - grad_arch L(w - eps v, arch)) / (2 eps),  eps = r / ||v||.
// `v` has one tensor per net.weights() entry (undefined = zeros). L is the mean cross-entropy
// on `batch` with the net in its current mode (BN in training mode normalises with the batch's
// statistics, a fixed function of the batch). ReLUs make L only piecewise smooth: a step of
// DARTS's size moves many ReLU inputs across their kink, so on small nets the quotient can be
// far from the exact product (tests compare at r = 1e-6 in double precision); DARTS accepts
// that. The weights are restored exactly afterwards; BN
// running statistics see the two extra forwards (as in DARTS).
std::vector<torch::Tensor> finite_difference_hvp(Supernet& net, const Batch& batch,
                                                 const std::vector<torch::Tensor>& v,
                                                 double r = 0.01);

// The same product exactly, by double backward (for tests and small nets).
std::vector<torch::Tensor> exact_hvp(Supernet& net, const Batch& batch,
                                     const std::vector<torch::Tensor>& v);

// The second-order DARTS architecture gradient, one tensor per net.arch_parameters() entry:
//   w' = w - xi (momentum * m + grad_w L_train(w, a) + weight_decay * w)
//   dalpha = grad_a L_val(w', a) - xi * H v,   v = grad_w' L_val(w', a),
// with H v from finite_difference_hvp at (w, a) on the training batch. The unrolled step is the
// one DARTS's code takes (its momentum buffer m and weight decay included; m = 0 before the
// first weight step); xi is the current weight learning rate. `momentum_buffers` holds m per
// weight (undefined = zeros). The weights are left as they were. Also returns the validation
// loss and accuracy at w' in `valid`.
std::vector<torch::Tensor> unrolled_arch_gradient(Supernet& net, const Batch& train,
                                                  const Batch& valid, double xi, double momentum,
                                                  const std::vector<torch::Tensor>& momentum_buffers,
                                                  double weight_decay, double hvp_r,
                                                  BatchLoss* valid_loss = nullptr);

}  // namespace d2a
