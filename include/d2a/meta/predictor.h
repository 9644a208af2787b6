#pragma once
// MetaD2A's performance predictor: how well a cell does on a dataset, as a standardised accuracy.
// score = MLP([GraphEncoder(cell), dataset vector]) with MLP = Linear, ReLU, Linear(-> 1).
// With `prior` (d2a's addition, not in MetaD2A), the score is
//   prior(cell) + residual_weight * MLP([cell, dataset]),
// where prior = Linear, ReLU, Linear(-> 1) of the cell embedding alone: a dataset-agnostic
// notion of cell quality that meta-training fits to fully trained benchmark columns (CIFAR-100,
// ImageNet16-120), while the dataset-conditioned MLP fits what each database task adds to it.
// The predictor owns its own SetEncoder (as in the paper, not shared with the generator), so a
// predictor directory is self-contained. To score many cells on one dataset, encode the dataset
// once and pass a [1, Ds] dataset vector: it broadcasts over the cells.
#include <nlohmann/json_fwd.hpp>
#include <torch/torch.h>

#include <filesystem>
#include <string>

#include "d2a/meta/graph_encoder.h"
#include "d2a/meta/set_encoder.h"

namespace d2a {

struct PredictorOptions {
  explicit PredictorOptions(int64_t input_dim) : set_encoder_(input_dim) {}
  TORCH_ARG(SetEncoderOptions, set_encoder);      // its output_dim is Ds
  TORCH_ARG(GraphEncoderOptions, graph_encoder);  // its output_dim is Dc
  TORCH_ARG(int64_t, mlp_hidden) = 512;
  TORCH_ARG(bool, prior) = false;
  // Weight of the dataset-conditioned term in score() when `prior` is on (1 = as trained).
  TORCH_ARG(double, residual_weight) = 1.0;
  // A task head: the dataset vector's mean and log spread of accuracy over cells, so that scores
  // standardised within each task (meta-train --standardise task) turn back into percent.
  TORCH_ARG(bool, task_stats) = false;
};

nlohmann::json to_json(const PredictorOptions& options);
PredictorOptions predictor_options_from_json(const nlohmann::json& json, const std::string& where);

class PredictorImpl : public torch::nn::Cloneable<PredictorImpl> {
 public:
  explicit PredictorImpl(const PredictorOptions& options);
  void reset() override;

  // features [B, K, n, D] -> dataset vectors [B, Ds] (SetEncoder::forward).
  torch::Tensor encode_dataset(const torch::Tensor& features);
  // op codes int64 [B, 6] (meta/cell_batch.h) -> cell embeddings [B, Dc].
  torch::Tensor embed_cells(const torch::Tensor& codes);
  // cell embeddings [B, Dc], dataset vectors [B, Ds] or [1, Ds] -> predictions [B].
  torch::Tensor score(const torch::Tensor& cell_embeddings, const torch::Tensor& dataset);
  // The dataset-agnostic prior: cell embeddings [B, Dc] -> [B]. Throws d2a::Error (bad input)
  // when the predictor has no prior.
  torch::Tensor prior_score(const torch::Tensor& cell_embeddings);
  // The dataset-conditioned term alone (the whole score without a prior): [B, Dc], [B or 1, Ds]
  // -> [B].
  torch::Tensor residual(const torch::Tensor& cell_embeddings, const torch::Tensor& dataset);
  // score(embed_cells(codes), dataset): op codes [B, 6], dataset [B or 1, Ds] -> [B].
  torch::Tensor forward(const torch::Tensor& codes, const torch::Tensor& dataset);
  // The task head: dataset vectors [B, Ds] -> [B, 2]: the task's mean accuracy over cells and
  // the log of its standard deviation, both on the scale of the model's global standardisation
  // (accuracy = global mean + global std * (mean + exp(log std) * score)). Throws d2a::Error
  // (bad input) when the predictor has no task head.
  torch::Tensor task_stats(const torch::Tensor& dataset);

  PredictorOptions options;

 private:
  SetEncoder set_encoder_{nullptr};
  GraphEncoder graph_encoder_{nullptr};
  torch::nn::Sequential head_{nullptr};
  torch::nn::Sequential prior_head_{nullptr};  // only with options.prior()
  torch::nn::Sequential task_head_{nullptr};   // only with options.task_stats()
};
TORCH_MODULE(Predictor);

inline constexpr const char* kPredictorKind = "predictor";

// A model directory (meta/model_dir.h) of kind "predictor"; `extra` keys are stored beside
// "options" in config.json (e.g. the accuracy mean and std the targets were standardised with).
void save_predictor(const std::filesystem::path& dir, const Predictor& predictor,
                    const nlohmann::json& extra);
// Rebuilds the predictor from dir/config.json, loads its weights, and returns it in eval mode.
Predictor load_predictor(const std::filesystem::path& dir);

}  // namespace d2a
