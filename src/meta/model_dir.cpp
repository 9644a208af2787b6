#include "d2a/meta/model_dir.h"

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <fstream>
#include <map>
#include <new>
#include <sstream>
#include <system_error>
#include <vector>

#include "d2a/error.h"
#include "d2a/read_probe.h"

namespace d2a {
namespace fs = std::filesystem;
namespace {

// c10 messages carry a backtrace after the first line; one line is what the user needs.
std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

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

namespace {

// Reads the archive at `path` into `module`; every failure becomes one d2a::Error line.
void read_weights(const fs::path& path, torch::nn::Module& module) {
  try {
    torch::serialize::InputArchive archive;
    archive.load_from(path.string());
    module.load(archive);
  } catch (const c10::Error& e) {
    throw bad_input(path.string() + ": cannot load weights (" +
                    first_line(e.what_without_backtrace()) + ")");
  } catch (const std::bad_alloc&) {
    throw;  // out of memory, not a damaged file (in the probe: the child's cap was reached)
  } catch (const std::exception& e) {
    // A damaged archive can also fail in LibTorch's TorchScript parser, which throws
    // std::runtime_error (found by tests/fuzz/torch/fuzz_model_weights).
    const std::string why = first_line(e.what());
    throw bad_input(path.string() + ": cannot load weights (not a weights archive" +
                    (why.empty() ? "" : ": " + why) + ")");
  }
}

}  // namespace

void load_model_weights(const fs::path& dir, torch::nn::Module& module) {
  const fs::path path = dir / kModelWeightsFile;
  if (!fs::is_regular_file(path)) throw bad_input(path.string() + ": not found");
  const auto expected = shapes_of(module);
  // LibTorch 1.13's archive reader can crash on a damaged file (fuzzing: a SIGSEGV in its
  // TorchScript type parser, tests/fuzz/torch/fuzz_model_weights), so it reads it first in a
  // child process (into the child's copy of `module`).
  // A damaged file can also make it allocate gigabytes (its unpickler sizes tables from the
  // file), so the child's heap is capped at 1 GiB plus 16 times the file.
  std::error_code size_error;
  const auto bytes = fs::file_size(path, size_error);
  read_first_in_child(
      path.string(), "weights file", "LibTorch archive reader", [&] { read_weights(path, module); },
      (std::size_t{1} << 30) + 16 * (size_error ? 0 : static_cast<std::size_t>(bytes)));
  read_weights(path, module);
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
