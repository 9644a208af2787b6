#pragma once
// What every supernet does with its architecture parameters, whatever its space: turning one
// alpha tensor [edges, ops] into the op weights of its edges under a SupernetMixing mode,
// checking the weights and masks the searchers hand in, and weighing each node's incoming edges
// by the softmax of their betas (PC-DARTS edge normalisation).
#include <torch/torch.h>

#include <string>
#include <vector>

#include "d2a/nn/supernet.h"

namespace d2a {

// alphas [E, ops], allowed [E, ops] bool (false: the op is off on that edge), given [E, ops]
// (kGiven only) -> op weights [E, ops]:
//   kSoftmax     softmax over the allowed ops of each row (off ops get exactly 0)
//   kGumbelHard  gumbel_hard_sample of the same masked alphas
//   kGiven       given * allowed
torch::Tensor mix_op_weights(const torch::Tensor& alphas, const torch::Tensor& allowed,
                             const SupernetMixing& mixing, const torch::Tensor& given);

// GDAS: the one-hot argmax of softmax((log_softmax(alphas) + g) / tau) per row, with the
// straight-through gradient of the soft sample. The Gumbel noise g is drawn on the CPU from
// torch's default CPU generator and moved to the alphas' device, so that a CPU and a GPU run draw
// the same samples; a draw with an infinite noise or a non-finite probability is redrawn.
// masked_alphas [E, ops] (-inf where an op is off) -> [E, ops].
torch::Tensor gumbel_hard_sample(const torch::Tensor& masked_alphas, double tau);

// Throws d2a::Error (bad input) for a non-positive Gumbel temperature in kGumbelHard, or for
// kGiven when no op weights were given yet. `what` names the supernet in messages.
void check_mixing(const SupernetMixing& mixing, bool have_given_weights, const std::string& what);

// The searcher's explicit op weights (set_op_weights), checked: one tensor per alpha tensor and
// of its shape, every row non-negative and summing to 1 (within 1e-4). Returns detached copies
// on each alpha tensor's device and dtype. Throws d2a::Error (bad input) naming `what`.
std::vector<torch::Tensor> checked_op_weights(const std::vector<torch::Tensor>& weights,
                                              const std::vector<torch::Tensor>& alphas,
                                              const std::string& what);

// Copies the searcher's allowed-op masks (set_allowed_ops) into `masks` (bool buffers shaped
// like the alphas); an empty list allows every op again. Throws d2a::Error (bad input) naming
// `what` on a count or shape mismatch or an edge with no allowed op.
void set_allowed_masks(std::vector<torch::Tensor>& masks, const std::vector<torch::Tensor>& allowed,
                       const std::string& what);

// betas [E] -> [E]: the softmax of the betas of each node's incoming edges, the edges of node n
// being [node_first_edge[n], node_first_edge[n + 1]) (consecutive, covering 0..E-1).
torch::Tensor node_edge_weights(const torch::Tensor& betas,
                                const std::vector<int>& node_first_edge);

}  // namespace d2a
