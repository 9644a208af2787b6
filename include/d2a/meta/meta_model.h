#pragma once
// A trained MetaD2A meta-model: what `d2a meta-train` writes and `d2a suggest` reads.
//
// Directory layout (format_version 1):
//   model.json      {"format_version": 1, "kind": "d2a-meta-model", "d2a_version",
//                    "accuracy_mean", "accuracy_std" (standardisation of predictor targets),
//                    "images_per_class" (n of each dataset draw, 20), "feature_extractor" (id),
//                    "training": {databases, benchmark columns used, seeds, command, metrics}}
//   extractor/      the default feature extractor (FeatureExtractor::load), unless model.json
//                   names an external one
//   generator/      save_generator / load_generator (include/d2a/meta/generator.h)
//   predictor/      save_predictor / load_predictor (include/d2a/meta/predictor.h)
//   space_embeddings.pt  (optional) the predictor's embedding of every cell of the space, [15625,
//                   Dc] in dense order: scoring the whole space then costs a head, not 15,625
//                   graph encodings (suggest's percentiles); checked against fresh embeddings of
//                   a few cells when loaded
//   MODEL_CARD.md   data, seeds, command, metrics, limits (for people)
// model.json may also hold "dataset_gate" (meta/dataset_gate.h): the residual weight then
// depends on how far the data lies from the meta-database's tasks.
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "d2a/meta/dataset_gate.h"
#include "d2a/meta/feature_extractor.h"
#include "d2a/meta/generator.h"
#include "d2a/meta/model_config.h"
#include "d2a/meta/predictor.h"

namespace d2a {

struct MetaModel {
  FeatureExtractor extractor;
  Generator generator{nullptr};
  Predictor predictor{nullptr};
  double accuracy_mean = 0;  // predictor output * std + mean = predicted accuracy in percent
  double accuracy_std = 1;
  int images_per_class = 20;
  nlohmann::json info;  // model.json as read (training provenance, metrics)
  std::optional<DatasetGate> gate;  // model.json's "dataset_gate", when it has one
  torch::Tensor space_embeddings;   // [15625, Dc] or undefined (no cache in the directory)
};

// Loads a meta-model directory; modules come back in eval mode. Throws d2a::Error (bad input)
// naming the file for a missing directory or file, another format_version, or corrupt weights.
MetaModel load_meta_model(const std::string& dir);

// Writes the directory (each part atomically), model.json from `model` (info is merged into it)
// and `model_card` as MODEL_CARD.md.
void save_meta_model(const std::string& dir, const MetaModel& model, const std::string& model_card);

// Embeds every cell of the space with the model's predictor and writes dir/space_embeddings.pt
// (atomically). Returns the embeddings.
torch::Tensor save_space_embeddings(const std::string& dir, const MetaModel& model);

}  // namespace d2a
