#pragma once
// The settings of a differentiable search, with the published values as defaults (DARTS,
// PC-DARTS, MS-DARTS, GDAS, StacNAS; see DESIGN.md "The search backend"). One config serves
// every method; each method reads the common fields and its own group. No torch here.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace d2a {

// The network weights: SGD with momentum, cosine-annealed once per epoch (DARTS).
struct WeightOptimiserConfig {
  double lr = 0.025;
  double lr_min = 0.001;
  double momentum = 0.9;
  // Unset: the space's published value, 5e-4 on nb201 (xautodl) and 3e-4 on darts (DARTS).
  std::optional<double> weight_decay;
  double grad_clip = 5.0;  // max L2 norm of the weight gradient
};

// The architecture parameters: Adam (DARTS).
struct ArchOptimiserConfig {
  double lr = 3e-4;
  double beta1 = 0.5;
  double beta2 = 0.999;
  double weight_decay = 1e-3;
};

struct Darts2Config {
  // The finite-difference step of the Hessian-vector product: eps = r / ||v|| (DARTS: 0.01).
  double hvp_r = 0.01;
};

struct PcDartsConfig {
  int partial_channels = 4;  // K
  int warmup_epochs = 15;    // alphas and betas frozen before this epoch
  double weights_lr = 0.1;   // replaces weights.lr
  double arch_lr = 6e-4;     // replaces arch.lr (the PC-DARTS paper's CIFAR-10 value)
};

struct MsDartsConfig {
  int samples = 3;         // N
  double bandwidth = 1.0;  // h of the Gaussian kernel exp(-||s - p||^2 / h)
  int iterations = 2;      // T
  double eps_start = 0.025;  // the uniform perturbation's half-width, linear over the epochs
  double eps_end = 0.25;
  int warmup_epochs = 5;  // alphas frozen and no mean shift before this epoch
};

struct GdasConfig {
  double tau_max = 10.0;  // tau(epoch) = tau_max - (tau_max - tau_min) * epoch / (epochs - 1)
  double tau_min = 0.1;
};

struct StacNasConfig {
  // Stage 1 runs the first round(stage1_fraction * epochs) epochs (at least one).
  double stage1_fraction = 0.5;
  // SupernetOptions::cells of the shallow stage-1 network; 0: the space's, 1 cell per stage on
  // nb201 (of 5) and 5 cells in all on darts (of 8: the reductions at 1/3 and 2/3 remain).
  std::int64_t stage1_cells = 0;
  // Op clusters, each led by its representative (the op stage 1 searches over). Empty: the
  // space's clusters, on nb201 {none}, {skip_connect}, {avg_pool_3x3},
  // {nor_conv_3x3, nor_conv_1x1}; on darts {none}, {skip_connect}, {max_pool_3x3,
  // avg_pool_3x3}, {sep_conv_3x3, sep_conv_5x5, dil_conv_3x3, dil_conv_5x5}.
  std::vector<std::vector<std::string>> clusters;
};

struct SearcherConfig {
  std::string space = "nb201";  // make_supernet's name
  // The supernet's size (SupernetOptions): channels, cells, input channels, classes.
  std::int64_t channels = 16;
  std::int64_t cells = 5;
  std::int64_t input_channels = 3;
  std::int64_t num_classes = 10;
  // Seeds torch's global generator before the supernet is built; the searchers then draw every
  // random number (Gumbel noise, mean-shift samples) from it, and checkpoints carry its state.
  std::uint64_t seed = 0;
  // The forward passes' arithmetic, as a training recipe's (train/precision.h): "fp32" or
  // "bf16" autocast. The second-order architecture gradient (darts2) stays float32: its
  // finite-difference Hessian-vector product needs the precision.
  std::string precision = "fp32";
  WeightOptimiserConfig weights;
  ArchOptimiserConfig arch;
  Darts2Config darts2;
  PcDartsConfig pc_darts;
  MsDartsConfig ms_darts;
  GdasConfig gdas;
  StacNasConfig stacnas;

  double effective_weight_decay() const;
  std::int64_t effective_stage1_cells() const;
  std::vector<std::vector<std::string>> effective_clusters() const;
  // Throws d2a::Error (bad input) naming the first field out of range.
  void validate() const;

  // Every field, grouped as above ({"space", "channels", ..., "weights": {...}, "arch": {...},
  // "darts2": {...}, ...}), with the effective weight decay and clusters written out.
  // from_json takes missing fields from the defaults, rejects unknown ones and validates.
  nlohmann::json to_json() const;
  static SearcherConfig from_json(const nlohmann::json& json);
  // `d2a search --config FILE`: the JSON file, read and checked as from_json does; the fields
  // the command line and the data own (space, channels, cells, input_channels, num_classes,
  // seed) are refused. Every failure is one d2a::Error (bad input) naming the file.
  static SearcherConfig read_file(const std::string& path);
};

}  // namespace d2a
