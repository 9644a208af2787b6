#pragma once
// MetaD2A's generator: dataset features -> SetEncoder -> VAE head (mu, logvar) -> latent z ->
// GraphDecoder -> cells. The generator owns its own SetEncoder (as in the paper, separate from
// the predictor's). Training loss = reconstruction + kl_weight * KL(N(mu, sigma) || N(0, I)).
// As published, z = mu + train_noise * sigma * eps in training mode (a tiny noise, 0.01) and
// z = mu in eval mode.
#include <ATen/core/Generator.h>
#include <nlohmann/json_fwd.hpp>
#include <torch/torch.h>

#include <filesystem>
#include <string>
#include <vector>

#include "d2a/meta/graph_decoder.h"
#include "d2a/meta/set_encoder.h"
#include "d2a/space/nb201.h"

namespace d2a {

struct GeneratorOptions {
  // The decoder's latent_dim is the VAE latent size; the set encoder's output_dim feeds the head.
  explicit GeneratorOptions(int64_t input_dim) : set_encoder_(input_dim) {}
  TORCH_ARG(SetEncoderOptions, set_encoder);
  TORCH_ARG(GraphDecoderOptions, decoder);
  TORCH_ARG(double, kl_weight) = 0.005;
  TORCH_ARG(double, train_noise) = 0.01;  // eps scale of the reparameterisation when training
};

nlohmann::json to_json(const GeneratorOptions& options);
GeneratorOptions generator_options_from_json(const nlohmann::json& json, const std::string& where);

struct GeneratorLatent {
  torch::Tensor mu;      // [B, latent_dim]
  torch::Tensor logvar;  // [B, latent_dim]
};

struct GeneratorLoss {
  torch::Tensor total;           // scalar: reconstruction + kl_weight * kl
  torch::Tensor reconstruction;  // scalar: GraphDecoder::loss, per task
  torch::Tensor kl;              // scalar: KL summed over latent dims, averaged over tasks
};

class GeneratorImpl : public torch::nn::Cloneable<GeneratorImpl> {
 public:
  explicit GeneratorImpl(const GeneratorOptions& options);
  void reset() override;

  // features [B, K, n, D] -> mu, logvar [B, latent_dim].
  GeneratorLatent encode(const torch::Tensor& features);
  // The latent the decoder reads: mu + train_noise * exp(logvar / 2) * eps (eps ~ N(0, I) from
  // torch's global generator) in training mode, mu in eval mode. -> [B, latent_dim].
  torch::Tensor sample_latent(const GeneratorLatent& latent);
  // features [B, K, n, D], target op codes int64 [B, 6] (one target cell per task).
  GeneratorLoss loss(const torch::Tensor& features, const torch::Tensor& target_codes);
  // features [B, K, n, D] -> B cells (one per task), no gradient; uses sample_latent, so call
  // eval() first for the published test-time behaviour.
  std::vector<Nb201Cell> generate_greedy(const torch::Tensor& features);
  std::vector<Nb201Cell> generate_sampled(const torch::Tensor& features, at::Generator sampler);

  GraphDecoder& decoder() { return decoder_; }

  GeneratorOptions options;

 private:
  SetEncoder set_encoder_{nullptr};
  torch::nn::Linear mu_{nullptr}, logvar_{nullptr};
  GraphDecoder decoder_{nullptr};
};
TORCH_MODULE(Generator);

inline constexpr const char* kGeneratorKind = "generator";

// A model directory (meta/model_dir.h) of kind "generator"; `extra` keys go beside "options".
void save_generator(const std::filesystem::path& dir, const Generator& generator,
                    const nlohmann::json& extra);
// Rebuilds the generator from dir/config.json, loads its weights, returns it in eval mode.
Generator load_generator(const std::filesystem::path& dir);

}  // namespace d2a
