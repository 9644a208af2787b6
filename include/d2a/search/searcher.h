#pragma once
// One differentiable architecture search as a set of lifecycle hooks (NASLib / xautodl style):
// the driver (search_run.h) calls new_epoch before every epoch and step for every pair of a
// training and a validation batch, then asks for the genotype. Every method (DARTS first and
// second order, PC-DARTS, MS-DARTS, StacNAS, GDAS) is one Searcher, built by make_searcher.
#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "d2a/nn/supernet.h"
#include "d2a/search/searcher_config.h"

namespace d2a {

struct Batch {
  torch::Tensor images;  // [B, C, H, W] float, on the searcher's device
  torch::Tensor labels;  // [B] int64 in [0, num_classes)
};

// A step's figures as scalars (0-dim tensors) on the searcher's device, so that a step never
// waits for the device; .item<double>() reads one back, which on a GPU waits for the step.
struct SearchStepStats {
  torch::Tensor train_loss;      // the weight step's batch: mean cross-entropy
  torch::Tensor train_accuracy;  // percent
  // false while the architecture is frozen (warm-up): the valid fields are then undefined.
  bool arch_step = false;
  torch::Tensor valid_loss;  // the architecture step's batch
  torch::Tensor valid_accuracy;
};

class Searcher {
 public:
  virtual ~Searcher() = default;

  virtual std::string name() const = 0;  // the make_searcher name
  virtual const SearcherConfig& config() const = 0;
  virtual torch::Device device() const = 0;

  // Before epoch `epoch` (0-based) of `epochs`: learning-rate schedule, temperature, the
  // perturbation width, warm-up, StacNAS's stage switch.
  virtual void new_epoch(int epoch, int epochs) = 0;
  // One architecture step and one weight step (in the method's order) on two batches of the
  // two halves of the training data. The batches must be on device().
  virtual SearchStepStats step(const Batch& train, const Batch& valid) = 0;

  // The discrete architecture of the current alphas (the space's canonical string).
  virtual std::string genotype() = 0;
  // The architecture parameters: one [edges, ops] tensor per cell type (supernet().alphas()).
  virtual std::vector<torch::Tensor> alphas() = 0;
  // softmax(alphas) over each edge's allowed ops (0 for the others), detached, on the CPU.
  virtual std::vector<torch::Tensor> op_weights() = 0;
  virtual std::vector<std::string> op_names() const = 0;  // the alpha columns
  // The name of each alphas() entry: {"cell"} on nb201, {"normal", "reduce"} on darts.
  virtual std::vector<std::string> cell_types() const = 0;
  virtual Supernet& supernet() = 0;

  virtual int epoch() const = 0;            // of the last new_epoch
  virtual int epochs() const = 0;           // 0 before the first new_epoch
  virtual std::int64_t steps() const = 0;  // steps taken in total

  // Everything an exact resume needs: the supernet (weights, alphas, betas, BN statistics,
  // masks), both optimisers' states, the counters, the method's own state and the state of
  // torch's default CPU generator (the source of the Gumbel noise and the mean-shift samples).
  // load() restores it into a searcher made by make_searcher with the same name and config,
  // after which step() continues as the saved searcher would have; it restores the global
  // generator too. Throws d2a::Error (bad input) on another method or config.
  virtual void save(torch::serialize::OutputArchive& archive) = 0;
  virtual void load(torch::serialize::InputArchive& archive) = 0;
};

// "darts" (first order), "darts2" (second order), "pc-darts", "ms-darts", "stacnas", "gdas".
// Seeds torch's global generator with config.seed and builds the supernet on `device`. Throws
// d2a::Error (bad input) on an unknown name (listing the valid ones) or an invalid config.
std::unique_ptr<Searcher> make_searcher(std::string_view name, const SearcherConfig& config,
                                        torch::Device device = torch::kCPU);
std::vector<std::string> searcher_names();

// Mean cross-entropy of the supernet on `batch` (a graph for backward) and the batch accuracy
// in percent (a 0-dim float64 tensor on the batch's device). The forward pass runs in
// `precision` ("fp32" or "bf16", train/precision.h), the loss in float32.
struct BatchLoss {
  torch::Tensor loss;
  torch::Tensor accuracy;
};
BatchLoss batch_loss(Supernet& net, const Batch& batch, const std::string& precision = "fp32");

}  // namespace d2a
