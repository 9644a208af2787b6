#pragma once
// The DARTS evaluation network around one genotype (NetworkCIFAR of the DARTS code): stem
// conv3x3 (input channels -> 3C) + BN; `layers` cells, the ones at layers/3 and 2*layers/3
// reduction cells that halve the size and double C; global average pool and a linear
// classifier; optionally an auxiliary head on the output of the cell at 2*layers/3 and drop path
// on the cells' non-identity ops while training.
#include <torch/torch.h>

#include <cstdint>
#include <vector>

#include "d2a/nn/darts_ops.h"
#include "d2a/space/darts_genotype.h"

namespace d2a {

// DARTS' drop_path: each sample of x [B, ...] is zeroed with probability drop_prob and the
// survivors are scaled by 1 / (1 - drop_prob). drop_prob in [0, 1); 0 returns x itself. Draws
// from torch's global generator.
torch::Tensor drop_path(const torch::Tensor& x, double drop_prob);

struct DartsCellOptions {
  DartsCellOptions(DartsCellGenotype genotype, std::int64_t prev_prev_channels,
                   std::int64_t prev_channels, std::int64_t channels)
      : genotype_(std::move(genotype)),
        prev_prev_channels_(prev_prev_channels),
        prev_channels_(prev_channels),
        channels_(channels) {}
  TORCH_ARG(DartsCellGenotype, genotype);  // a validated cell (DartsGenotype's normal or reduce)
  TORCH_ARG(std::int64_t, prev_prev_channels);  // channels of input s0
  TORCH_ARG(std::int64_t, prev_channels);       // channels of input s1
  TORCH_ARG(std::int64_t, channels);            // C of every op in the cell
  TORCH_ARG(bool, reduction) = false;       // ops reading states 0 and 1 have stride 2
  TORCH_ARG(bool, reduction_prev) = false;  // s0 is twice s1's size: preprocess0 halves it
};

// One cell. preprocess0 maps s0 to C channels (FactorizedReduce when the previous cell reduced,
// else ReLUConvBN 1x1), preprocess1 maps s1; intermediate node k sums its two genotype edges;
// the output concatenates the concat states. Submodules: "preprocess0", "preprocess1",
// "edge<i>" for the i-th genotype entry (a `none` entry is a Zero, as in DARTS' Cell).
class DartsCellImpl : public torch::nn::Cloneable<DartsCellImpl> {
 public:
  explicit DartsCellImpl(const DartsCellOptions& options);
  void reset() override;
  // s0 [B, prev_prev, H0, W0] (H0 = 2H when reduction_prev, else H), s1 [B, prev, H, W] ->
  // [B, concat.size() * C, H', W'] with H' = ceil(H / 2) in a reduction cell, else H. In
  // training, drop_path(drop_prob) is applied to the output of every edge that is not an identity
  // (skip_connect at stride 1), as in DARTS.
  torch::Tensor forward(const torch::Tensor& s0, const torch::Tensor& s1, double drop_prob = 0);
  std::int64_t out_channels() const;

  DartsCellOptions options;
  torch::nn::AnyModule preprocess0;
  ReluConvBn preprocess1{nullptr};
  std::vector<torch::nn::AnyModule> edges;  // one per genotype entry
};
TORCH_MODULE(DartsCell);

struct DartsAuxiliaryHeadOptions {
  DartsAuxiliaryHeadOptions(std::int64_t in_channels, std::int64_t num_classes)
      : in_channels_(in_channels), num_classes_(num_classes) {}
  TORCH_ARG(std::int64_t, in_channels);
  TORCH_ARG(std::int64_t, num_classes);
};

// AuxiliaryHeadCIFAR: ReLU, AvgPool2d(5, stride 3, count_include_pad=false) to 2x2, conv1x1 to
// 128, BN, ReLU, conv2x2 to 768, BN, ReLU, linear. The pool runs in ceil mode, which gives the
// DARTS 2x2 on the 8x8 maps of 32x32 images and also 2x2 on the 7x7 maps of 28x28 ones (DARTS'
// floor mode would give 1x1 there and the 2x2 conv would fail); maps whose pooled size is not
// 2x2 (under 6 or over 8 pixels) are average-pooled adaptively to 2x2 instead.
class DartsAuxiliaryHeadImpl : public torch::nn::Cloneable<DartsAuxiliaryHeadImpl> {
 public:
  explicit DartsAuxiliaryHeadImpl(const DartsAuxiliaryHeadOptions& options);
  void reset() override;
  // [B, in, H, W] -> logits [B, num_classes]
  torch::Tensor forward(const torch::Tensor& x);

