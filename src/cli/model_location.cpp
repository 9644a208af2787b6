#include "d2a/cli/model_location.h"

#include <cstdlib>
#include <filesystem>

namespace d2a::cli {

std::string default_meta_model_dir() {
  const char* env = std::getenv("D2A_MODELS_DIR");
  const std::string root = env != nullptr && *env != '\0' ? env : D2A_MODELS_DIR;
  return (std::filesystem::path(root) / "d2a-meta-v3").string();
}

std::string default_latency_table() {
  const char* env = std::getenv("D2A_LATENCY_TABLE");
  if (env != nullptr && *env != '\0') return env;
  return (std::filesystem::path(D2A_SHARED_DIR) / "data" / "nb201" / "nb201_hw_latency_cifar10.csv")
      .string();
}

}  // namespace d2a::cli
