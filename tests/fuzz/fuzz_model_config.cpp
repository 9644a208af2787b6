// A model directory's JSON: the meta-model's model.json (read_meta_model_header) and its parts'
// config.json (read_model_config checks format_version and kind, model_options finds the
// options). The first byte picks the file and the kind the reader expects.
#include <unistd.h>

#include <filesystem>

#include "d2a/meta/model_config.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::filesystem::path dir = d2a::fuzz::scratch_path("-model");
  static const char* kinds[] = {"generator", "predictor", "feature-extractor"};
  if (size == 0) return 0;
  std::filesystem::create_directories(dir);
  const int pick = data[0] % 4;
  const std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (pick == 3) {
    d2a::write_file_atomically(dir / d2a::kMetaModelJson, text);
    return d2a::fuzz::expect_value_or_error([&] {
      const d2a::MetaModelHeader header = d2a::read_meta_model_header(dir);
      if (!(header.accuracy_std > 0) || header.images_per_class < 1) __builtin_trap();
    });
  }
  const std::string kind = kinds[pick];
  d2a::write_file_atomically(dir / d2a::kModelConfigFile, text);
  return d2a::fuzz::expect_value_or_error([&] {
    const nlohmann::json config = d2a::read_model_config(dir, kind);
    if (config.at("kind").get<std::string>() != kind) __builtin_trap();
    (void)d2a::model_options(config, dir);
  });
}
