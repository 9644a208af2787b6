#include "d2a/meta/meta_model.h"

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "d2a/error.h"
#include "d2a/meta/cell_batch.h"
#include "d2a/meta/model_dir.h"
#include "d2a/version.h"
#include "json_fields.h"

namespace d2a {
namespace fs = std::filesystem;
namespace {

constexpr const char* kModelJson = "model.json";
constexpr const char* kModelCard = "MODEL_CARD.md";
constexpr const char* kMetaModelKind = "d2a-meta-model";
constexpr const char* kSpaceEmbeddings = "space_embeddings.pt";

torch::Tensor embed_space(Predictor predictor) {
  torch::NoGradGuard no_grad;
  const torch::Tensor codes = cells_to_op_codes(all_nb201_cells());
  constexpr int64_t kChunk = 2048;  // keeps the GRU states small
  std::vector<torch::Tensor> parts;
  for (int64_t start = 0; start < codes.size(0); start += kChunk) {
    parts.push_back(predictor->embed_cells(codes.slice(0, start, start + kChunk)));
  }
  return torch::cat(parts, 0);
}

// The cache, if the directory has one and it belongs to this predictor: a few cells spread over
// the space are embedded afresh and must match (a cache left from other weights is refused).
torch::Tensor load_space_embeddings(const fs::path& path, Predictor predictor) {
  if (!fs::exists(path)) return {};
  torch::Tensor cached;
  try {
    torch::load(cached, path.string());
  } catch (const c10::Error&) {
    throw bad_input(path.string() + ": not a tensor file (delete it; `d2a meta-train` writes it)");
  }
  const int64_t dim = predictor->options.graph_encoder().output_dim();
  if (cached.dim() != 2 || cached.size(0) != kNb201NumCells || cached.size(1) != dim) {
    throw bad_input(path.string() + ": holds " + c10::str(cached.sizes()) + ", expected [" +
                    std::to_string(kNb201NumCells) + ", " + std::to_string(dim) + "]");
  }
  const torch::Tensor rows = torch::arange(0, kNb201NumCells, 997, torch::kLong);
  std::vector<Nb201Cell> cells;
  for (int64_t i = 0; i < rows.size(0); ++i) cells.push_back(Nb201Cell::from_dense_index(static_cast<int>(rows[i].item<int64_t>())));
  torch::NoGradGuard no_grad;
  const torch::Tensor fresh = predictor->embed_cells(cells_to_op_codes(cells));
  if (!torch::allclose(fresh, cached.index_select(0, rows), 1e-4, 1e-5)) {
    throw bad_input(path.string() + ": made by other predictor weights (delete it, or re-run "
                    "`d2a meta-train` to write it anew)");
  }
  return cached.to(torch::kFloat32).contiguous();
}

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
  MetaModel model{extractor, nullptr, nullptr, 0, 1, 20, {}, std::nullopt, {}};
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
  if (const auto gate = info.find("dataset_gate"); gate != info.end()) {
    model.gate = DatasetGate::from_json(*gate, where);
    if (static_cast<int64_t>(model.gate->references[0].size()) != extractor.dim()) {
      throw bad_input(where + ": dataset_gate summaries have " +
                      std::to_string(model.gate->references[0].size()) +
                      " values but the extractor gives " + std::to_string(extractor.dim()));
    }
  }
  model.space_embeddings = load_space_embeddings(dir / kSpaceEmbeddings, model.predictor);
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
  // New predictor weights make an embedding cache stale: drop it (save_space_embeddings writes
  // one for these weights).
  fs::remove(dir / kSpaceEmbeddings, error);
  save_predictor(dir / "predictor", model.predictor, standardisation);

  info["format_version"] = kMetaModelFormat;
  info["kind"] = kMetaModelKind;
  info["d2a_version"] = kVersion;
  info["accuracy_mean"] = model.accuracy_mean;
  info["accuracy_std"] = model.accuracy_std;
  info["images_per_class"] = model.images_per_class;
  info["feature_extractor"] = model.extractor.id();
  if (model.gate) {
    info["dataset_gate"] = model.gate->to_json();
  } else {
    info.erase("dataset_gate");
  }
  write_file_atomically(dir / kModelCard, model_card);
  // model.json last: a directory with a model.json is complete.
  write_file_atomically(dir / kModelJson, info.dump(2) + "\n");
}

torch::Tensor save_space_embeddings(const std::string& dir_name, const MetaModel& model) {
  const torch::Tensor embeddings = embed_space(model.predictor);
  const fs::path path = fs::path(dir_name) / kSpaceEmbeddings;
  const fs::path tmp = path.string() + ".tmp";
  try {
    torch::save(embeddings, tmp.string());
  } catch (const c10::Error&) {
    throw runtime_failure(tmp.string() + ": cannot write");
  }
  std::error_code error;
  fs::rename(tmp, path, error);
  if (error) throw runtime_failure(path.string() + ": cannot write (" + error.message() + ")");
  return embeddings;
}

}  // namespace d2a
