#include "d2a/meta/meta_model.h"

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "d2a/error.h"
#include "d2a/meta/model_dir.h"
#include "d2a/version.h"
#include "json_fields.h"

namespace d2a {
namespace fs = std::filesystem;
namespace {

constexpr const char* kModelJson = "model.json";
constexpr const char* kModelCard = "MODEL_CARD.md";
constexpr const char* kMetaModelKind = "d2a-meta-model";

nlohmann::json read_json(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw bad_input(path.string() + ": cannot open (is this a d2a meta-model directory?)");
  std::stringstream text;
  text << in.rdbuf();
  try {
    return nlohmann::json::parse(text.str());
  } catch (const nlohmann::json::exception& e) {
    throw bad_input(path.string() + ": not valid JSON (" + e.what() + ")");
  }
}

}  // namespace

MetaModel load_meta_model(const std::string& dir_name) {
  const fs::path dir(dir_name);
  if (!fs::is_directory(dir)) throw bad_input(dir_name + ": no such meta-model directory");
  const fs::path json_path = dir / kModelJson;
  const std::string where = json_path.string();
  nlohmann::json info = read_json(json_path);
  if (!info.is_object()) throw bad_input(where + ": expected a JSON object");
  const int64_t version = meta_json::integer(info, "format_version", where);
  if (version != kMetaModelFormat) {
    throw bad_input(where + ": format_version " + std::to_string(version) +
                    " is not supported (this build reads " + std::to_string(kMetaModelFormat) + ")");
  }
  const auto& kind = meta_json::field(info, "kind", where);
  if (kind != kMetaModelKind) throw bad_input(where + ": kind " + kind.dump() + " is not a meta-model");

  // An external (TorchScript) extractor is named by path, relative to the model directory
  // unless absolute; otherwise the extractor ships inside.
  fs::path extractor_path = dir / "extractor";
  if (const auto external = info.find("feature_extractor_path"); external != info.end()) {
    if (!external->is_string()) throw bad_input(where + ": 'feature_extractor_path' must be a string");
    const fs::path p(external->get<std::string>());
    extractor_path = p.is_absolute() ? p : dir / p;
  }
  FeatureExtractor extractor = FeatureExtractor::load(extractor_path.string());
  const auto& expected_id = meta_json::field(info, "feature_extractor", where);
  if (expected_id != extractor.id()) {
    throw bad_input(where + ": trained with feature extractor " + expected_id.dump() + " but " +
                    extractor_path.string() + " is " + extractor.id());
  }
  MetaModel model{extractor};
  model.generator = load_generator(dir / "generator");
  model.predictor = load_predictor(dir / "predictor");
  for (const auto& [name, input_dim] :
       {std::pair{"generator", model.generator->options.set_encoder().input_dim()},
        std::pair{"predictor", model.predictor->options.set_encoder().input_dim()}}) {
    if (input_dim != extractor.dim()) {
      throw bad_input(where + ": the " + std::string(name) + " reads " + std::to_string(input_dim) +
                      "-dim features but the extractor gives " + std::to_string(extractor.dim()));
    }
  }
  model.accuracy_mean = meta_json::number(info, "accuracy_mean", where);
  model.accuracy_std = meta_json::number(info, "accuracy_std", where);
  if (!(model.accuracy_std > 0)) throw bad_input(where + ": accuracy_std must be positive");
  model.images_per_class = static_cast<int>(meta_json::integer(info, "images_per_class", where));
  if (model.images_per_class < 1) throw bad_input(where + ": images_per_class must be >= 1");
  model.info = std::move(info);
  return model;
}

void save_meta_model(const std::string& dir_name, const MetaModel& model,
                     const std::string& model_card) {
  const fs::path dir(dir_name);
  std::error_code error;
  fs::create_directories(dir, error);
  if (error) throw runtime_failure(dir_name + ": cannot create directory (" + error.message() + ")");
  if (!model.generator || !model.predictor) {
    throw runtime_failure(dir_name + ": a meta-model needs a generator and a predictor");
  }

  nlohmann::json info = model.info.is_object() ? model.info : nlohmann::json::object();
  if (model.extractor.is_torchscript()) {
    info["feature_extractor_path"] = fs::absolute(model.extractor.path()).string();
  } else {
    info.erase("feature_extractor_path");
    model.extractor.save((dir / "extractor").string());
  }
  const nlohmann::json standardisation = {{"accuracy_mean", model.accuracy_mean},
                                          {"accuracy_std", model.accuracy_std}};
  save_generator(dir / "generator", model.generator, nullptr);
  save_predictor(dir / "predictor", model.predictor, standardisation);

  info["format_version"] = kMetaModelFormat;
  info["kind"] = kMetaModelKind;
  info["d2a_version"] = kVersion;
  info["accuracy_mean"] = model.accuracy_mean;
  info["accuracy_std"] = model.accuracy_std;
  info["images_per_class"] = model.images_per_class;
  info["feature_extractor"] = model.extractor.id();
  write_file_atomically(dir / kModelCard, model_card);
  // model.json last: a directory with a model.json is complete.
  write_file_atomically(dir / kModelJson, info.dump(2) + "\n");
}

}  // namespace d2a
