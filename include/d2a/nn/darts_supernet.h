#pragma once
// The DARTS-space supernet (the search Network of the DARTS and PC-DARTS code): stem conv3x3
// (input channels -> 3C) + BN; `cells` cells, those at cells/3 and 2*cells/3 reduction cells that
// halve the size and double C; global average pool and a linear classifier. Every cell has the
// 14 candidate edges of the space (intermediate node k reads states 0..k+1), each a MixedOp over
// the candidate ops built by make_darts_op(affine=false); the ops of reduction edges that read
// the two cell inputs have stride 2. All normal cells share one alpha tensor [14, ops], all
// reduction cells another.
//
// Choices, following the DARTS / PC-DARTS code:
// - alphas: 1e-3 * randn([14, ops]) each; betas (edge normalisation): 1e-3 * randn([14]) each.
// - Edge order: node 0 reads states 0, 1 (edges 0, 1), node 1 states 0..2 (edges 2..4), node 2
//   states 0..3 (5..8), node 3 states 0..4 (9..13); edge normalisation takes the softmax of the
//   betas of each node's edges.
// - preprocess0 / preprocess1 and all op BatchNorms are affine-free; the stem BN is affine.
// - The cell output concatenates the 4 intermediate states (multiplier 4).
// - genotype(): per cell type, w = softmax(alphas) over the allowed ops (times the edge weight
//   when edge normalisation is on, as PC-DARTS does); for each node the 2 incoming edges with the
//   largest non-`none` weight are kept, best first (ties: the lower state), each with its
//   argmax non-`none` op; concat [2, 3, 4, 5].
#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "d2a/nn/mixed_op.h"
#include "d2a/nn/nb201_ops.h"
#include "d2a/nn/supernet.h"
#include "d2a/space/darts_genotype.h"

namespace d2a {

// DARTS' search defaults: C16 and 8 cells (SupernetOptions' own cells default, 5, is the
// NAS-Bench-201 N).
inline SupernetOptions darts_supernet_options() { return SupernetOptions().channels(16).cells(8); }

struct DartsSearchCellOptions {
  DartsSearchCellOptions(std::vector<DartsOp> ops, std::int64_t prev_prev_channels,
                         std::int64_t prev_channels, std::int64_t channels)
      : ops_(std::move(ops)),
        prev_prev_channels_(prev_prev_channels),
        prev_channels_(prev_channels),
        channels_(channels) {}
  TORCH_ARG(std::vector<DartsOp>, ops);  // the candidates, in alpha column order
  TORCH_ARG(std::int64_t, prev_prev_channels);
  TORCH_ARG(std::int64_t, prev_channels);
  TORCH_ARG(std::int64_t, channels);
  TORCH_ARG(bool, reduction) = false;
  TORCH_ARG(bool, reduction_prev) = false;
  TORCH_ARG(std::int64_t, partial_channels) = 1;  // PC-DARTS K
};

// One search cell. Submodules "preprocess0", "preprocess1", "edge<e>" (e = 0..13).
class DartsSearchCellImpl : public torch::nn::Module {
 public:
  explicit DartsSearchCellImpl(const DartsSearchCellOptions& options);
  // s0 [B, prev_prev, H0, W0], s1 [B, prev, H, W], op_weights [14, ops], edge_weights [14] or
  // undefined (every edge counts 1) -> [B, 4C, H', W'] (H' = ceil(H / 2) when reducing).
  torch::Tensor forward(const torch::Tensor& s0, const torch::Tensor& s1,
                        const torch::Tensor& op_weights, const torch::Tensor& edge_weights);

  DartsSearchCellOptions options;
  torch::nn::AnyModule preprocess0;
  ReluConvBn preprocess1{nullptr};
  std::vector<MixedOp> edges;
};
TORCH_MODULE(DartsSearchCell);

// Parameter names: "alphas_normal", "alphas_reduce" [14, ops]; "betas_normal", "betas_reduce"
// [14] (edge normalisation only); buffers "allowed_normal", "allowed_reduce" [14, ops] bool;
// submodules "stem_conv", "stem_bn", "cell<i>", "classifier".
class DartsSupernetImpl : public Supernet {
 public:
  // Throws d2a::Error (bad input) on non-positive sizes, fewer than 2 classes, unknown or
  // repeated op names, or channels not divisible by partial_channels (or C/K odd, which the
  // stride-2 skip_connect's two halves need).
  explicit DartsSupernetImpl(const SupernetOptions& options);

  // images [B, input_channels, H >= 8, W >= 8] -> logits [B, num_classes]
  torch::Tensor forward(const torch::Tensor& images) override;
  std::vector<torch::Tensor> weights() override;
  std::vector<torch::Tensor> arch_parameters() override;
  // {alphas_normal, alphas_reduce}
  std::vector<torch::Tensor> alphas() override { return {alphas_normal_, alphas_reduce_}; }
  std::vector<std::string> op_names() const override;
  void set_mixing(const SupernetMixing& mixing) override;
  SupernetMixing mixing() const override { return mixing_; }
  void set_op_weights(const std::vector<torch::Tensor>& weights) override;
  void set_allowed_ops(const std::vector<torch::Tensor>& allowed) override;
  std::string genotype() override;

  // The op weights the next forward uses, {normal, reduce} [14, ops] each (a fresh Gumbel
  // sample on every call under kGumbelHard).
  std::vector<torch::Tensor> op_weights();
  // {normal, reduce} [14] each: every edge's weight within its node; empty when edge
  // normalisation is off.
  std::vector<torch::Tensor> edge_weights();
  const SupernetOptions& options() const { return options_; }
  const std::vector<DartsOp>& ops() const { return ops_; }

 private:
  SupernetOptions options_;
  std::vector<DartsOp> ops_;
  SupernetMixing mixing_;
  std::vector<torch::Tensor> given_;  // kGiven: {normal, reduce}, detached
  torch::Tensor alphas_normal_, alphas_reduce_;
  torch::Tensor betas_normal_, betas_reduce_;
  std::vector<torch::Tensor> allowed_;  // {normal, reduce} registered buffers
  torch::nn::Conv2d stem_conv_{nullptr};
  torch::nn::BatchNorm2d stem_bn_{nullptr};
  std::vector<DartsSearchCell> cells_;
  torch::nn::Linear classifier_{nullptr};
};
TORCH_MODULE(DartsSupernet);

// The DARTS space's entry for make_supernet("darts", options).
std::shared_ptr<Supernet> make_darts_supernet(const SupernetOptions& options);

}  // namespace d2a
