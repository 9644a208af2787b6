#pragma once
// A meta-model on disk: a directory holding config.json (what the module was built from) and
// weights.pt (its parameters and buffers by name, torch::serialize). config.json is an object
//   {"format_version": 1, "kind": "generator" | "predictor", "options": {...every Options
//    field...}, ...any extra keys the caller adds (training seed, target standardisation...)}.
// Loading rebuilds the module from "options" and then reads the weights into it; every failure
// is one d2a::Error (bad input) line naming the file.
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <filesystem>
#include <string>

#include "d2a/error.h"
#include "d2a/meta/model_config.h"

namespace d2a {

// Creates `dir` if needed and writes config.json (= `config`, which must be an object holding a
// string "kind", with "format_version" set here) and weights.pt, each through a temporary file
// renamed into place. Throws d2a::Error (runtime) when a file cannot be written.
void save_model_dir(const std::filesystem::path& dir, const torch::nn::Module& module,
                    nlohmann::json config);

// Reads dir/weights.pt into `module`: every parameter and buffer must be present with the shape
// the module already has.
void load_model_weights(const std::filesystem::path& dir, torch::nn::Module& module);

// The whole load of a module kind: read and check dir/config.json, parse its "options" with
// `parse(options_json, config_path)`, build `Holder(options)`, read the weights, switch to eval
// mode. Holder is a TORCH_MODULE holder.
template <typename Holder, typename ParseOptions>
Holder load_model_dir(const std::filesystem::path& dir, const std::string& kind,
                      ParseOptions parse) {
  const nlohmann::json config = read_model_config(dir, kind);
  const auto options = parse(model_options(config, dir), (dir / kModelConfigFile).string());
  Holder module = build_from_config(dir, [&] { return Holder(options); });
  load_model_weights(dir, *module);
  module->eval();
  return module;
}

}  // namespace d2a
