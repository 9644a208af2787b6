#pragma once
// The NAS-Bench-201 supernet: the benchmark's network (stem conv3x3 + BN; three stages of N
// cells at C, 2C, 4C separated by stride-2 residual blocks; BN, ReLU, global average pool,
// linear) whose every cell edge is a MixedOp over the candidate ops. All cells share one alpha
// tensor [6, ops] (xautodl's search networks do the same).
//
// Choices, following xautodl's NAS-Bench-201 search code and the DARTS paper:
// - The convolutions inside the cells use BatchNorm without scale and shift (affine=false) with
//   running statistics; the stem, the residual blocks and the last BN keep theirs.
// - alphas: 1e-3 * randn([6, ops]), the DARTS / xautodl initialisation.
// - Edge normalisation (PC-DARTS) uses one betas tensor [6] in edge order, 1e-3 * randn; node j
//   weighs its incoming edges by the softmax of their betas: node 1 over {0} (always 1), node 2
//   over {1, 2}, node 3 over {3, 4, 5}.
// - kGumbelHard draws its Gumbel noise on the CPU from torch's default CPU generator and moves
//   it to the alphas' device, so that a searcher checkpoints one generator state on any device
//   and a CPU and a GPU run draw the same samples. As in xautodl, one sample per forward serves
//   every cell, the logits are log_softmax(alpha) + g, and a draw with an infinite noise or a
//   non-finite probability is redrawn. The mixing itself is shared with the DARTS supernet
//   (supernet_mixing.h).
#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "d2a/nn/mixed_op.h"
#include "d2a/nn/nb201_ops.h"
#include "d2a/nn/supernet.h"
#include "d2a/space/nb201.h"

namespace d2a {

// Builds the module of one candidate op at `channels` channels. The default is make_nb201_op
// with affine=false; tests inject ops that count their calls.
using Nb201OpFactory = std::function<torch::nn::AnyModule(Nb201Op op, std::int64_t channels)>;

struct Nb201SearchCellOptions {
  Nb201SearchCellOptions(std::vector<Nb201Op> ops, std::int64_t channels)
      : ops_(std::move(ops)), channels_(channels) {}
  TORCH_ARG(std::vector<Nb201Op>, ops);  // the candidates, in alpha column order
  TORCH_ARG(std::int64_t, channels);
  TORCH_ARG(std::int64_t, partial_channels) = 1;  // PC-DARTS K
};

// One search cell: node 0 is the input, node j sums MixedOp_e(node i) over its incoming edges
// e = (i -> j), each optionally scaled by an edge weight; the output is node 3.
class Nb201SearchCellImpl : public torch::nn::Module {
 public:
  Nb201SearchCellImpl(const Nb201SearchCellOptions& options, const Nb201OpFactory& factory);
  // x [B, C, H, W], op_weights [6, ops], edge_weights [6] or undefined (every edge counts 1)
  // -> [B, C, H, W]
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& op_weights,
                        const torch::Tensor& edge_weights);

  Nb201SearchCellOptions options;
  std::vector<MixedOp> edges;  // registered as "edge<e>"
};
TORCH_MODULE(Nb201SearchCell);

// Parameter names: "alphas" [6, ops], "betas" [6] (edge normalisation only); buffer "allowed"
// [6, ops] (non-zero = allowed); submodules "stem_conv", "stem_bn", "stage<s>_cell<i>",
// "reduce<s>", "last_bn", "classifier".
class Nb201SupernetImpl : public Supernet {
 public:
  // Throws d2a::Error (bad input) on non-positive sizes, fewer than 2 classes, unknown or
  // repeated op names, or channels not divisible by partial_channels.
  explicit Nb201SupernetImpl(const SupernetOptions& options, Nb201OpFactory factory = {});

  // images [B, input_channels, H >= 8, W >= 8] -> logits [B, num_classes]
  torch::Tensor forward(const torch::Tensor& images) override;
  std::vector<torch::Tensor> weights() override;
  std::vector<torch::Tensor> arch_parameters() override;
  std::vector<torch::Tensor> alphas() override { return {alphas_}; }
  std::vector<std::string> op_names() const override;
  void set_mixing(const SupernetMixing& mixing) override;
  SupernetMixing mixing() const override { return mixing_; }
  void set_op_weights(const std::vector<torch::Tensor>& weights) override;
  void set_allowed_ops(const std::vector<torch::Tensor>& allowed) override;
  std::string genotype() override;

  // The op weights the next forward uses under the current mode, [6, ops]. kGumbelHard draws a
  // fresh sample on every call.
  torch::Tensor op_weights();
  // [6]: each edge's weight within its node (softmax of the betas per node); undefined when
  // edge normalisation is off.
  torch::Tensor edge_weights();
  const SupernetOptions& options() const { return options_; }
  const std::vector<Nb201Op>& ops() const { return ops_; }

 private:
  torch::Tensor allowed_mask() const;  // [6, ops] bool on the alphas' device

  SupernetOptions options_;
  std::vector<Nb201Op> ops_;
  SupernetMixing mixing_;
  torch::Tensor given_;  // kGiven: [6, ops], detached
  torch::Tensor alphas_;
  torch::Tensor betas_;
  torch::Tensor allowed_;
  torch::nn::Conv2d stem_conv_{nullptr};
  torch::nn::BatchNorm2d stem_bn_{nullptr};
  std::vector<std::vector<Nb201SearchCell>> stages_;
  std::vector<Nb201ResidualBlock> reductions_;  // before stages 1 and 2
  torch::nn::BatchNorm2d last_bn_{nullptr};
  torch::nn::Linear classifier_{nullptr};
};
TORCH_MODULE(Nb201Supernet);

}  // namespace d2a
