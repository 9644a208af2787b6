#include "d2a/meta/predictor.h"

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "d2a/error.h"
#include "d2a/meta/model_dir.h"
#include "json_fields.h"

namespace d2a {

nlohmann::json to_json(const PredictorOptions& options) {
  return {{"set_encoder", to_json(options.set_encoder())},
          {"graph_encoder", to_json(options.graph_encoder())},
          {"mlp_hidden", options.mlp_hidden()},
          {"prior", options.prior()},
          {"residual_weight", options.residual_weight()},
          {"task_stats", options.task_stats()}};
}

PredictorOptions predictor_options_from_json(const nlohmann::json& json, const std::string& where) {
  const SetEncoderOptions set_encoder = set_encoder_options_from_json(
      meta_json::field(json, "set_encoder", where), where + " (set_encoder)");
  PredictorOptions options(set_encoder.input_dim());
  return options.set_encoder(set_encoder)
      .graph_encoder(graph_encoder_options_from_json(meta_json::field(json, "graph_encoder", where),
                                                     where + " (graph_encoder)"))
      .mlp_hidden(meta_json::integer(json, "mlp_hidden", where))
      // Predictors saved before the prior existed have neither field: no prior.
      .prior(json.contains("prior") ? meta_json::boolean(json, "prior", where) : false)
      .residual_weight(json.contains("residual_weight")
                           ? meta_json::number(json, "residual_weight", where)
                           : 1.0)
      .task_stats(json.contains("task_stats") ? meta_json::boolean(json, "task_stats", where)
                                              : false);
}

PredictorImpl::PredictorImpl(const PredictorOptions& options_) : options(options_) { reset(); }

void PredictorImpl::reset() {
  if (options.mlp_hidden() < 1) {
    throw bad_input("predictor: mlp_hidden must be >= 1 (got " +
                    std::to_string(options.mlp_hidden()) + ")");
  }
  set_encoder_ = register_module("set_encoder", SetEncoder(options.set_encoder()));
  graph_encoder_ = register_module("graph_encoder", GraphEncoder(options.graph_encoder()));
  const int64_t joint = options.graph_encoder().output_dim() + options.set_encoder().output_dim();
  head_ = register_module(
      "head", torch::nn::Sequential(torch::nn::Linear(joint, options.mlp_hidden()),
                                    torch::nn::ReLU(),
                                    torch::nn::Linear(options.mlp_hidden(), 1)));
  prior_head_ = nullptr;
  if (options.prior()) {
    const int64_t cell_dim = options.graph_encoder().output_dim();
    prior_head_ = register_module(
        "prior_head", torch::nn::Sequential(torch::nn::Linear(cell_dim, options.mlp_hidden()),
                                            torch::nn::ReLU(),
                                            torch::nn::Linear(options.mlp_hidden(), 1)));
  }
  task_head_ = nullptr;
  if (options.task_stats()) {
    constexpr int64_t kTaskHidden = 64;  // two numbers from a 56-dim vector: a small head will do
    task_head_ = register_module(
        "task_head",
        torch::nn::Sequential(torch::nn::Linear(options.set_encoder().output_dim(), kTaskHidden),
                              torch::nn::ReLU(), torch::nn::Linear(kTaskHidden, 2)));
  }
}

torch::Tensor PredictorImpl::encode_dataset(const torch::Tensor& features) {
  return set_encoder_(features);
}

torch::Tensor PredictorImpl::embed_cells(const torch::Tensor& codes) { return graph_encoder_(codes); }

namespace {

void check_cell_embeddings(const torch::Tensor& cell_embeddings, int64_t cell_dim) {
  if (cell_embeddings.dim() != 2 || cell_embeddings.size(1) != cell_dim) {
    throw bad_input("predictor: cell embeddings must be [B, " + std::to_string(cell_dim) +
                    "], got " + c10::str(cell_embeddings.sizes()));
  }
}

}  // namespace

torch::Tensor PredictorImpl::prior_score(const torch::Tensor& cell_embeddings) {
  if (!options.prior()) throw bad_input("predictor: this predictor has no prior term");
  check_cell_embeddings(cell_embeddings, options.graph_encoder().output_dim());
  return prior_head_->forward(cell_embeddings).squeeze(1);
}

torch::Tensor PredictorImpl::score(const torch::Tensor& cell_embeddings,
                                   const torch::Tensor& dataset) {
  if (!options.prior()) return residual(cell_embeddings, dataset);
  return prior_score(cell_embeddings) +
         options.residual_weight() * residual(cell_embeddings, dataset);
}

torch::Tensor PredictorImpl::residual(const torch::Tensor& cell_embeddings,
                                      const torch::Tensor& dataset) {
  const int64_t cell_dim = options.graph_encoder().output_dim();
  const int64_t dataset_dim = options.set_encoder().output_dim();
  check_cell_embeddings(cell_embeddings, cell_dim);
  const int64_t batch = cell_embeddings.size(0);
  if (dataset.dim() != 2 || dataset.size(1) != dataset_dim ||
      (dataset.size(0) != batch && dataset.size(0) != 1)) {
    throw bad_input("predictor: dataset vectors must be [" + std::to_string(batch) + " or 1, " +
                    std::to_string(dataset_dim) + "], got " + c10::str(dataset.sizes()));
  }
  const torch::Tensor joint =
      torch::cat({cell_embeddings, dataset.expand({batch, dataset_dim})}, 1);
  return head_->forward(joint).squeeze(1);
}

torch::Tensor PredictorImpl::forward(const torch::Tensor& codes, const torch::Tensor& dataset) {
  return score(embed_cells(codes), dataset);
}

torch::Tensor PredictorImpl::task_stats(const torch::Tensor& dataset) {
  if (!options.task_stats()) throw bad_input("predictor: this predictor has no task head");
  const int64_t dataset_dim = options.set_encoder().output_dim();
  if (dataset.dim() != 2 || dataset.size(1) != dataset_dim) {
    throw bad_input("predictor: dataset vectors must be [B, " + std::to_string(dataset_dim) +
                    "], got " + c10::str(dataset.sizes()));
  }
  return task_head_->forward(dataset);
}

void save_predictor(const std::filesystem::path& dir, const Predictor& predictor,
                    const nlohmann::json& extra) {
  save_model_dir(dir, *predictor,
                 make_model_config(kPredictorKind, to_json(predictor->options), extra));
}

Predictor load_predictor(const std::filesystem::path& dir) {
  return load_model_dir<Predictor>(dir, kPredictorKind, predictor_options_from_json);
}

}  // namespace d2a
