// TEMPORARY (branch `suggest` only): a plain load/save of the meta-model directory of
// include/d2a/meta/meta_model.h so that `d2a suggest` runs before the meta-model branch lands.
// Drop with feature_extractor_tmp.{h,cpp} when the real implementation merges.
#include <torch/torch.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "d2a/error.h"
#include "d2a/meta/meta_model.h"
#include "d2a/meta/model_dir.h"
#include "d2a/version.h"
#include "feature_extractor_tmp.h"
#include "json_fields.h"

namespace d2a {
namespace fs = std::filesystem;

MetaModel load_meta_model(const std::string& dir) {
  if (!fs::is_directory(dir)) throw bad_input(dir + ": meta-model directory not found");
  const fs::path path = fs::path(dir) / "model.json";
  std::ifstream in(path, std::ios::binary);
  if (!in) throw bad_input(path.string() + ": cannot open (is this a d2a meta-model directory?)");
  std::stringstream text;
  text << in.rdbuf();
  nlohmann::json info;
  try {
    info = nlohmann::json::parse(text.str());
  } catch (const nlohmann::json::exception& e) {
    throw bad_input(path.string() + ": not valid JSON (" + e.what() + ")");
  }
  const std::string where = path.string();
  if (meta_json::integer(info, "format_version", where) != kMetaModelFormat) {
    throw bad_input(where + ": format_version " + info["format_version"].dump() + " is not supported");
  }
  const double mean = meta_json::number(info, "accuracy_mean", where);
  const double spread = meta_json::number(info, "accuracy_std", where);
  const int64_t per_class = meta_json::integer(info, "images_per_class", where);
  if (spread <= 0) throw bad_input(where + ": accuracy_std must be positive");
  if (per_class <= 0) throw bad_input(where + ": images_per_class must be positive");
  MetaModel model{FeatureExtractor::load((fs::path(dir) / "extractor").string()),
                  load_generator(fs::path(dir) / "generator"),
                  load_predictor(fs::path(dir) / "predictor"),
                  mean,
                  spread,
                  static_cast<int>(per_class),
                  nlohmann::json()};
  model.info = info;
  return model;
}

void save_meta_model(const std::string& dir, const MetaModel& model, const std::string& model_card) {
  const fs::path root(dir);
  fs::create_directories(root);
  save_feature_extractor_tmp(root / "extractor", model.extractor);
  save_generator(root / "generator", model.generator, nullptr);
  save_predictor(root / "predictor", model.predictor, nullptr);
  nlohmann::json info = model.info.is_object() ? model.info : nlohmann::json::object();
  info["format_version"] = kMetaModelFormat;
  info["kind"] = "d2a-meta-model";
  info["d2a_version"] = kVersion;
  info["accuracy_mean"] = model.accuracy_mean;
  info["accuracy_std"] = model.accuracy_std;
  info["images_per_class"] = model.images_per_class;
  info["feature_extractor"] = model.extractor.id();
  std::ofstream(root / "model.json") << info.dump(2) << "\n";
  std::ofstream(root / "MODEL_CARD.md") << model_card;
}

}  // namespace d2a
