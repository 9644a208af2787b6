#include "d2a/meta/model_config.h"

#include <fstream>
#include <sstream>
#include <system_error>

#include "json_fields.h"

namespace d2a {
namespace fs = std::filesystem;

void rename_into_place(const fs::path& tmp, const fs::path& target) {
  std::error_code error;
  fs::rename(tmp, target, error);
  if (error) {
    fs::remove(tmp, error);
    throw runtime_failure(target.string() + ": cannot write (" + error.message() + ")");
  }
}

void write_file_atomically(const fs::path& path, const std::string& text) {
  fs::path tmp = path;
  tmp += ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out.flush()) {
      std::error_code ignored;
      fs::remove(tmp, ignored);
      throw runtime_failure(path.string() + ": cannot write");
    }
  }
  rename_into_place(tmp, path);
}

nlohmann::json read_model_config(const fs::path& dir, const std::string& expected_kind) {
  const fs::path path = dir / kModelConfigFile;
  std::ifstream in(path, std::ios::binary);
  if (!in) throw bad_input(path.string() + ": cannot open (is this a " + expected_kind + " model directory?)");
  std::stringstream text;
  text << in.rdbuf();
  nlohmann::json config;
  try {
    config = nlohmann::json::parse(text.str());
  } catch (const nlohmann::json::exception& e) {
    throw bad_input(path.string() + ": not valid JSON (" + e.what() + ")");
  }
  if (!config.is_object()) throw bad_input(path.string() + ": expected a JSON object");
  const auto version = config.find("format_version");
  if (version == config.end() || !version->is_number_integer()) {
    throw bad_input(path.string() + ": missing integer 'format_version'");
  }
  if (version->get<int64_t>() != kModelFormatVersion) {
    throw bad_input(path.string() + ": format_version " + version->dump() +
                    " is not supported (this build reads " +
                    std::to_string(kModelFormatVersion) + ")");
  }
  const auto kind = config.find("kind");
  if (kind == config.end() || !kind->is_string()) {
    throw bad_input(path.string() + ": missing string 'kind'");
  }
  if (kind->get<std::string>() != expected_kind) {
    throw bad_input(path.string() + ": holds a '" + kind->get<std::string>() + "' model, expected '" +
                    expected_kind + "'");
  }
  return config;
}

nlohmann::json make_model_config(const std::string& kind, const nlohmann::json& options,
                                 const nlohmann::json& extra) {
  nlohmann::json config = nlohmann::json::object();
  if (!extra.is_null()) {
    if (!extra.is_object()) throw runtime_failure("model config: extra keys must be a JSON object");
    for (const char* reserved : {"kind", "options", "format_version"}) {
      if (extra.contains(reserved)) {
        throw runtime_failure(std::string("model config: extra key '") + reserved + "' is reserved");
      }
    }
    config = extra;
  }
  config["kind"] = kind;
  config["options"] = options;
  return config;
}

const nlohmann::json& model_options(const nlohmann::json& config, const fs::path& dir) {
  const auto options = config.find("options");
  if (options == config.end() || !options->is_object()) {
    throw bad_input((dir / kModelConfigFile).string() + ": missing object 'options'");
  }
  return *options;
}

MetaModelHeader read_meta_model_header(const fs::path& dir) {
  const fs::path path = dir / kMetaModelJson;
  const std::string where = path.string();
  std::ifstream in(path, std::ios::binary);
  if (!in) throw bad_input(where + ": cannot open (is this a d2a meta-model directory?)");
  std::stringstream text;
  text << in.rdbuf();
  MetaModelHeader header;
  try {
    header.info = nlohmann::json::parse(text.str());
  } catch (const nlohmann::json::exception& e) {
    throw bad_input(where + ": not valid JSON (" + e.what() + ")");
  }
  const nlohmann::json& info = header.info;
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
  header.extractor_path = dir / "extractor";
  if (const auto external = info.find("feature_extractor_path"); external != info.end()) {
    if (!external->is_string()) throw bad_input(where + ": 'feature_extractor_path' must be a string");
    const fs::path p(external->get<std::string>());
    header.extractor_path = p.is_absolute() ? p : dir / p;
  }
  header.extractor_id = meta_json::field(info, "feature_extractor", where);
  header.accuracy_mean = meta_json::number(info, "accuracy_mean", where);
  header.accuracy_std = meta_json::number(info, "accuracy_std", where);
  if (!(header.accuracy_std > 0)) throw bad_input(where + ": accuracy_std must be positive");
  const int64_t images = meta_json::integer(info, "images_per_class", where);
  if (images < 1 || images > 1'000'000) throw bad_input(where + ": images_per_class must be in [1, 1000000]");
  header.images_per_class = static_cast<int>(images);
  if (const auto gate = info.find("dataset_gate"); gate != info.end()) {
    header.gate = DatasetGate::from_json(*gate, where);
  }
  return header;
}

}  // namespace d2a
