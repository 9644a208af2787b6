#pragma once
// The contract between search spaces and searchers: a weight-sharing network whose every cell
// edge mixes all candidate ops, with its network weights and its architecture parameters handed
// out separately (the searchers step them with different optimisers). Implemented by the
// NAS-Bench-201 supernet (nb201_supernet.h) and the DARTS-space supernet (darts_supernet.h);
// built by name with make_supernet. Searchers (search/) only see this interface.
#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace d2a {

// How a supernet turns alphas into the weights of the ops on each edge.
enum class MixingMode {
  kSoftmax,     // DARTS, PC-DARTS, StacNAS: w = softmax(alpha) per edge; every op runs.
  kGumbelHard,  // GDAS: w = one-hot argmax of softmax((alpha + g) / tau), g ~ Gumbel(0, 1), with
                // the straight-through gradient of the soft sample; only the chosen op runs.
  kGiven,       // MS-DARTS: w = the rows handed to set_op_weights (each on the simplex).
};

struct SupernetMixing {
  MixingMode mode = MixingMode::kSoftmax;
  double tau = 1.0;  // Gumbel-softmax temperature (kGumbelHard only)
};

struct SupernetOptions {
  TORCH_ARG(std::int64_t, channels) = 16;  // C of the first stage
  // NAS-Bench-201: cells per stage (N, 5 in the benchmark). DARTS: cells in total (8), the
  // reduction cells sitting at 1/3 and 2/3 of the depth.
  TORCH_ARG(std::int64_t, cells) = 5;
  TORCH_ARG(std::int64_t, input_channels) = 3;
  TORCH_ARG(std::int64_t, num_classes) = 10;
  // Candidate ops, by name, in the order of the alpha columns. Empty: the whole space in its
  // code order (nb201_op_names() / darts_op_names()). StacNAS stage 1 passes the cluster
  // representatives here.
  TORCH_ARG(std::vector<std::string>, ops) = {};
  // PC-DARTS: 1/K of the channels go through the mixed op, the rest bypass it, then channel
  // shuffle with K groups. 1 means no partial channels. channels must be divisible by K.
  TORCH_ARG(std::int64_t, partial_channels) = 1;
  // PC-DARTS edge normalisation: node j sums its incoming edges weighted by softmax(beta_j).
  TORCH_ARG(bool, edge_normalisation) = false;
};

// Forward contract: images [B, input_channels, H, W] -> logits [B, num_classes].
class Supernet : public torch::nn::Module {
 public:
  ~Supernet() override = default;
  virtual torch::Tensor forward(const torch::Tensor& images) = 0;

  // Everything trained by the weight optimiser (convs, BN affines, classifier). Never alphas.
  virtual std::vector<torch::Tensor> weights() = 0;
  // Everything trained by the architecture optimiser: alphas(), then the betas when edge
  // normalisation is on.
  virtual std::vector<torch::Tensor> arch_parameters() = 0;
  // One [edges, ops] tensor per cell type, leaves with requires_grad: NAS-Bench-201 has one
  // ([6, ops]); DARTS has two, normal then reduce ([14, ops] each).
  virtual std::vector<torch::Tensor> alphas() = 0;
  // The names of the alpha columns (the options' ops, or the whole space).
  virtual std::vector<std::string> op_names() const = 0;

  virtual void set_mixing(const SupernetMixing& mixing) = 0;
  virtual SupernetMixing mixing() const = 0;
  // MS-DARTS: explicit op weights, one tensor per alphas() entry and of the same shape, rows on
  // the simplex; used while the mode is kGiven. Throws d2a::Error on a shape mismatch.
  virtual void set_op_weights(const std::vector<torch::Tensor>& weights) = 0;
  // StacNAS stage 2 (and warm starts): allowed[e][o] == false removes op o from edge e (its
  // weight is 0 and it does not run). One bool tensor per alphas() entry; empty = allow all.
  virtual void set_allowed_ops(const std::vector<torch::Tensor>& allowed) = 0;

  // The discrete architecture the current alphas encode, as the space's canonical string: an
  // NB201 cell string (argmax op per edge) or a DARTS genotype string (top-2 inputs per node by
  // the largest non-`none` weight, argmax non-`none` op on each).
  virtual std::string genotype() = 0;
};

// "nb201" or "darts"; throws d2a::Error (bad input) naming the space and listing the valid ones.
std::shared_ptr<Supernet> make_supernet(std::string_view space, const SupernetOptions& options);
std::vector<std::string> supernet_space_names();

}  // namespace d2a
