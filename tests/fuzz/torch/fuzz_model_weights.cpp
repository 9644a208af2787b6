// A model directory's weights.pt (torch::serialize archive): load_model_weights reads it into a
// module and checks every shape. LibTorch's archive reader itself is not instrumented (Debian's
// build), so coverage guides the fuzzer through d2a's code only; a crash or sanitizer report
// anywhere is still a finding. Seed: D2A_FUZZ_WRITE_SEED=FILE fuzz_model_weights writes a valid
// weights.pt of the module below and exits.
#include <torch/torch.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "d2a/meta/model_dir.h"
#include "../fuzz_support.h"

namespace {

struct Probe : torch::nn::Module {
  Probe() {
    linear = register_module("linear", torch::nn::Linear(4, 3));
    norm = register_module("norm", torch::nn::BatchNorm1d(3));
  }
  torch::nn::Linear linear{nullptr};
  torch::nn::BatchNorm1d norm{nullptr};
};

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  torch::set_num_threads(1);
  if (const char* seed = std::getenv("D2A_FUZZ_WRITE_SEED")) {
    const auto dir = std::filesystem::path(seed).parent_path() / "seed-model";
    Probe probe;
    d2a::save_model_dir(dir, probe, nlohmann::json{{"kind", "probe"}});
    std::filesystem::copy_file(dir / d2a::kModelWeightsFile, seed,
                               std::filesystem::copy_options::overwrite_existing);
    std::filesystem::remove_all(dir);
    std::exit(0);
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::filesystem::path dir = d2a::fuzz::scratch_path("-weights");
  std::filesystem::create_directories(dir);
  std::ofstream(dir / d2a::kModelWeightsFile, std::ios::binary | std::ios::trunc)
      .write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  return d2a::fuzz::expect_value_or_error([&] {
    Probe probe;
    d2a::load_model_weights(dir, probe);
    if (probe.linear->weight.sizes() != torch::IntArrayRef({3, 4})) __builtin_trap();
  });
}
