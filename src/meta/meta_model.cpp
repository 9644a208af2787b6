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

constexpr const char* kModelCard = "MODEL_CARD.md";
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
  } catch (const std::exception&) {  // c10::Error, or the TorchScript parser's runtime_error
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

}  // namespace

MetaModel load_meta_model(const std::string& dir_name) {
  const fs::path dir(dir_name);
  if (!fs::is_directory(dir)) throw bad_input(dir_name + ": no such meta-model directory");
  MetaModelHeader header = read_meta_model_header(dir);
  const std::string where = (dir / kMetaModelJson).string();
  const fs::path& extractor_path = header.extractor_path;
  FeatureExtractor extractor = FeatureExtractor::load(extractor_path.string());
  const auto& expected_id = header.extractor_id;
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
  model.accuracy_mean = header.accuracy_mean;
  model.accuracy_std = header.accuracy_std;
  model.images_per_class = header.images_per_class;
  model.gate = header.gate;
  if (model.gate) {
    if (static_cast<int64_t>(model.gate->references[0].size()) != extractor.dim()) {
      throw bad_input(where + ": dataset_gate summaries have " +
                      std::to_string(model.gate->references[0].size()) +
                      " values but the extractor gives " + std::to_string(extractor.dim()));
    }
  }
  model.space_embeddings = load_space_embeddings(dir / kSpaceEmbeddings, model.predictor);
  model.info = std::move(header.info);
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
  write_file_atomically(dir / kMetaModelJson, info.dump(2) + "\n");
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
