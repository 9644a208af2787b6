#pragma once
// The NAS-Bench-201 network around one fixed cell: stem conv3x3 + BN; three stages of N cells at
// C, 2C, 4C channels separated by stride-2 residual blocks; BN, ReLU, global average pool,
// linear. Its trainable parameter count equals nb201_network_cost(cell, config).params.
#include <torch/torch.h>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "d2a/nn/nb201_ops.h"
#include "d2a/space/nb201.h"
#include "d2a/space/nb201_cost.h"

namespace d2a {

struct Nb201FixedCellOptions {
  Nb201FixedCellOptions(Nb201Cell cell, std::int64_t channels) : cell_(cell), channels_(channels) {}
  TORCH_ARG(Nb201Cell, cell);
  TORCH_ARG(std::int64_t, channels);
};

// One cell: node 0 is the input, node j (1..3) sums op_e(node i) over the edges e = (i -> j)
// of kNb201Edges, the output is node 3. `none` edges have no module and no run-time cost; a
// node whose inputs are all `none` is zero (a convolution that reads it still runs, as in the
// benchmark, so its BN shift reaches the output).
class Nb201FixedCellImpl : public torch::nn::Cloneable<Nb201FixedCellImpl> {
 public:
  explicit Nb201FixedCellImpl(const Nb201FixedCellOptions& options);
  void reset() override;
  // [B, C, H, W] -> [B, C, H, W]
  torch::Tensor forward(const torch::Tensor& x);

  Nb201FixedCellOptions options;
  // edges[e] is the module of edge e, registered as "edge<e>"; empty for `none`.
  std::array<torch::nn::AnyModule, kNb201NumEdges> edges;
};
TORCH_MODULE(Nb201FixedCell);

struct Nb201NetworkOptions {
  // `macro` gives channels (C), cells_per_stage (N), input_channels and num_classes; its
  // image_size is informative only (the network takes any input of 8x8 or more).
  explicit Nb201NetworkOptions(Nb201Cell cell, Nb201MacroConfig macro = {})
      : cell_(cell), macro_(macro) {}
  TORCH_ARG(Nb201Cell, cell);
  TORCH_ARG(Nb201MacroConfig, macro);
};

// Submodule names (the prefixes of parameter names in state dicts and exports): "stem_conv",
// "stem_bn", "stage<s>_cell<i>" (s = 0, 1, 2), "reduce<s>" (s = 1, 2, before stage s),
// "last_bn", "classifier".
class Nb201NetworkImpl : public torch::nn::Cloneable<Nb201NetworkImpl> {
 public:
  // Throws d2a::Error (bad input) on non-positive channels / cells / input channels or fewer
  // than 2 classes.
  explicit Nb201NetworkImpl(const Nb201NetworkOptions& options);
  void reset() override;
  // images [B, input_channels, H, W] (H, W >= 8) -> logits [B, num_classes]
  torch::Tensor forward(const torch::Tensor& images);
  // Trainable parameters (what nb201_network_cost counts).
  std::int64_t num_parameters() const;
  // For inference only, as a deployed network runs (latency measurement): folds every BN that
  // follows a convolution (stem, ReLU-Conv-BN ops, residual blocks) into it; last_bn, which
  // follows a sum, stays. Eval mode, after any move to a device or layout; forward then throws
  // std::logic_error in training mode. Outputs equal the unfolded eval forward's to rounding.
  void fold_batch_norms();

  Nb201NetworkOptions options;
  torch::nn::Conv2d stem_conv{nullptr};
  torch::nn::BatchNorm2d stem_bn{nullptr};
  std::vector<torch::nn::AnyModule> body;  // cells and residual blocks, in forward order
  torch::nn::BatchNorm2d last_bn{nullptr};
  torch::nn::Linear classifier{nullptr};

 private:
  FoldedConv folded_stem_;  // undefined tensors until fold_batch_norms()
};
TORCH_MODULE(Nb201Network);

}  // namespace d2a