  DartsAuxiliaryHeadOptions options;
  torch::nn::Conv2d conv1{nullptr};
  torch::nn::BatchNorm2d bn1{nullptr};
  torch::nn::Conv2d conv2{nullptr};
  torch::nn::BatchNorm2d bn2{nullptr};
  torch::nn::Linear classifier{nullptr};
};
TORCH_MODULE(DartsAuxiliaryHead);

struct DartsNetworkOptions {
  explicit DartsNetworkOptions(DartsGenotype genotype) : genotype_(std::move(genotype)) {}
  TORCH_ARG(DartsGenotype, genotype);
  TORCH_ARG(std::int64_t, channels) = 36;  // C of the first cells (the stem has 3C)
  TORCH_ARG(std::int64_t, layers) = 20;    // cells in total, reductions included
  TORCH_ARG(std::int64_t, input_channels) = 3;
  TORCH_ARG(std::int64_t, num_classes) = 10;
  TORCH_ARG(bool, auxiliary) = false;  // build the auxiliary head
  // Drop path probability used in training; the trainer raises it epoch by epoch with
  // set_drop_path_prob. In [0, 1).
  TORCH_ARG(double, drop_path_prob) = 0.0;
};

// forward's result. aux_logits is defined only in training mode with an auxiliary head.
struct DartsNetworkOutput {
  torch::Tensor logits;      // [B, num_classes]
  torch::Tensor aux_logits;  // [B, num_classes] or undefined
};

// Submodule names: "stem_conv", "stem_bn", "cell<i>", "auxiliary_head", "classifier".
class DartsNetworkImpl : public torch::nn::Cloneable<DartsNetworkImpl> {
 public:
  // Throws d2a::Error (bad input) on non-positive channels, layers or input channels, fewer
  // than 2 classes, or a drop path probability outside [0, 1).
  explicit DartsNetworkImpl(const DartsNetworkOptions& options);
  void reset() override;
  // images [B, input_channels, H, W] (H, W >= 8) -> logits, and the auxiliary logits in
  // training mode when the network has the head.
  DartsNetworkOutput forward(const torch::Tensor& images);
  // Throws d2a::Error (bad input) outside [0, 1).
  void set_drop_path_prob(double p);
  // Trainable parameters without the auxiliary head: the count the DARTS papers publish
  // (count_parameters_in_MB skips "auxiliary"). DARTS_V2 at C36, 20 layers, 10 classes:
  // 3,349,342.
  std::int64_t num_parameters() const;
  // All trainable parameters, the auxiliary head's included.
  std::int64_t num_parameters_with_auxiliary() const;
  // Index of the cell whose output feeds the auxiliary head: 2 * layers / 3.
  std::int64_t auxiliary_cell() const { return 2 * options.layers() / 3; }

  DartsNetworkOptions options;
  torch::nn::Conv2d stem_conv{nullptr};
  torch::nn::BatchNorm2d stem_bn{nullptr};
  std::vector<DartsCell> cells;
  DartsAuxiliaryHead auxiliary_head{nullptr};  // null unless options.auxiliary()
  torch::nn::Linear classifier{nullptr};
};
TORCH_MODULE(DartsNetwork);

}  // namespace d2a
