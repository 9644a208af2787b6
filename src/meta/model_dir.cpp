#include "d2a/meta/model_dir.h"

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <fstream>
#include <map>
#include <sstream>
#include <system_error>
#include <vector>

#include "d2a/error.h"

namespace d2a {
namespace fs = std::filesystem;
namespace {

// c10 messages carry a backtrace after the first line; one line is what the user needs.
std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

void rename_into_place(const fs::path& tmp, const fs::path& target) {
  std::error_code error;
  fs::rename(tmp, target, error);
  if (error) {
    fs::remove(tmp, error);
    throw runtime_failure(target.string() + ": cannot write (" + error.message() + ")");
  }
}

std::map<std::string, std::vector<int64_t>> shapes_of(const torch::nn::Module& module) {
  std::map<std::string, std::vector<int64_t>> shapes;
  for (const auto& item : module.named_parameters()) shapes[item.key()] = item.value().sizes().vec();
  for (const auto& item : module.named_buffers()) shapes[item.key()] = item.value().sizes().vec();
  return shapes;
}

}  // namespace

void save_model_dir(const fs::path& dir, const torch::nn::Module& module, nlohmann::json config) {
  if (!config.is_object() || !config.contains("kind") || !config["kind"].is_string()) {
    throw runtime_failure("save_model_dir: config needs a string 'kind'");
  }
  config["format_version"] = kModelFormatVersion;
  std::error_code error;
  fs::create_directories(dir, error);
  if (error) throw runtime_failure(dir.string() + ": cannot create directory (" + error.message() + ")");

  const fs::path weights = dir / kModelWeightsFile;
  const fs::path weights_tmp = dir / (std::string(kModelWeightsFile) + ".tmp");
  try {
    torch::serialize::OutputArchive archive;
    module.save(archive);
    archive.save_to(weights_tmp.string());
  } catch (const c10::Error& e) {
    throw runtime_failure(weights.string() + ": cannot write (" +
                          first_line(e.what_without_backtrace()) + ")");
  }
  rename_into_place(weights_tmp, weights);

  write_file_atomically(dir / kModelConfigFile, config.dump(2) + "\n");
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

void load_model_weights(const fs::path& dir, torch::nn::Module& module) {
  const fs::path path = dir / kModelWeightsFile;
  if (!fs::is_regular_file(path)) throw bad_input(path.string() + ": not found");
  const auto expected = shapes_of(module);
  try {
    torch::serialize::InputArchive archive;
    archive.load_from(path.string());
    module.load(archive);
  } catch (const c10::Error& e) {
    throw bad_input(path.string() + ": cannot load weights (" +
                    first_line(e.what_without_backtrace()) + ")");
  }
  // InputArchive replaces each tensor wholesale, so a weights file of another configuration
  // would load silently with other shapes; catch it here.
  for (const auto& [name, shape] : shapes_of(module)) {
    if (shape != expected.at(name)) {
      throw bad_input(path.string() + ": '" + name + "' has shape " + c10::str(c10::IntArrayRef(shape)) +
                      ", config.json builds " + c10::str(c10::IntArrayRef(expected.at(name))));
    }
  }
}

}  // namespace d2a
