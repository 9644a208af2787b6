#pragma once
// The torch-free half of a model directory (meta/model_dir.h): its config.json, read and
// checked, and the atomic file writes both halves use. Torch-free so that the readers of
// strangers' files can be fuzzed without LibTorch (tests/fuzz/fuzz_model_config.cpp).
#include <nlohmann/json.hpp>

#include <filesystem>
#include <optional>
#include <string>

#include "d2a/error.h"
#include "d2a/meta/dataset_gate.h"

namespace d2a {

inline constexpr int kModelFormatVersion = 1;
inline constexpr const char* kModelConfigFile = "config.json";
inline constexpr const char* kModelWeightsFile = "weights.pt";

// Writes `text` to `path` through a temporary file in the same folder renamed into place.
// Throws d2a::Error (runtime) when it cannot be written.
void write_file_atomically(const std::filesystem::path& path, const std::string& text);

// Renames `tmp` onto `target` (same folder); on failure removes `tmp` and throws d2a::Error
// (runtime) naming `target`.
void rename_into_place(const std::filesystem::path& tmp, const std::filesystem::path& target);

// Reads dir/config.json and checks format_version == kModelFormatVersion and kind ==
// `expected_kind`. Returns the whole object.
nlohmann::json read_model_config(const std::filesystem::path& dir,
                                 const std::string& expected_kind);

// {"kind": kind, "options": options} plus every key of `extra` (an object, or null for none).
// Throws d2a::Error (runtime) when `extra` is not an object or uses kind/options/format_version.
nlohmann::json make_model_config(const std::string& kind, const nlohmann::json& options,
                                 const nlohmann::json& extra);

// config["options"] or a bad-input error naming dir/config.json.
const nlohmann::json& model_options(const nlohmann::json& config,
                                    const std::filesystem::path& dir);

// Runs `build()` (which constructs a module from config options); a d2a::Error it throws, such
// as an invalid option value, is rethrown as bad input prefixed with dir/config.json.
template <typename Build>
auto build_from_config(const std::filesystem::path& dir, Build build) -> decltype(build()) {
  try {
    return build();
  } catch (const Error& e) {
    throw bad_input((dir / kModelConfigFile).string() + ": " + e.what());
  }
}

// A meta-model directory's own model.json (meta/meta_model.h describes the layout), read and
// checked: everything load_meta_model takes from it before it loads the parts.
inline constexpr int kMetaModelFormat = 1;
inline constexpr const char* kMetaModelJson = "model.json";
inline constexpr const char* kMetaModelKind = "d2a-meta-model";

struct MetaModelHeader {
  nlohmann::json info;                    // the whole object
  std::filesystem::path extractor_path;   // dir/extractor, or the external one it names
  nlohmann::json extractor_id;            // "feature_extractor": what the model was trained with
  double accuracy_mean = 0;
  double accuracy_std = 1;                // > 0
  int images_per_class = 20;              // >= 1
  std::optional<DatasetGate> gate;        // "dataset_gate", when present
};

// Throws d2a::Error (bad input) naming dir/model.json and the field.
MetaModelHeader read_meta_model_header(const std::filesystem::path& dir);

}  // namespace d2a
